"""A test key source: the SOPS data key wrapped with AES-256-GCM keys kept in files.

Deliberately named unlike its kind everywhere (flag ``--file-wrap``, rule key
``file_wrap_keys``, group key ``file_wrap``, recipients from ``SOPS_FILE_WRAP_RECIPIENTS``) so
the tests show secretsops reads each declaration rather than guessing from the kind.

Key material, from ``KeyContext.env`` only: ``SOPS_FILE_WRAP_KEYRING`` (``name:base64`` lines,
what the engine builds from a Flux decryption Secret's ``<name>.filewrap`` entries), then
``SOPS_FILE_WRAP_DIR/<name>.key``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secretsops.errors import InputError, KeySourceError
from secretsops.keysources.base import DecryptionSecret, KeyContext, MasterKey

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_SECRET_SUFFIX = ".filewrap"


def new_key(directory: Path, name: str) -> Path:
    """Write a fresh key ``<directory>/<name>.key`` (0600) and return its path."""
    _check_name(name)
    path = directory / f"{name}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return path


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(f"invalid file-wrap key name {name!r} (letters, digits, '-', '_')")
    return name


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeySourceError(f"{source} is not base64") from None
    if len(key) != 32:
        raise KeySourceError(f"{source} is not a 32-byte key")
    return key


def _load_key(ctx: KeyContext, name: str) -> bytes:
    for line in ctx.env.get("SOPS_FILE_WRAP_KEYRING", "").splitlines():
        key_name, sep, value = line.partition(":")
        if sep and key_name.strip() == name:
            return _decode_key(value, f"SOPS_FILE_WRAP_KEYRING entry {name!r}")
    directory = ctx.env.get("SOPS_FILE_WRAP_DIR")
    if not directory:
        raise KeySourceError(f"file-wrap key {name!r}: set SOPS_FILE_WRAP_DIR or SOPS_FILE_WRAP_KEYRING")
    path = Path(directory) / f"{name}.key"
    try:
        text = path.read_text()
    except OSError:
        raise KeySourceError(f"file-wrap key {name!r}: cannot read {path}") from None
    return _decode_key(text, str(path))


class FileWrapKeySource(MasterKey):
    """One named file key that wraps the data key."""

    kind = "file_wrap"
    cli_flag = "file-wrap"
    rule_key = "file_wrap_keys"
    group_key = "file_wrap"
    recipients_env = "SOPS_FILE_WRAP_RECIPIENTS"
    priority = 30

    def __init__(self, name: str, *, enc: str = "", created_at: str = "") -> None:
        self.name = _check_name(name)
        self.enc = enc
        self.created_at = created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def identifier(self) -> str:
        return self.name

    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(_load_key(ctx, self.name)).encrypt(nonce, data_key, self.name.encode())
        self.enc = base64.b64encode(nonce + sealed).decode("ascii")

    def unwrap(self, ctx: KeyContext) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            blob = base64.b64decode(self.enc, validate=True)
        except (binascii.Error, ValueError):
            raise KeySourceError(f"file-wrap key {self.name!r}: enc is not base64") from None
        try:
            return AESGCM(_load_key(ctx, self.name)).decrypt(blob[:12], blob[12:], self.name.encode())
        except (InvalidTag, ValueError):
            raise KeySourceError(f"file-wrap key {self.name!r} does not open this data key") from None

    def to_metadata(self) -> dict[str, Any]:
        return {"name": self.name, "created_at": self.created_at, "enc": self.enc}

    @classmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        name = stanza.get("name")
        if not isinstance(name, str):
            raise InputError("sops metadata: a file_wrap entry has no name")
        return cls(name, enc=str(stanza.get("enc") or ""), created_at=str(stanza.get("created_at") or ""))

    @classmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        return cls.from_rule(value, options)

    @classmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        if isinstance(value, str):
            names = value.split(",")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            names = list(value)
        else:
            raise InputError("file-wrap keys must be a comma-separated string or a list of names")
        return [cls(n.strip()) for n in names if n.strip()]

    @classmethod
    def env_from_decryption_secret(cls, secret: DecryptionSecret) -> dict[str, str]:
        """Flux-style: each ``<name>.filewrap`` entry holds that key (base64)."""
        lines = [
            f"{k[: -len(_SECRET_SUFFIX)]}:{secret.text(k).strip()}"
            for k in secret.names()
            if k.endswith(_SECRET_SUFFIX)
        ]
        return {"SOPS_FILE_WRAP_KEYRING": "\n".join(lines) + "\n"} if lines else {}
