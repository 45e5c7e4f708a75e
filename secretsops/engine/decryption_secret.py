"""Build a KeyContext from a Flux-style decryption Secret (and the edge's environment).

Flux's kustomize-controller reads ``*.agekey`` (age identities), ``sops.vault-token`` and
``sops.aws-kms`` from the Secret named in ``decryption.secretRef``. Which entries mean what is
each key source's to say (``MasterKey.env_from_decryption_secret``, asked of every installed key
source, plugins included); they become the variables sops itself reads, in memory only. Values
from the Secret win over the process environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secretsops.errors import EngineError, InputError
from secretsops.keysources.base import DecryptionSecret, KeyContext
from secretsops.keysources.registry import keysources


def env_from_secret(secret: Mapping[str, Any], where: str) -> dict[str, str]:
    """Credential variables from a decryption Secret's ``data`` (names only in errors)."""
    entries = DecryptionSecret(dict(secret.get("data") or {}), where)
    env: dict[str, str] = {}
    for source in keysources().classes():
        try:
            env.update(source.env_from_decryption_secret(entries))
        except InputError as exc:
            raise EngineError(str(exc)) from None
    return env


def key_context(edge_env: Mapping[str, str], secret: Mapping[str, Any] | None, where: str = "") -> KeyContext:
    """The sops environment variables work too; the Secret's entries override them."""
    env = dict(edge_env)
    if secret is not None:
        env.update(env_from_secret(secret, where))
    return KeyContext(env=env)
