"""Fixtures for the git drivers: an age identity and helpers to make and edit sops files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import (
    EncryptOptions,
    decrypt_bytes,
    decrypt_tree,
    encrypt_bytes,
    load_encrypted,
    reencrypt,
)
from secretsops.sops.tree import Branch


@dataclass
class AgeFiles:
    """Encrypt, edit (keeping unchanged IVs, as `sops edit` does) and decrypt YAML with one age key."""

    key_file: Path
    recipient: str

    @property
    def env(self) -> dict[str, str]:
        return {"SOPS_AGE_KEY_FILE": str(self.key_file)}

    def ctx(self) -> KeyContext:
        return KeyContext(env=self.env)

    def encrypt(self, text: str, fmt: str = "yaml", recipients: list[str] | None = None) -> bytes:
        keys = [AgeKeySource(r) for r in (recipients or [self.recipient])]
        return encrypt_bytes(text.encode(), fmt, groups=[keys], options=EncryptOptions(), ctx=self.ctx())

    def edit(self, data: bytes, change: Callable[[list[Branch]], None], fmt: str = "yaml") -> bytes:
        tree = decrypt_tree(load_encrypted(data, fmt), ctx=self.ctx())
        change(tree.branches)
        return reencrypt(tree)

    def decrypt(self, data: bytes, fmt: str = "yaml") -> str:
        return decrypt_bytes(data, fmt, ctx=self.ctx()).decode()


def set_key(branch: Branch, key: str, value: Any) -> None:
    for i, (k, _) in enumerate(branch):
        if k == key:
            branch[i] = (key, value)
            return
    branch.append((key, value))


def del_key(branch: Branch, key: str) -> None:
    branch[:] = [(k, v) for k, v in branch if k != key]


@pytest.fixture(scope="session")
def age_files(tmp_path_factory: pytest.TempPathFactory) -> AgeFiles:
    secret, recipient = generate_identity()
    key_file = tmp_path_factory.mktemp("age") / "keys.txt"
    key_file.write_text(secret + "\n")
    key_file.chmod(0o600)
    return AgeFiles(key_file, recipient)
