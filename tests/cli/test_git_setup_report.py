"""``secretsops git-setup`` says which patterns have the drivers, which SOPS files still have none,
and how to add them — in a real git repository, with files the real sops encrypted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from secretsops.keysources.age import generate_identity


def _run(argv: list[str], cwd: Path) -> str:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True, timeout=60).stdout


def _setup(repo: Path, *extra: str) -> str:
    return _run([sys.executable, "-m", "secretsops", "git-setup", "--command", "secretsops", *extra], repo)


@pytest.fixture
def repo(tmp_path: Path, sops_bin: str) -> Path:
    """A repository whose SOPS files are named as people name them, not only ``*.sops.*``."""
    recipient = generate_identity()[1]
    _run(["git", "init", "-q", "-b", "main"], tmp_path)
    for name, plaintext in (("secrets.yaml", "password: x\n"), ("app.sops.yaml", "token: y\n")):
        encrypted = subprocess.run(
            [sops_bin, "encrypt", "--age", recipient, "--filename-override", name, "/dev/stdin"],
            input=plaintext,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        (tmp_path / name).write_text(encrypted)
    (tmp_path / "values.yaml").write_text("replicas: 2\n")
    return tmp_path


def test_git_setup_lists_the_patterns_it_installed(repo: Path) -> None:
    first = _setup(repo).splitlines()[0]
    assert first == (
        f"{repo / '.gitattributes'}: merge and diff through secretsops for: *.sops.yaml *.sops.yml "
        "*.sops.json *.sops.env *.sops.ini (5 added now, commit .gitattributes)"
    )


def test_git_setup_names_an_encrypted_file_no_pattern_covers_and_the_command_to_add_it(repo: Path) -> None:
    out = _setup(repo).splitlines()
    assert (
        "1 SOPS-encrypted file matches no pattern (git merges and diffs it as ciphertext): secrets.yaml"
    ) in out
    assert "  add: secretsops git-setup --pattern secrets.yaml" in out


def test_the_suggested_command_gives_the_file_the_drivers(repo: Path) -> None:
    _setup(repo)
    out = _setup(repo, "--pattern", "secrets.yaml")
    assert "matches no pattern" not in out
    assert out.splitlines()[0].endswith("*.sops.ini secrets.yaml (1 added now, commit .gitattributes)")
    attr = _run(["git", "check-attr", "merge", "diff", "--", "secrets.yaml"], repo).splitlines()
    assert attr == ["secrets.yaml: merge: secretsops", "secrets.yaml: diff: secretsops"]


def test_git_setup_says_how_to_add_more_patterns(repo: Path) -> None:
    out = _setup(repo).splitlines()
    assert (
        out[-1] == "more files: secretsops git-setup --pattern 'PATTERN' (gitattributes syntax; repeatable)"
    )
