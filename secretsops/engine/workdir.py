"""Private working directories for ciphertext (git checkouts, kustomize build copies).

Only ciphertext ever lands here (and, for a GnuPG home, the decryption keys), but we still keep
it private (0700) and on a memory filesystem (/dev/shm) when one is available, so nothing
outlives the machine. Nothing may outlive the process either: each directory is removed when
its work is done, the engine stops on SIGTERM through its loop, and because SIGKILL cannot be
caught, names carry the creating pid (``secretsops-src-<pid>-…``) and creating a directory first
removes those of processes that are gone. ``render`` itself creates none: kustomize builds the
user's tree in place (``engine.kustomize``), nothing is copied.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MEMORY_FS = Path("/dev/shm")  # noqa: S108 - private 0700 dirs inside it, never a fixed name


def private_base(preferred: Path | None = None) -> Path:
    """The directory new private dirs are created in: ``preferred``, /dev/shm, or the temp dir."""
    if preferred is not None:
        return preferred
    if MEMORY_FS.is_dir() and os.access(MEMORY_FS, os.W_OK | os.X_OK):
        return MEMORY_FS
    return Path(tempfile.gettempdir())


#: ``secretsops-<what>-<pid>-<random>``, as :func:`make_private_dir` names them
_STAMPED = re.compile(r"^secretsops-[a-z]+-(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def remove_stale_dirs(root: Path) -> list[Path]:
    """Remove our private directories and files (``edit``'s) in ``root`` whose creating process is
    gone (ours only)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    uid = os.getuid()
    for entry in entries:
        found = _STAMPED.match(entry.name)
        if not found or int(found.group(1)) == os.getpid() or _alive(int(found.group(1))):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != uid:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
            else:
                continue
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def make_private_dir(prefix: str, base: Path | None = None) -> Path:
    """Create a fresh 0700 directory named for this process; first remove dead processes' ones.

    ``prefix`` is ``secretsops-<what>-``; mkdtemp already uses 0700, we assert it anyway.
    """
    root = private_base(base)
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_dirs(root)
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root))
    path.chmod(0o700)
    return path


@contextmanager
def private_dir(prefix: str, base: Path | None = None) -> Iterator[Path]:
    path = make_private_dir(prefix, base)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
