"""Private working directories for ciphertext (git checkouts, kustomize build copies).

Only ciphertext ever lands here, but we still keep it private (0700) and on a memory
filesystem (/dev/shm) when one is available, so nothing outlives the process on disk.
"""

from __future__ import annotations

import os
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


def make_private_dir(prefix: str, base: Path | None = None) -> Path:
    """Create a fresh 0700 directory (mkdtemp already uses 0700; we assert it anyway)."""
    root = private_base(base)
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    path.chmod(0o700)
    return path


@contextmanager
def private_dir(prefix: str, base: Path | None = None) -> Iterator[Path]:
    path = make_private_dir(prefix, base)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
