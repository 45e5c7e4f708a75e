"""Tampering, wrong keys and bad input: non-zero exit codes as sops, one line, nothing written."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from secretsops.cli.main import main
from tests.helpers import assert_no_canary


@pytest.fixture
def encrypted(tmp_path, age_key, canary, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "s.yaml"
    src.write_text(f"password: {canary}\nuser: admin\n")
    out = tmp_path / "enc.yaml"
    assert main(["encrypt", "--age", age_key.recipient, str(src), "--output", str(out)]) == 0
    src.unlink()
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.key_file))
    return out


def _one_line_error(err: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err


def test_decrypt_prints_the_plaintext(encrypted, canary, capsys):
    assert main(["decrypt", str(encrypted)]) == 0
    assert canary in capsys.readouterr().out


def test_a_tampered_value_fails_with_exit_25_and_prints_nothing(encrypted, canary, capsys):
    text = encrypted.read_text()
    m = re.search(r"password: ENC\[AES256_GCM,data:([^,]+),", text)
    data = m.group(1)
    flipped = ("B" if data[0] != "B" else "C") + data[1:]
    encrypted.write_text(text.replace(data, flipped, 1))
    assert main(["decrypt", str(encrypted)]) == 25
    out, err = capsys.readouterr()
    assert out == "" and "password" in err
    _one_line_error(err)
    assert_no_canary(canary, out, err)


def test_a_changed_unencrypted_value_fails_the_mac_with_exit_51(tmp_path, age_key, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("a: 1\nname_unencrypted: x\n")
    out = tmp_path / "e.yaml"
    assert main(["encrypt", "--age", age_key.recipient, "s.yaml", "--output", str(out)]) == 0
    out.write_text(out.read_text().replace("name_unencrypted: x", "name_unencrypted: y"))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.key_file))
    assert main(["decrypt", str(out)]) == 51
    o, err = capsys.readouterr()
    assert o == "" and "MAC mismatch" in err


def test_a_tampered_mac_fails_with_exit_51(encrypted, capsys):
    text = encrypted.read_text()
    m = re.search(r"mac: ENC\[AES256_GCM,data:([^,]+),", text)
    data = m.group(1)
    encrypted.write_text(text.replace(data, ("A" if data[0] != "A" else "B") + data[1:], 1))
    assert main(["decrypt", str(encrypted)]) == 51
    assert capsys.readouterr().out == ""


def test_ignore_mac_decrypts_and_warns_loudly(encrypted, canary, capsys):
    text = encrypted.read_text().replace("user: ENC", "user: ENC", 1)
    m = re.search(r"mac: ENC\[AES256_GCM,data:([^,]+),", text)
    other = "A" if m.group(1)[0] != "A" else "B"  # a different first character, whatever it was
    encrypted.write_text(text.replace(m.group(1), other + m.group(1)[1:], 1))
    assert main(["decrypt", "--ignore-mac", str(encrypted)]) == 0
    out, err = capsys.readouterr()
    assert canary in out and "WARNING" in err


def test_a_missing_key_fails_with_exit_128_naming_the_keys_tried(encrypted, monkeypatch, capsys):
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    assert main(["decrypt", str(encrypted)]) == 128
    _, err = capsys.readouterr()
    assert "age1" in err
    _one_line_error(err)


def test_a_wrong_key_fails_with_exit_128(encrypted, tmp_path, monkeypatch, capsys):
    from pyrage import x25519

    wrong = tmp_path / "wrong.txt"
    wrong.write_text(f"{x25519.Identity.generate()}\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(wrong))
    assert main(["decrypt", str(encrypted)]) == 128
    assert "none of the age identities" in capsys.readouterr().err


def test_encrypting_an_encrypted_file_is_refused_with_203(encrypted, age_key, capsys):
    before = encrypted.read_bytes()
    assert main(["encrypt", "--age", age_key.recipient, "-i", str(encrypted)]) == 203
    assert encrypted.read_bytes() == before


def test_an_empty_file_is_refused_with_92(tmp_path, age_key, capsys):
    f = tmp_path / "empty.yaml"
    f.write_text("")
    assert main(["encrypt", "--age", age_key.recipient, str(f)]) == 92


def test_a_version_that_is_not_semver_is_a_clear_error(encrypted, capsys):
    encrypted.write_text(encrypted.read_text().replace("version: 3.11.0", "version: banana"))
    assert main(["decrypt", str(encrypted)]) != 0
    err = capsys.readouterr().err
    assert "version" in err
    _one_line_error(err)


def test_malformed_yaml_is_a_one_line_error(tmp_path, age_key, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("a: [unclosed\n")
    assert main(["encrypt", "--age", age_key.recipient, str(f)]) == 2
    _one_line_error(capsys.readouterr().err)


def test_a_plain_file_has_no_metadata(tmp_path, capsys):
    f = tmp_path / "plain.yaml"
    f.write_text("a: b\n")
    assert main(["decrypt", str(f)]) == 1  # as sops
    assert main(["filestatus", str(f)]) == 0
    assert '{"encrypted":false}' in capsys.readouterr().out


def test_failed_in_place_decrypt_leaves_the_file_untouched(encrypted, monkeypatch):
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    before = encrypted.read_bytes()
    assert main(["decrypt", "-i", str(encrypted)]) == 128
    assert encrypted.read_bytes() == before
    assert sorted(p.name for p in encrypted.parent.iterdir() if p.name.startswith(".enc")) == []


def test_the_cli_exits_cleanly_in_a_subprocess_on_a_tampered_file(encrypted, canary, age_key):
    text = encrypted.read_text()
    m = re.search(r"password: ENC\[AES256_GCM,data:([^,]+),", text)
    other = "Z" if m.group(1)[0] != "Z" else "Y"  # a different first character, whatever it was
    encrypted.write_text(text.replace(m.group(1), other + m.group(1)[1:], 1))
    proc = subprocess.run(
        [sys.executable, "-m", "secretsops", "decrypt", str(encrypted)],
        capture_output=True,
        check=False,
        env={"SOPS_AGE_KEY_FILE": str(age_key.key_file), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 25 and proc.stdout == b""
    assert b"Traceback" not in proc.stderr
    assert_no_canary(canary, proc.stdout, proc.stderr)


def test_a_missing_file_is_exit_100_like_sops(tmp_path, capsys):
    assert main(["decrypt", str(tmp_path / "nope.yaml")]) == 100


def test_in_place_and_output_together_are_exit_8(encrypted, tmp_path):
    assert main(["decrypt", "-i", "--output", str(tmp_path / "o.yaml"), str(encrypted)]) == 8
