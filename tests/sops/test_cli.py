"""The sops-compatible commands, through ``main([...])``."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest
import yaml

from secretsops.cli.main import main


@pytest.fixture
def env(tmp_path, age_key, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.key_file))
    return tmp_path


def _enc(path, recipient, text="a: 1\nb: two\nnested:\n  c: three\n"):
    path.write_text(text)
    assert main(["encrypt", "--age", recipient, "-i", str(path)]) == 0


def test_in_place_encrypt_then_decrypt_restores_the_file(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    assert "ENC[" in f.read_text()
    assert main(["decrypt", "-i", str(f)]) == 0
    assert yaml.safe_load(f.read_text()) == {"a": 1, "b": "two", "nested": {"c": "three"}}


def test_extract_prints_a_raw_string(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    capsys.readouterr()
    assert main(["decrypt", "--extract", '["nested"]["c"]', str(f)]) == 0
    assert capsys.readouterr().out == "three"


def test_extract_of_a_missing_key_fails(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    assert main(["decrypt", "--extract", '["nope"]', str(f)]) != 0


def test_output_type_converts_yaml_to_json(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    capsys.readouterr()
    assert main(["decrypt", "--output-type", "json", str(f)]) == 0
    assert json.loads(capsys.readouterr().out)["nested"] == {"c": "three"}


def test_set_changes_one_value_and_leaves_the_others_byte_identical(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    before = f.read_text().splitlines()
    assert main(["set", str(f), '["b"]', '"changed"']) == 0
    after = f.read_text().splitlines()
    changed = [a for a, b in zip(before, after, strict=False) if a != b]
    assert any(ln.startswith("b: ") for ln in changed)
    assert not any(ln.startswith(("a: ", "    c: ")) for ln in changed)
    capsys.readouterr()
    main(["decrypt", "--extract", '["b"]', str(f)])
    assert capsys.readouterr().out == "changed"


def test_unset_removes_a_key(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    assert main(["unset", str(f), '["nested"]["c"]']) == 0
    capsys.readouterr()
    main(["decrypt", str(f)])
    assert yaml.safe_load(capsys.readouterr().out) == {"a": 1, "b": "two", "nested": {}}


def test_rotate_changes_the_data_key_and_keeps_the_values(env, age_key, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    old = f.read_text()
    assert main(["rotate", "-i", str(f)]) == 0
    assert f.read_text() != old
    capsys.readouterr()
    main(["decrypt", str(f)])
    assert yaml.safe_load(capsys.readouterr().out)["nested"] == {"c": "three"}


def test_updatekeys_adds_a_recipient_from_the_creation_rule_without_touching_values(env, age_key, capsys):
    from pyrage import x25519

    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    values_before = [
        ln for ln in f.read_text().splitlines() if not ln.startswith(("sops", " " * 4 + "-", " " * 8))
    ]
    other = x25519.Identity.generate()
    (env / ".sops.yaml").write_text(f"creation_rules:\n  - age: {age_key.recipient},{other.to_public()}\n")
    assert main(["updatekeys", "-y", str(f)]) == 0
    text = f.read_text()
    assert str(other.to_public()) in text
    assert all(v in text for v in values_before if "ENC[" in v)
    other_file = env / "other.txt"
    other_file.write_text(f"{other}\n")
    os.environ["SOPS_AGE_KEY_FILE"] = str(other_file)
    capsys.readouterr()
    assert main(["decrypt", "--extract", '["b"]', str(f)]) == 0
    assert capsys.readouterr().out == "two"


def test_edit_uses_the_editor_and_a_private_temp_file(env, age_key, tmp_path, monkeypatch, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    script = tmp_path / "ed.py"
    log = tmp_path / "ed.log"
    script.write_text(
        "import os, stat, sys\n"
        "p = sys.argv[1]\n"
        f"open({str(log)!r}, 'w').write(oct(stat.S_IMODE(os.stat(p).st_mode)) + ' ' + p)\n"
        "t = open(p).read().replace('two', 'edited')\n"
        "open(p, 'w').write(t)\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    assert main(["edit", str(f)]) == 0
    mode, path = log.read_text().split(" ", 1)
    assert mode == "0o600" and not os.path.exists(path)
    capsys.readouterr()
    main(["decrypt", "--extract", '["b"]', str(f)])
    assert capsys.readouterr().out == "edited"


def test_edit_without_changes_exits_200(env, age_key, monkeypatch):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    monkeypatch.setenv("EDITOR", "true")
    assert main(["edit", str(f)]) == 200


def test_keygen_age_writes_a_private_identity_and_refuses_to_overwrite(env, capsys):
    assert main(["keygen", "age"]) == 0
    out = capsys.readouterr().out.strip()
    key = env / "keys" / "age.txt"
    assert out.startswith("age1") and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "AGE-SECRET-KEY-1" in key.read_text()
    assert main(["keygen", "age"]) != 0


def test_keys_dir_identity_decrypts(env, monkeypatch, capsys):
    main(["keygen", "age"])
    recipient = capsys.readouterr().out.strip()
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    f = env / "s.yaml"
    _enc(f, recipient)
    capsys.readouterr()
    assert main(["decrypt", "--extract", '["b"]', str(f)]) == 0
    assert capsys.readouterr().out == "two"


def test_age_key_cmd_runs_without_secrets_in_its_environment(env, age_key, monkeypatch, tmp_path, capsys):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "should-not-leak")
    envlog = tmp_path / "env.json"
    script = tmp_path / "cmd.py"
    script.write_text(
        f"import os, json\njson.dump(dict(os.environ), open({str(envlog)!r}, 'w'))\n"
        f"print(open({str(age_key.key_file)!r}).read())\n"
    )
    monkeypatch.setenv("SOPS_AGE_KEY_CMD", f"{sys.executable} {script}")
    assert main(["decrypt", "--extract", '["b"]', str(f)]) == 0
    assert capsys.readouterr().out == "two"
    child_env = json.loads(envlog.read_text())
    # only the recipient being opened (sops 3.12+: SOPS_AGE_RECIPIENT), no credential
    assert child_env.get("SOPS_AGE_RECIPIENT") == age_key.recipient
    assert not any(k.startswith(("AWS_", "SOPS_")) for k in child_env if k != "SOPS_AGE_RECIPIENT")


def test_recursive_encrypt_and_decrypt_walk_a_tree(env, age_key, capsys):
    (env / "d" / "sub").mkdir(parents=True)
    (env / "d" / "a.yaml").write_text("x: 1\n")
    (env / "d" / "sub" / "b.json").write_text('{"y": "z"}')
    (env / ".sops.yaml").write_text(f"creation_rules:\n  - age: {age_key.recipient}\n")
    assert main(["encrypt", "-r", "-i", "d"]) == 0
    assert (
        "ENC[" in (env / "d" / "a.yaml").read_text() and "ENC[" in (env / "d" / "sub" / "b.json").read_text()
    )
    assert main(["decrypt", "-r", "-i", "d"]) == 0
    assert (env / "d" / "a.yaml").read_text() == "x: 1\n"


def test_no_key_given_and_no_config_is_exit_1_as_in_sops(env, capsys):
    (env / "s.yaml").write_text("a: b\n")
    assert main(["encrypt", "s.yaml"]) == 1


def test_encrypt_to_another_output_type_needs_no_private_key(tmp_path, age_key, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("a: b\n")
    assert main(["encrypt", "--age", age_key.recipient, "--output-type", "json", "s.yaml"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["a"].startswith("ENC[") and "sops" in out


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["decrypt", "--extract", "bad", "F"], 91),
        (["decrypt", "--extract", '["zz"]', "F"], 1),
        (["unset", "F", '["zz"]'], 1),
        (["set", "F", "bad", '"v"'], 7),
        (["set", "F", '["a"]', "notjson"], 7),
    ],
)
def test_path_and_value_errors_use_sops_exit_codes(env, age_key, argv, code):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    before = f.read_bytes()
    assert main([str(f) if a == "F" else a for a in argv]) == code
    assert f.read_bytes() == before


def test_a_config_without_a_rule_for_the_file_is_an_error_even_with_key_flags(env, age_key):
    (env / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: other$\n    age: {age_key.recipient}\n"
    )
    (env / "s.yaml").write_text("a: b\n")
    assert main(["encrypt", "--age", age_key.recipient, "s.yaml"]) == 1  # as sops


@pytest.mark.parametrize("where", ["home", "xdg"])
def test_the_default_user_key_file_is_used(where, tmp_path, age_key, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "s.yaml"
    _enc(f, age_key.recipient)
    base = tmp_path / ("xdg" if where == "xdg" else "home")
    keys = (base / "sops" / "age") if where == "xdg" else (base / ".config" / "sops" / "age")
    keys.mkdir(parents=True)
    (keys / "keys.txt").write_text(age_key.key_file.read_text())
    if where == "home":
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME" if where == "xdg" else "HOME", str(base))
    capsys.readouterr()
    assert main(["decrypt", "--extract", '["b"]', str(f)]) == 0
    assert capsys.readouterr().out == "two"


def test_decrypt_reads_standard_input_with_an_input_type(env, age_key, monkeypatch, capsys):
    import io

    f = env / "s.json"
    f.write_text('{"k": "v"}')
    assert main(["encrypt", "--age", age_key.recipient, "-i", str(f)]) == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f.read_bytes())))
    capsys.readouterr()
    assert main(["decrypt", "--input-type", "json", "--output-type", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"k": "v"}


def test_edit_creates_a_new_encrypted_file(env, age_key, tmp_path, monkeypatch, capsys):
    script = tmp_path / "write.py"
    script.write_text("import sys\nopen(sys.argv[1], 'w').write('fresh: value\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    f = env / "new.yaml"
    assert main(["edit", "--age", age_key.recipient, str(f)]) == 0
    assert "ENC[" in f.read_text() and stat.S_IMODE(f.stat().st_mode) == 0o600
    capsys.readouterr()
    assert main(["decrypt", "--extract", '["fresh"]', str(f)]) == 0
    assert capsys.readouterr().out == "value"


def test_decrypted_output_files_are_private(env, age_key):
    f = env / "s.yaml"
    _enc(f, age_key.recipient)
    out = env / "plain.yaml"
    assert main(["decrypt", str(f), "--output", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
