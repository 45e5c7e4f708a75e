"""Build a KeyContext from a Flux-style decryption Secret (and the edge's environment).

Flux's kustomize-controller reads ``*.agekey`` (age identities), ``sops.vault-token`` and
``sops.aws-kms`` (YAML with ``aws_access_key_id``/``aws_secret_access_key``/``aws_session_token``)
from the Secret named in ``decryption.secretRef``. We map them onto the variables sops itself
reads, in memory only; values from the Secret win over the process environment.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from secretsops import yamlio
from secretsops.errors import EngineError, InputError
from secretsops.keysources.base import KeyContext

AWS_FIELDS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
}


def _decode(secret: Mapping[str, Any], key: str, where: str) -> str:
    try:
        return base64.b64decode(str(secret["data"][key])).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise EngineError(f"{where}: key {key!r} is not base64-encoded UTF-8") from None


def env_from_secret(secret: Mapping[str, Any], where: str) -> dict[str, str]:
    """Credential variables from a decryption Secret's ``data`` (names only in errors)."""
    data = dict(secret.get("data") or {})
    env: dict[str, str] = {}
    identities = [_decode(secret, k, where).strip() for k in sorted(data) if k.endswith(".agekey")]
    if identities:
        env["SOPS_AGE_KEY"] = "\n".join(identities) + "\n"
    if "sops.vault-token" in data:
        env["VAULT_TOKEN"] = _decode(secret, "sops.vault-token", where).strip()
    if "sops.aws-kms" in data:
        try:
            creds = yamlio.load_one(_decode(secret, "sops.aws-kms", where), f"{where}: sops.aws-kms") or {}
        except InputError:
            raise EngineError(f"{where}: key 'sops.aws-kms' is not YAML") from None
        if not isinstance(creds, dict):
            raise EngineError(f"{where}: key 'sops.aws-kms' must be a mapping")
        for field, var in AWS_FIELDS.items():
            if creds.get(field):
                env[var] = str(creds[field])
    return env


def key_context(edge_env: Mapping[str, str], secret: Mapping[str, Any] | None, where: str = "") -> KeyContext:
    """The sops environment variables work too; the Secret's entries override them."""
    env = dict(edge_env)
    if secret is not None:
        env.update(env_from_secret(secret, where))
    return KeyContext(env=env)
