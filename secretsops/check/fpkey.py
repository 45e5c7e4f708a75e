"""The per-repository key of ``check`` fingerprints: random, private, never in scanned content.

Fingerprints let reports and baselines tell findings apart without holding values. Keyed with a
public salt they would let anyone with a report confirm a guessed password offline, so the key
is 32 random bytes that live where the scan never looks and git never commits:

1. ``--fingerprint-key-file FILE`` (CI: a CI secret written to a file), else
2. ``GIT_COMMON_DIR/secretsops-check.key`` (``.git/secretsops-check.key``), created 0600 on first
   use, else (outside git, no key file)
3. a fresh key for this run only: fingerprints then match nothing from earlier runs.

A baseline matches only under the key it was written with: CI that checks a committed baseline
must be given the same key (docs/check.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from secretsops.check import gitio
from secretsops.errors import CheckError

KEY_FILE_NAME = "secretsops-check.key"
#: shortest key accepted from a file (bytes of its text, surrounding whitespace dropped)
MIN_KEY_BYTES = 16


def read_key_file(path: Path) -> bytes:
    """A key from a file the user names; too short or unreadable is a one-line error."""
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise CheckError(f"{path}: cannot read fingerprint key ({exc.strerror})") from None
    if len(key) < MIN_KEY_BYTES:
        raise CheckError(f"{path}: fingerprint key must be at least {MIN_KEY_BYTES} bytes")
    return key


def repository_key(root: Path, in_git: bool) -> bytes:
    """The repository's key (created on first use), or a one-run key outside git."""
    if not in_git:
        return secrets.token_bytes(32)
    path = gitio.common_dir(root) / KEY_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return read_key_file(path)
    except OSError as exc:
        raise CheckError(f"{path}: cannot create fingerprint key ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_hex(32).encode() + b"\n")
    return read_key_file(path)
