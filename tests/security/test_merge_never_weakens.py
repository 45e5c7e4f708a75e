"""Issue 11 row 5: a sops merge is never weaker than either side, and the diff shows crypt rules.

The attack: one branch narrows ``encrypted_regex`` to ``^data$`` (its diff looked empty), the
other adds ``stringData.newpw``; the merge driver took the narrowed rules and committed ``newpw``
in plaintext.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from secretsops.cli.main import main
from secretsops.keysources.age import AgeKeySource
from secretsops.sops.api import EncryptOptions, decrypt_tree, encrypt_bytes, load_encrypted, reencrypt
from secretsops.sops.git_drivers import MergeConflict, merge_files, textconv
from secretsops.sops.tree import CryptRules
from secretsops_devstack.services import find_tool
from tests.gitdrivers.conftest import set_key
from tests.helpers import assert_no_canary, new_canary

SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  pw: cGFzcw==\nstringData:\n  user: admin\n"
)


def _encrypt(age_files, text: str) -> bytes:  # type: ignore[no-untyped-def]
    opts = EncryptOptions(encrypted_regex="^(data|stringData)$")
    return encrypt_bytes(
        text.encode(), "yaml", groups=[[AgeKeySource(age_files.recipient)]], options=opts, ctx=age_files.ctx()
    )


def _narrow_rules(age_files, data: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """What the hostile branch does: re-encrypt with ``encrypted_regex: ^data$``."""
    tree = decrypt_tree(load_encrypted(data, "yaml"), ctx=age_files.ctx())
    tree.metadata = dataclasses.replace(tree.metadata, rules=CryptRules(encrypted_regex="^data$"))
    return reencrypt(tree)


def _add_newpw(age_files, value: str):  # type: ignore[no-untyped-def]
    return lambda docs: set_key(next(v for k, v in docs[0] if k == "stringData"), "newpw", value)


def _three(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[Path, Path, Path]:
    paths = (tmp_path / "O", tmp_path / "A", tmp_path / "B")
    for p, data in zip(paths, (base, ours, theirs), strict=True):
        p.write_bytes(data)
    return paths


def test_narrowed_rules_on_one_side_and_a_new_secret_on_the_other_conflict(age_files, tmp_path: Path) -> None:
    canary = new_canary()
    base = _encrypt(age_files, SECRET)
    ours = _narrow_rules(age_files, base)
    theirs = age_files.edit(base, _add_newpw(age_files, canary))
    o, a, b = _three(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict) as err:
        merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    assert '["stringData"]["newpw"]' in str(err.value) and '["stringData"]["user"]' in str(err.value)
    assert a.read_bytes() == ours
    assert_no_canary(canary, str(err.value), a.read_bytes())


def test_the_same_attack_with_the_sides_swapped_conflicts_too(age_files, tmp_path: Path) -> None:
    canary = new_canary()
    base = _encrypt(age_files, SECRET)
    ours = age_files.edit(base, _add_newpw(age_files, canary))
    theirs = _narrow_rules(age_files, base)
    o, a, b = _three(tmp_path, base, ours, theirs)
    with pytest.raises(MergeConflict, match=r'\["stringData"\]\["newpw"\]'):
        merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    assert a.read_bytes() == ours


def test_a_merge_that_keeps_every_value_encrypted_still_merges(age_files, tmp_path: Path) -> None:
    base = _encrypt(age_files, SECRET)
    ours = age_files.edit(base, lambda d: set_key(next(v for k, v in d[0] if k == "data"), "pw", "bmV3"))
    theirs = age_files.edit(base, _add_newpw(age_files, "x"))
    o, a, b = _three(tmp_path, base, ours, theirs)
    merge_files(o, a, b, "db.sops.yaml", ctx=age_files.ctx())
    merged = a.read_text()
    assert "newpw: ENC[" in merged and "pw: ENC[" in merged and "user: ENC[" in merged


def test_the_textconv_diff_shows_a_change_of_crypt_rules(age_files) -> None:
    base = _encrypt(age_files, SECRET)
    before = textconv(base, "db.sops.yaml", ctx=age_files.ctx())
    after = textconv(_narrow_rules(age_files, base), "db.sops.yaml", ctx=age_files.ctx())
    assert "# encrypted_regex: ^(data|stringData)$" in before
    assert "# encrypted_regex: ^data$" in after
    assert before != after


def test_the_textconv_diff_shows_a_change_of_recipients(age_files) -> None:
    from secretsops.keysources.age import generate_identity

    base = _encrypt(age_files, SECRET)
    _, extra = generate_identity()
    tree = decrypt_tree(load_encrypted(base, "yaml"), ctx=age_files.ctx())
    wider = encrypt_bytes(
        SECRET.encode(),
        "yaml",
        groups=[[AgeKeySource(age_files.recipient), AgeKeySource(extra)]],
        options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
        ctx=age_files.ctx(),
    )
    assert tree.metadata.key_groups
    assert f"# recipient: age {extra}" in textconv(wider, "db.sops.yaml", ctx=age_files.ctx())
    assert extra not in textconv(base, "db.sops.yaml", ctx=age_files.ctx())


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check, timeout=60)


def test_a_real_git_merge_of_the_attack_conflicts_and_commits_no_plaintext(
    age_files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    canary = new_canary()
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_files.key_file))
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    assert main(["git-setup", "--repo", str(repo), "--command", find_tool("secretsops")]) == 0
    f = repo / "db.sops.yaml"
    f.write_bytes(_encrypt(age_files, SECRET))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "feature")
    f.write_bytes(age_files.edit(f.read_bytes(), _add_newpw(age_files, canary)))
    _git(repo, "commit", "-q", "-am", "add newpw")
    _git(repo, "checkout", "-q", "main")
    f.write_bytes(_narrow_rules(age_files, f.read_bytes()))
    _git(repo, "commit", "-q", "-am", "narrow the rules")
    proc = _git(repo, "merge", "--no-edit", "feature", check=False)
    assert proc.returncode != 0 and '["stringData"]["newpw"]' in proc.stdout + proc.stderr
    assert canary not in f.read_text()
    assert_no_canary(canary, proc.stdout, proc.stderr)
