"""The merge driver: three-way merge of sops files by key path, re-encrypted in memory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from secretsops.cli.main import main
from secretsops.errors import MacMismatch
from secretsops.keysources.age import generate_identity
from secretsops.sops.git_drivers import MergeConflict, merge_files
from tests.gitdrivers.conftest import del_key, set_key
from tests.helpers import assert_no_canary

BASE = "user: admin\npassword: old\napi:\n    token: t0\n    url: https://example.invalid\nport: 5432\n"


def enc_values(data: bytes) -> dict[str, str]:
    """key → ENC[...] line of a top-level/nested value (ciphertext only)."""
    return dict(re.findall(rb"^\s*(\w+): (ENC\[[^\]]+\])", data, re.M))  # type: ignore[arg-type]


def write3(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[Path, Path, Path]:
    paths = (tmp_path / "O", tmp_path / "A", tmp_path / "B")
    for p, data in zip(paths, (base, ours, theirs), strict=True):
        p.write_bytes(data)
    return paths


def test_changes_to_different_keys_merge_cleanly(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "ours-pw"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "port", 6543))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    assert age_files.decrypt(a.read_bytes()) == BASE.replace("old", "ours-pw").replace("5432", "6543")


def test_unchanged_values_keep_their_ciphertext_from_either_side(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "ours-pw"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "root"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    merged = enc_values(a.read_bytes())
    assert merged[b"password"] == enc_values(ours)[b"password"]
    assert merged[b"user"] == enc_values(theirs)[b"user"]
    assert merged[b"token"] == enc_values(base)[b"token"]


def test_result_has_a_fresh_mac_that_verifies(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    mac = re.search(rb"mac: (ENC\[.*\])", a.read_bytes())
    assert mac and mac.group(1) not in (ours + theirs)
    age_files.decrypt(a.read_bytes())  # raises on MAC mismatch


def test_nested_keys_merge_independently(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0].get("api"), "token", "t1"))
    theirs = age_files.edit(base, lambda d: set_key(d[0].get("api"), "url", "https://new.invalid"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert "token: t1" in age_files.decrypt(a.read_bytes())
    assert "url: https://new.invalid" in age_files.decrypt(a.read_bytes())


def test_keys_added_on_both_sides_are_kept_in_place(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "ours_new", "1"))
    theirs = age_files.edit(base, lambda d: d[0].insert(1, ("theirs_new", "2")))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    text = age_files.decrypt(a.read_bytes())
    assert text.index("theirs_new") < text.index("password") and 'ours_new: "1"' in text


def test_deleting_an_unchanged_key_wins(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: del_key(d[0], "port"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert "port" not in age_files.decrypt(a.read_bytes())


def test_same_key_changed_differently_is_a_conflict_and_ours_is_untouched(age_files, tmp_path, canary):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", canary + "-ours"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "password", canary + "-theirs"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict) as err:
        merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    assert err.value.paths == ['["password"]']
    assert a.read_bytes() == ours
    assert_no_canary(canary, str(err.value), tmp_path)


def test_modify_versus_delete_is_a_conflict(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: del_key(d[0].get("api"), "token"))
    theirs = age_files.edit(base, lambda d: set_key(d[0].get("api"), "token", "t2"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict) as err:
        merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert err.value.paths == ['["api"]["token"]']


def test_values_of_different_types_are_different(age_files, tmp_path):
    base = age_files.encrypt("flag: true\n")
    ours = age_files.edit(base, lambda d: set_key(d[0], "flag", 1))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "flag", "true"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict):
        merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())


def test_reencryption_alone_never_conflicts(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "new"))
    theirs = age_files.encrypt(BASE)  # same values: fresh data key, IVs and MAC
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert age_files.decrypt(a.read_bytes()) == BASE.replace("old", "new")


def test_lists_merge_as_whole_values(age_files, tmp_path):
    base = age_files.encrypt("hosts:\n    - a\n    - b\n")
    ours = age_files.edit(base, lambda d: set_key(d[0], "hosts", ["a", "b", "c"]))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "hosts", ["a"]))
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict) as err:
        merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert err.value.paths == ['["hosts"]']


def test_multi_document_yaml_merges_per_document(age_files, tmp_path):
    base = age_files.encrypt("a: 1\n---\nb: 2\n")
    ours = age_files.edit(base, lambda d: set_key(d[0], "a", 10))
    theirs = age_files.edit(base, lambda d: set_key(d[1], "b", 20))
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert age_files.decrypt(a.read_bytes()) == "a: 10\n---\nb: 20\n"


def test_json_files_merge_too(age_files, tmp_path):
    base = age_files.encrypt('{"a": "1", "b": "2"}', "json")
    ours = age_files.edit(base, lambda d: set_key(d[0], "a", "x"), "json")
    theirs = age_files.edit(base, lambda d: set_key(d[0], "b", "y"), "json")
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "config.sops.json", ctx=age_files.ctx())
    assert json.loads(age_files.decrypt(a.read_bytes(), "json")) == {"a": "x", "b": "y"}


def test_the_data_key_is_unwrapped_once_for_all_three_versions(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    ctx = age_files.ctx()
    result = merge_files(o, a, b, "x.yaml", ctx=ctx)
    assert result.unwraps == 1 and ctx.calls == {"age": 1}


def test_only_theirs_changed_takes_theirs_without_any_key(age_files, tmp_path):
    from secretsops.keysources.base import KeyContext

    base = age_files.encrypt(BASE)
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    o, a, b = write3(tmp_path, base, base, theirs)
    merge_files(o, a, b, "x.yaml", ctx=KeyContext())
    assert a.read_bytes() == theirs


def test_recipients_added_by_one_side_are_kept(age_files, tmp_path):
    _, other = generate_identity()
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.encrypt(BASE.replace("admin", "root"), recipients=[age_files.recipient, other])
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    merged = a.read_bytes()
    assert other.encode() in merged
    text = age_files.decrypt(merged)
    assert "user: root" in text and "password: x" in text


def test_recipients_changed_on_both_sides_conflict(age_files, tmp_path):
    _, r1 = generate_identity()
    _, r2 = generate_identity()
    base = age_files.encrypt(BASE)
    ours = age_files.encrypt(BASE.replace("admin", "a"), recipients=[age_files.recipient, r1])
    theirs = age_files.encrypt(BASE.replace("old", "b"), recipients=[age_files.recipient, r2])
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict, match="sops metadata"):
        merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())


def test_tampered_side_fails_closed(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    theirs = theirs.replace(enc_values(theirs)[b"port"], enc_values(base)[b"token"])
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(Exception) as err:
        merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert not isinstance(err.value, MergeConflict)
    assert a.read_bytes() == ours


def test_mac_tampering_on_a_side_is_a_mac_mismatch(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    theirs = re.sub(rb"lastmodified: \"[^\"]+\"", b'lastmodified: "2001-01-01T00:00:00Z"', theirs)
    o, a, b = write3(tmp_path, base, ours, theirs)
    with pytest.raises(MacMismatch):
        merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert a.read_bytes() == ours


def test_cli_reports_conflicting_paths_and_exits_non_zero(age_files, tmp_path, monkeypatch, capsys, canary):
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_files.key_file))
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0].get("api"), "token", canary + "1"))
    theirs = age_files.edit(base, lambda d: set_key(d[0].get("api"), "token", canary + "2"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    code = main(["merge-driver", str(o), str(a), str(b), "secrets/app.sops.yaml"])
    out = capsys.readouterr()
    assert code == 1
    assert '["api"]["token"]' in out.err and "secrets/app.sops.yaml" in out.err
    assert_no_canary(canary, out.err, out.out, tmp_path)
    assert a.read_bytes() == ours


def test_cli_merges_cleanly_with_exit_zero(age_files, tmp_path, monkeypatch):
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_files.key_file))
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    assert main(["merge-driver", str(o), str(a), str(b), "app.sops.yaml"]) == 0
    assert "user: yo" in age_files.decrypt(a.read_bytes())


def test_cli_without_a_key_fails_with_one_line_and_writes_nothing(age_files, tmp_path, capsys):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.edit(base, lambda d: set_key(d[0], "user", "yo"))
    o, a, b = write3(tmp_path, base, ours, theirs)
    code = main(["merge-driver", str(o), str(a), str(b), "app.sops.yaml"])
    err = capsys.readouterr().err
    assert code == 128 and err.count("\n") == 1 and "Traceback" not in err
    assert a.read_bytes() == ours


def test_a_data_key_rotation_on_one_side_is_kept(age_files, tmp_path):
    base = age_files.encrypt(BASE)
    ours = age_files.edit(base, lambda d: set_key(d[0], "password", "x"))
    theirs = age_files.encrypt(BASE)  # `sops rotate`: same recipients and values, new data key
    o, a, b = write3(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    merged = a.read_bytes()
    assert yaml.safe_load(merged)["sops"]["age"] == yaml.safe_load(theirs)["sops"]["age"]
    assert "password: x" in age_files.decrypt(merged)


def test_file_added_on_both_sides_merges_by_key(age_files, tmp_path):
    ours = age_files.encrypt("a: 1\nshared: same\n")
    theirs = age_files.encrypt("b: 2\nshared: same\n")
    o, a, b = write3(tmp_path, b"", ours, theirs)
    merge_files(o, a, b, "x.yaml", ctx=age_files.ctx())
    assert age_files.decrypt(a.read_bytes()) == "b: 2\na: 1\nshared: same\n"  # where theirs put it
