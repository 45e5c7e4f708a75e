"""A key source shipped in its own distribution is offered everywhere, with no change to secretsops.

The plugin (``tests/filewrap_plugin``, installed into the test venv by ``scripts/test.sh``)
declares kind ``file_wrap``, flag ``--file-wrap``, rule key ``file_wrap_keys``, group key
``file_wrap``, recipients variable ``SOPS_FILE_WRAP_RECIPIENTS`` and Flux Secret entries
``<name>.filewrap``: each test shows one place that reads one of those declarations.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from secretsops.cli.main import main
from secretsops.engine.decryption_secret import key_context
from secretsops.keysources.base import KeyContext
from secretsops.keysources.registry import keysources
from secretsops.sops import api
from secretsops.sops.api import EncryptOptions
from tests.helpers import assert_no_canary


@pytest.fixture
def keys_dir(plugin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """Two file-wrap keys, ``team`` and ``ops``, found through ``SOPS_FILE_WRAP_DIR``."""
    d = tmp_path / "filekeys"
    d.mkdir()
    plugin.new_key(d, "team")
    plugin.new_key(d, "ops")
    monkeypatch.setenv("SOPS_FILE_WRAP_DIR", str(d))
    return d


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sops_block(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["sops"]


def test_the_registry_finds_the_plugin_by_its_entry_point(plugin) -> None:  # type: ignore[no-untyped-def]
    assert keysources().get("file_wrap") is plugin.FileWrapKeySource
    assert keysources().by_cli_flag()["file-wrap"] is plugin.FileWrapKeySource


def test_encrypt_offers_the_plugin_flag_and_its_rotate_variants(plugin, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["encrypt", "--help"])
    assert "--file-wrap" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["rotate", "--help"])
    out = capsys.readouterr().out
    assert "--add-file-wrap" in out and "--rm-file-wrap" in out


def test_flag_encrypts_for_the_plugin_and_its_stanza_lands_in_the_metadata(
    keys_dir, tmp_path, canary, capsys
) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "s.yaml"
    f.write_text(f"password: {canary}\n")
    assert run(capsys, "encrypt", "--file-wrap", "team", "-i", str(f))[0] == 0
    (stanza,) = sops_block(f)["file_wrap"]
    assert stanza["name"] == "team" and stanza["enc"]
    assert_no_canary(canary, f)
    code, out, _ = run(capsys, "decrypt", str(f))
    assert code == 0 and out == f"password: {canary}\n"


def test_recipients_come_from_the_variable_the_plugin_names(keys_dir, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    monkeypatch.setenv("SOPS_FILE_WRAP_RECIPIENTS", "ops")
    assert run(capsys, "encrypt", "-i", str(f))[0] == 0
    assert [s["name"] for s in sops_block(f)["file_wrap"]] == ["ops"]


def test_a_file_wrap_key_that_does_not_match_fails_closed(keys_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    assert run(capsys, "encrypt", "--file-wrap", "team", "-i", str(f))[0] == 0
    (keys_dir / "team.key").write_text((keys_dir / "ops.key").read_text())
    code, out, err = run(capsys, "decrypt", str(f))
    assert code != 0 and out == ""
    assert "file_wrap team" in err and "does not open this data key" in err


def test_rotate_adds_and_removes_plugin_keys(keys_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    assert run(capsys, "encrypt", "--file-wrap", "team", "-i", str(f))[0] == 0
    assert run(capsys, "rotate", "-i", "--add-file-wrap", "ops", "--rm-file-wrap", "team", str(f))[0] == 0
    assert [s["name"] for s in sops_block(f)["file_wrap"]] == ["ops"]


def test_flat_creation_rule_uses_the_plugin_rule_key(keys_dir, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - path_regex: \\.yaml$\n    file_wrap_keys: team,ops\n"
    )
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    assert run(capsys, "encrypt", "-i", str(f))[0] == 0
    assert [s["name"] for s in sops_block(f)["file_wrap"]] == ["team", "ops"]


def test_key_groups_use_the_plugin_group_key_beside_age(keys_dir, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"
        f"      - age: [{ident.to_public()}]\n      - file_wrap: [team]\n"
    )
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    assert run(capsys, "encrypt", "-i", str(f))[0] == 0
    groups = sops_block(f)["key_groups"]
    assert [g["file_wrap"][0]["name"] for g in groups if g.get("file_wrap")] == ["team"]
    monkeypatch.setenv("SOPS_AGE_KEY", str(ident))
    assert run(capsys, "decrypt", str(f))[1] == "a: b\n"  # both shares needed: the plugin opened one


def test_metadata_with_only_plugin_stanzas_is_read_back_by_the_library(plugin, keys_dir) -> None:  # type: ignore[no-untyped-def]
    ctx = KeyContext.from_environ({"SOPS_FILE_WRAP_DIR": str(keys_dir)})
    enc = api.encrypt_bytes(
        b"k: v\n", "yaml", groups=[[plugin.FileWrapKeySource("team")]], options=EncryptOptions(), ctx=ctx
    )
    assert list(yaml.safe_load(enc)["sops"]) == [
        "lastmodified",
        "mac",
        "file_wrap",
        "unencrypted_suffix",
        "version",
    ]
    assert api.decrypt_bytes(enc, "yaml", ctx=ctx) == b"k: v\n"
    assert ctx.calls == {"file_wrap": 2}


@pytest.mark.parametrize("name", ["s.yaml", "s.env"])
def test_check_accepts_a_file_whose_only_key_is_the_plugin_s(  # type: ignore[no-untyped-def]
    name, keys_dir, tmp_path, monkeypatch, canary, capsys
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    f = root / name
    f.write_text("password: x\n" if name.endswith("yaml") else "password=x\n")
    f.write_text(f.read_text().replace("x", canary))
    assert run(capsys, "encrypt", "--file-wrap", "team", "-i", str(f))[0] == 0
    monkeypatch.chdir(root)
    code, out, _ = run(capsys, "check", "--no-progress", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == [], out
    assert_no_canary(canary, out)


def test_check_still_fails_a_plugin_stanza_that_wraps_nothing(  # type: ignore[no-untyped-def]
    keys_dir, tmp_path, monkeypatch, capsys
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    f = root / "s.yaml"
    f.write_text("password: hunter2-secret-value\n")
    assert run(capsys, "encrypt", "--file-wrap", "team", "-i", str(f))[0] == 0
    doc = yaml.safe_load(f.read_text())
    doc["sops"]["file_wrap"][0]["enc"] = ""
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.chdir(root)
    code, out, _ = run(capsys, "check", "--no-progress", "--format", "json")
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["sops-metadata-broken"]


def test_decryption_secret_entries_the_plugin_declares_become_its_credentials(plugin, keys_dir) -> None:  # type: ignore[no-untyped-def]
    key_b64 = (keys_dir / "team.key").read_text().strip()
    secret = {"data": {"team.filewrap": base64.b64encode(key_b64.encode()).decode()}}
    ctx = key_context({}, secret, "flux-system/sops-keys")
    assert ctx.env == {"SOPS_FILE_WRAP_KEYRING": f"team:{key_b64}\n"}
    enc = api.encrypt_bytes(
        b"k: v\n",
        "yaml",
        groups=[[plugin.FileWrapKeySource("team")]],
        options=EncryptOptions(),
        ctx=KeyContext.from_environ({"SOPS_FILE_WRAP_DIR": str(keys_dir)}),
    )
    assert api.decrypt_bytes(enc, "yaml", ctx=ctx) == b"k: v\n"
