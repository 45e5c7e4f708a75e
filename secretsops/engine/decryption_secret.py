"""Build a KeyContext from a Flux-style decryption Secret (and the edge's environment).

Flux's kustomize-controller reads ``*.agekey`` (age identities), ``*.asc`` (armored OpenPGP
secret keys), ``sops.vault-token``, ``sops.aws-kms``, ``sops.azure-kv`` and ``sops.gcp-kms``
from the Secret named in ``decryption.secretRef``. Which entries mean what is each key
source's to say (``MasterKey.env_from_decryption_secret``, asked of every installed key source,
plugins included); they become the variables sops itself reads, in memory only. Values from the
Secret win over the process environment.

``*.asc`` keys go into a private GnuPG home made for the pass (0700, on /dev/shm when it
exists), whose gpg-agent is stopped and which is removed when the pass is done: the keys never
meet the user's or another source's keyring. A provider entry no installed key source reads
(``sops.azure-kv`` without an Azure key source) is an error naming the entry, not a silent skip
that would surface later as "no key could decrypt the data key".
"""

from __future__ import annotations

import base64
import binascii
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from secretsops.engine.workdir import make_private_dir
from secretsops.errors import EngineError, InputError
from secretsops.keysources.base import DecryptionSecret, KeyContext
from secretsops.keysources.registry import keysources

#: Flux's provider entries -> the sops metadata kind a key source must have to read them
PROVIDER_ENTRIES = {"sops.azure-kv": ("azure_kv", "Azure Key Vault"), "sops.gcp-kms": ("gcp_kms", "GCP KMS")}
PGP_SUFFIX = ".asc"


def env_from_secret(secret: Mapping[str, Any], where: str) -> dict[str, str]:
    """Credential variables from a decryption Secret's ``data`` (names only in errors)."""
    data = dict(secret.get("data") or {})
    entries = DecryptionSecret(data, where)
    classes = list(keysources().classes())
    kinds = {source.kind for source in classes}
    for entry, (kind, service) in PROVIDER_ENTRIES.items():
        if entry in data and kind not in kinds:
            raise EngineError(
                f"{where}: entry {entry!r} ({service} credentials) is not supported: no installed key "
                f"source reads it; remove it, or install a key source for {kind}"
            )
    env: dict[str, str] = {}
    for source in classes:
        try:
            env.update(source.env_from_decryption_secret(entries))
        except InputError as exc:
            raise EngineError(str(exc)) from None
    return env


def pgp_entries(secret: Mapping[str, Any] | None) -> list[str]:
    """Names of the ``*.asc`` entries (armored OpenPGP keys), in a stable order."""
    if secret is None:
        return []
    return sorted(str(k) for k in (secret.get("data") or {}) if str(k).endswith(PGP_SUFFIX))


def missing_key_help(secret: Mapping[str, Any] | None, where: str, no_secret: str = "") -> str:
    """What a "no key found" error tells the engine's user to do (not the sops variables a command
    line user sets): add the key to the decryption Secret, or give one (``no_secret``: how)."""
    if secret is not None:
        return f"add the key to the {where or 'decryption Secret'} (age: an entry named *.agekey)"
    return no_secret


def key_context(
    edge_env: Mapping[str, str], secret: Mapping[str, Any] | None, where: str = "", no_secret_help: str = ""
) -> KeyContext:
    """The sops environment variables work too; the Secret's entries override them.

    ``*.asc`` entries need a keyring that outlives this call: use :func:`decryption_keys`.
    ``no_secret_help``: how the caller's user gives a decryption Secret (for "no key found").
    """
    if pgp_entries(secret):
        raise EngineError(f"{where}: PGP keys (*.asc) are not used here (only age, KMS and Vault entries)")
    env = dict(edge_env)
    if secret is not None:
        env.update(env_from_secret(secret, where))
    return KeyContext(env=env, missing_key_help=missing_key_help(secret, where, no_secret_help))


@contextmanager
def decryption_keys(
    edge_env: Mapping[str, str],
    secret: Mapping[str, Any] | None,
    where: str = "",
    base: Path | None = None,
    no_secret_help: str = "",
) -> Iterator[KeyContext]:
    """The pass's KeyContext; with ``*.asc`` entries, ``GNUPGHOME`` is a private keyring that
    exists only inside the ``with`` block (its gpg-agent stopped, its directory removed)."""
    names = pgp_entries(secret)
    if secret is None or not names:
        yield key_context(edge_env, secret, where, no_secret_help)
        return
    env = dict(edge_env)
    env.update(env_from_secret(secret, where))
    home = make_private_dir("secretsops-gnupg-", base)
    env["GNUPGHOME"] = str(home)
    ctx = KeyContext(env=env, missing_key_help=missing_key_help(secret, where))
    from secretsops.keysources import pgp

    try:
        data = secret.get("data") or {}
        for name in names:
            try:
                armored = base64.b64decode(str(data[name]), validate=True)
            except (binascii.Error, ValueError):
                raise EngineError(f"{where}: key {name!r} is not base64-encoded") from None
            pgp.import_secret_key(ctx, armored, f"{name} of {where}" if where else name)
        yield ctx
    finally:
        pgp.stop_agent(ctx)
        shutil.rmtree(home, ignore_errors=True)
