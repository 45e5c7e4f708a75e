"""The one plaintext file secretsops writes: ``edit``'s copy for the editor, and its cleanup.

An editor needs a file, so ``edit`` writes the decrypted document to a 0600 file on a memory
filesystem (/dev/shm when present) and removes it when the editor is done. It must also go when
secretsops is told to stop: SIGTERM and SIGHUP (a closed terminal, a CI timeout) are turned
into an orderly exit that removes the file, as Ctrl+C already does. SIGKILL cannot be caught,
so the name carries our pid (``secretsops-edit-<pid>-…``) and every later ``edit`` removes the
files whose process is gone: a plaintext file outlives a killed ``edit`` only until the next one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from secretsops.cli.stop_signals import Stopped, stop_signals_raise

__all__ = ["PREFIX", "Stopped", "plaintext_file", "remove_stale", "temp_directory"]

MEMORY_FS = Path("/dev/shm")  # noqa: S108 - 0600 files with unpredictable names, removed
PREFIX = "secretsops-edit-"
_STAMPED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")


def temp_directory() -> Path:
    """Where the file goes: /dev/shm when it is there and writable, else the temp directory."""
    if MEMORY_FS.is_dir() and os.access(MEMORY_FS, os.W_OK | os.X_OK):
        return MEMORY_FS
    return Path(tempfile.gettempdir())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to judge
    return True


def remove_stale(directory: Path) -> list[Path]:
    """Remove our edit files whose process is gone (only files we own); return what went."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    uid = os.getuid()
    for entry in entries:
        found = _STAMPED.match(entry.name)
        if not found or int(found.group(1)) == os.getpid() or _alive(int(found.group(1))):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == uid:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextmanager
def plaintext_file(content: bytes, suffix: str) -> Iterator[Path]:
    """A 0600 file holding ``content`` for an editor; gone when the block ends, however it ends."""
    directory = temp_directory()
    remove_stale(directory)
    with stop_signals_raise():
        fd, name = tempfile.mkstemp(dir=directory, prefix=f"{PREFIX}{os.getpid()}-", suffix=suffix)
        path = Path(name)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            yield path
        finally:
            path.unlink(missing_ok=True)
