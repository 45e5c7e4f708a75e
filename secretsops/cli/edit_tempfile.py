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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from secretsops.cli.stop_signals import Stopped, stop_signals_raise
from secretsops.engine.workdir import private_base, remove_stale_dirs

__all__ = ["PREFIX", "Stopped", "plaintext_file", "remove_stale", "temp_directory"]

PREFIX = "secretsops-edit-"


def temp_directory() -> Path:
    """Where the file goes: /dev/shm when it is there and writable, else the temp directory."""
    return private_base()


def remove_stale(directory: Path) -> list[Path]:
    """Remove the files (and private directories) of our processes that are gone; return them."""
    return remove_stale_dirs(directory)


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
