"""The few git plumbing calls check needs, with failures turned into one-line CheckErrors.

git itself runs in ``secretsops.git`` (the one module that starts git); blob contents are
streamed through one ``git cat-file --batch`` process there.
"""

from __future__ import annotations

from pathlib import Path

from secretsops import git as gitexec
from secretsops.errors import CheckError

toplevel = gitexec.toplevel
cat_blobs = gitexec.cat_blobs


def git(root: Path, *args: str, check: bool = True) -> bytes:
    try:
        result = gitexec.run(["-C", str(root), *args])
    except gitexec.GitNotRun:
        raise CheckError("git is not installed or cannot be run") from None
    if check and not result.ok:
        first = result.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise CheckError(f"git {args[0]} failed: {first[0] if first else 'exit ' + str(result.returncode)}")
    return result.stdout


def common_dir(root: Path) -> Path:
    """The repository's git directory shared by all its work trees (never checked out or scanned)."""
    out = git(root, "rev-parse", "--git-common-dir").decode("utf-8", "surrogateescape").strip()
    path = Path(out)
    return path if path.is_absolute() else (root / path)


def has_head(root: Path) -> bool:
    return bool(git(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip())
