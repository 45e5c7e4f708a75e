"""What a cluster needs to be rebuilt, gathered into one SOPS file encrypted to a recovery recipient.

sealed-secrets users lose every SealedSecret when the sealing key is gone, and a SOPS repository
is unreadable without the decryption Secret the engine was given. A backup holds both (plus the
sources configuration) as one YAML document in the SOPS format, every value encrypted, so the
recovery holder can open it with ``sops -d`` as well as with ``secretsops backup --verify``.

Plaintext exists here in memory only: the caller writes the encrypted bytes. ``inventory`` says
what a backup holds (names, key ids, fingerprints, dates), never a value.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secretsops.errors import EngineError, InputError, SecretsOpsError
from secretsops.keysources.age import parse_identities
from secretsops.keysources.base import KeyContext, MasterKey
from secretsops.kube import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import SealingKey, key_from_secret
from secretsops.sealed.keyring import cluster_key_secrets, newest_first
from secretsops.sops.api import EncryptOptions, decrypt_bytes, encrypt_bytes
from secretsops.yamlio import dump, parse_documents

BACKUP_KIND = "SecretsopsBackup"
BACKUP_VERSION = 1

#: the metadata a restored Secret needs; server-set fields (uid, resourceVersion...) are dropped
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")


@dataclass(frozen=True)
class SecretName:
    """``NAMESPACE/NAME`` of a Secret to back up."""

    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str) -> SecretName:
        namespace, sep, name = text.partition("/")
        if not sep or not namespace or not name or "/" in name:
            raise InputError(f"--decryption-secret {text!r}: expected NAMESPACE/NAME")
        return cls(namespace, name)


def restorable(obj: Obj) -> Obj:
    """The Secret as it can be created again: kind, kept metadata, type and data."""
    meta = obj.get("metadata") or {}
    out: Obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {k: meta[k] for k in _KEPT_METADATA if meta.get(k)},
    }
    if obj.get("type"):
        out["type"] = obj["type"]
    out["data"] = dict(obj.get("data") or {})
    return out


def collect(
    kube: KubeClient,
    *,
    sealing_key_namespace: str,
    decryption_secrets: Sequence[SecretName] = (),
    sources: Path | None = None,
    now: dt.datetime | None = None,
) -> Obj:
    """The plaintext backup document (in memory only), read through the Kubernetes gateway."""
    keys = [restorable(o) for o in cluster_key_secrets(kube, sealing_key_namespace)]
    secrets: list[Obj] = []
    for ref in decryption_secrets:
        obj = kube.get("v1", "Secret", ref.namespace, ref.name)
        if obj is None:
            raise EngineError(f"decryption Secret {ref.namespace}/{ref.name} not found")
        secrets.append(restorable(obj))
    doc: Obj = {
        "kind": BACKUP_KIND,
        "version": BACKUP_VERSION,
        "createdAt": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sealingKeyNamespace": sealing_key_namespace,
        "sealingKeys": keys,
        "decryptionSecrets": secrets,
    }
    if sources is not None:
        try:
            text = sources.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{sources}: cannot read sources configuration ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise InputError(f"{sources}: sources configuration is not UTF-8 text") from None
        doc["sources"] = {"file": sources.name, "content": text}
    return doc


def encrypt(doc: Obj, recipients: list[MasterKey], ctx: KeyContext) -> bytes:
    """The backup as SOPS-encrypted YAML: every value encrypted, one key group of ``recipients``."""
    plain = dump(doc).encode()
    return encrypt_bytes(
        plain, "yaml", groups=[recipients], options=EncryptOptions(), ctx=ctx, where="backup"
    )


def open_backup(data: bytes, ctx: KeyContext, where: str) -> Obj:
    """Decrypt and check a backup (SOPS errors name the file, never a value)."""
    try:
        plain = decrypt_bytes(data, "yaml", ctx=ctx, where=where)
    except SecretsOpsError as exc:  # name the backup once (some SOPS errors name it already)
        raise (exc if where in str(exc) else exc.at(file=where)) from None
    try:
        docs = parse_documents(plain.decode("utf-8"), where)
    except (SecretsOpsError, UnicodeDecodeError):  # the loader's message could quote decrypted text
        raise InputError(f"{where}: not a secretsops backup (unreadable YAML)") from None
    doc = docs[0] if len(docs) == 1 else None
    if not isinstance(doc, dict) or doc.get("kind") != BACKUP_KIND:
        raise InputError(f"{where}: not a secretsops backup (kind is not {BACKUP_KIND})")
    if doc.get("version") != BACKUP_VERSION:
        raise InputError(f"{where}: backup version {doc.get('version')!r} is not supported")
    return doc


def backed_up_keys(doc: Obj, where: str) -> list[SealingKey]:
    """The sealing keys in a backup, newest first."""
    keys = []
    for obj in doc.get("sealingKeys") or []:
        name = str((obj.get("metadata") or {}).get("name") or "")
        try:
            keys.append(key_from_secret(obj, f"{where}: sealing key {name}"))
        except SecretsOpsError:  # a malformed entry is named, its content is not quoted
            raise InputError(f"{where}: sealing key {name or '(unnamed)'} is unreadable") from None
    return newest_first(keys)


def _date(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else "-"


def age_recipients(value: object, source: str) -> str:
    """The public recipients of a ``*.agekey`` entry: its key id, safe to show (never the identity)."""
    try:
        text = base64.b64decode(str(value), validate=True).decode("utf-8")
        recipients = [str(ident.to_public()) for ident in parse_identities(text, source)]
    except (binascii.Error, UnicodeDecodeError, SecretsOpsError):
        return "(not an age identity file)"
    return ", ".join(recipients) or "(no identities)"


def inventory(doc: Obj, where: str) -> list[str]:
    """One line per thing a backup holds: names, key ids, fingerprints, dates; never a value."""
    lines = [f"backup created {doc.get('createdAt', '-')}"]
    namespace = doc.get("sealingKeyNamespace", "")
    keys = backed_up_keys(doc, where)
    lines.append(f"sealing keys ({namespace}): {len(keys)}")
    for key in keys:
        lines.append(
            f"  {key.name or '(unnamed)'}  label={key.label_value or '-'}  fingerprint={key.fingerprint}"
            f"  notBefore={_date(key.not_before if key.cert else None)}  notAfter={_date(key.not_after)}"
        )
    secrets = doc.get("decryptionSecrets") or []
    lines.append(f"decryption secrets: {len(secrets)}")
    for obj in secrets:
        meta = obj.get("metadata") or {}
        names = ", ".join(sorted(obj.get("data") or {})) or "(no keys)"
        lines.append(f"  {meta.get('namespace', '')}/{meta.get('name', '')}  keys: {names}")
        for key, value in sorted((obj.get("data") or {}).items()):
            if key.endswith(".agekey"):
                lines.append(f"    {key}: age recipients {age_recipients(value, key)}")
    sources = doc.get("sources")
    if isinstance(sources, dict):
        lines.append(
            f"sources: {sources.get('file', '')} ({len(str(sources.get('content', '')))} characters)"
        )
    else:
        lines.append("sources: (none)")
    return lines


def newest_key_missing(current: list[SealingKey], previous: Obj, where: str) -> SealingKey | None:
    """The cluster's newest sealing key when the previous backup does not hold it (else None)."""
    newest = newest_first(current)
    if not newest:
        return None
    held = {k.fingerprint for k in backed_up_keys(previous, where)}
    return None if newest[0].fingerprint in held else newest[0]


__all__ = [
    "BACKUP_KIND",
    "SecretName",
    "backed_up_keys",
    "collect",
    "encrypt",
    "age_recipients",
    "inventory",
    "newest_key_missing",
    "open_backup",
    "restorable",
]
