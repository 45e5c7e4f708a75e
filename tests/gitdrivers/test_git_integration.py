"""The drivers inside real git: git-setup, a real `git merge`, `git diff` through textconv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from secretsops.cli.main import main
from secretsops_devstack.services import find_tool
from tests.gitdrivers.conftest import set_key
from tests.helpers import assert_no_canary

SECRETSOPS = find_tool("secretsops")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check, timeout=60)


def all_blobs(repo: Path) -> bytes:
    """Every object git stores (so the test can say plaintext never reached the repository)."""
    names = git(repo, "rev-list", "--all", "--objects").stdout.split()
    shas = [n for n in names if len(n) == 40]
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input="\n".join(shas).encode(),
        capture_output=True,
        check=True,
    )
    return proc.stdout


@pytest.fixture
def repo(tmp_path, monkeypatch, age_files) -> Path:
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_files.key_file))
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    assert main(["git-setup", "--repo", str(r), "--command", SECRETSOPS]) == 0
    return r


def test_git_setup_writes_attributes_and_config(repo):
    attrs = (repo / ".gitattributes").read_text()
    assert "*.sops.yaml merge=secretsops diff=secretsops" in attrs
    driver = git(repo, "config", "merge.secretsops.driver").stdout.strip()
    assert driver == f"{SECRETSOPS} merge-driver %O %A %B %P"
    assert git(repo, "config", "diff.secretsops.textconv").stdout.strip() == f"{SECRETSOPS} diff-driver"
    assert git(repo, "config", "diff.secretsops.cachetextconv").stdout.strip() == "false"
    assert git(repo, "check-attr", "merge", "--", "app.sops.yaml").stdout.strip().endswith("secretsops")


def test_git_setup_is_idempotent(repo):
    before = (repo / ".gitattributes").read_text()
    assert main(["git-setup", "--repo", str(repo), "--command", SECRETSOPS]) == 0
    assert (repo / ".gitattributes").read_text() == before


def test_git_setup_outside_a_repository_is_a_clear_error(tmp_path, capsys):
    assert main(["git-setup", "--repo", str(tmp_path)]) != 0
    assert "git rev-parse failed" in capsys.readouterr().err


def _branches_changing(repo: Path, age_files, sops_made_base: bytes, ours_change, theirs_change) -> Path:
    f = repo / "app.sops.yaml"
    f.write_bytes(sops_made_base)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    f.write_bytes(age_files.edit(f.read_bytes(), theirs_change))
    git(repo, "commit", "-q", "-am", "theirs")
    git(repo, "checkout", "-q", "main")
    f.write_bytes(age_files.edit(f.read_bytes(), ours_change))
    git(repo, "commit", "-q", "-am", "ours")
    return f


def sops_encrypt(sops_bin: str, age_files, text: str, tmp_path: Path) -> bytes:
    plain = tmp_path / "plain.yaml"
    plain.write_text(text)
    proc = subprocess.run(
        [sops_bin, "encrypt", "--age", age_files.recipient, str(plain)],
        capture_output=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    plain.unlink()
    return proc.stdout


def sops_decrypt(sops_bin: str, age_files, path: Path) -> str:
    proc = subprocess.run(
        [sops_bin, "decrypt", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "SOPS_AGE_KEY_FILE": str(age_files.key_file)},
    )
    return proc.stdout


def test_real_git_merge_of_different_keys_is_clean_and_sops_decrypts_it(
    repo, age_files, sops_bin, tmp_path, canary
):
    plain = f"db:\n    user: admin\n    password: {canary}\napi_key: k1\n"
    base = sops_encrypt(sops_bin, age_files, plain, tmp_path)
    f = _branches_changing(
        repo,
        age_files,
        base,
        ours_change=lambda d: set_key(d[0].get("db"), "user", "root"),
        theirs_change=lambda d: set_key(d[0], "api_key", "k2"),
    )
    proc = git(repo, "merge", "--no-edit", "feature", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merged = sops_decrypt(sops_bin, age_files, f)
    assert merged == f"db:\n    user: root\n    password: {canary}\napi_key: k2\n"
    assert git(repo, "status", "--porcelain").stdout == ""
    assert_no_canary(canary, proc.stdout, proc.stderr, repo, all_blobs(repo))


def test_real_git_merge_conflict_leaves_ciphertext_and_names_the_key(
    repo, age_files, sops_bin, tmp_path, canary
):
    base = sops_encrypt(sops_bin, age_files, "password: p0\nother: o\n", tmp_path)
    f = _branches_changing(
        repo,
        age_files,
        base,
        ours_change=lambda d: set_key(d[0], "password", canary + "-main"),
        theirs_change=lambda d: set_key(d[0], "password", canary + "-feature"),
    )
    ours = f.read_bytes()
    proc = git(repo, "merge", "--no-edit", "feature", check=False)
    assert proc.returncode != 0
    assert '["password"]' in proc.stderr + proc.stdout
    assert f.read_bytes() == ours
    assert b"<<<<<<<" not in f.read_bytes()
    assert_no_canary(canary, proc.stdout, proc.stderr, repo, all_blobs(repo))


def test_git_diff_shows_the_changed_key_through_textconv(repo, age_files, tmp_path):
    f = repo / "app.sops.yaml"
    f.write_bytes(age_files.encrypt("a: one\nb: two\n"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "x")
    f.write_bytes(age_files.edit(f.read_bytes(), lambda d: set_key(d[0], "b", "three")))
    diff = git(repo, "diff").stdout
    assert '-["b"]: "two"' in diff and '+["b"]: "three"' in diff
    assert '-["a"]' not in diff and '+["a"]' not in diff
    assert "ENC[" not in diff


def test_redacted_git_diff_shows_fingerprints_never_values(repo, age_files, canary):
    assert main(["git-setup", "--repo", str(repo), "--command", SECRETSOPS, "--redact"]) == 0
    f = repo / "app.sops.yaml"
    f.write_bytes(age_files.encrypt(f"a: {canary}\nb: two\n"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "x")
    f.write_bytes(age_files.edit(f.read_bytes(), lambda d: set_key(d[0], "a", canary + "2")))
    diff = git(repo, "diff").stdout
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == 2 and all(line[1:].startswith('["a"]: <fp ') for line in changed)
    assert_no_canary(canary, diff)


def test_textconv_of_a_plain_file_passes_it_through(tmp_path, capsys):
    f = tmp_path / "plain.sops.yaml"
    f.write_text("hello: world\n")
    assert main(["diff-driver", str(f)]) == 0
    assert capsys.readouterr().out == "hello: world\n"


def test_textconv_lists_recipients_and_values_by_key_path(tmp_path, capsys, age_files, monkeypatch):
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_files.key_file))
    f = tmp_path / "x.sops.json"
    f.write_bytes(age_files.encrypt(json.dumps({"a": {"b": [True, "two"]}, "c_unencrypted": "open"}), "json"))
    assert main(["diff-driver", str(f)]) == 0
    out = capsys.readouterr().out
    assert f"# recipient: age {age_files.recipient}" in out
    assert '["a"]["b"][0]: true\n["a"]["b"][1]: "two"\n["c_unencrypted"]: "open"\n' in out


def test_redacted_textconv_without_keys_fingerprints_the_ciphertext(tmp_path, capsys, age_files):
    f = tmp_path / "x.sops.yaml"
    f.write_bytes(age_files.encrypt("a: secret\nb_unencrypted: visible\n"))
    assert main(["diff-driver", "--redact", str(f)]) == 0
    out = capsys.readouterr().out
    assert '["a"]: <enc ' in out and '["b_unencrypted"]: "visible"' in out and "secret" not in out


def test_plain_textconv_without_keys_fails_with_one_line(tmp_path, capsys, age_files):
    f = tmp_path / "x.sops.yaml"
    f.write_bytes(age_files.encrypt("a: secret\n"))
    assert main(["diff-driver", str(f)]) == 128
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "secret" not in err.replace("secretsops", "")


def test_textconv_shows_comments_and_list_indices_without_counting_comments(tmp_path, capsys, age_files):
    from secretsops.keysources.base import KeyContext
    from secretsops.sops.git_drivers import textconv

    data = age_files.encrypt("# top\nlist:\n    # about x\n    - x\n    - y\n")
    out = textconv(data, "f.yaml", ctx=KeyContext(env=age_files.env))
    assert '<root> # top\n' in out and '["list"][0]: "x"\n["list"][1]: "y"\n' in out
