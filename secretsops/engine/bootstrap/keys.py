"""The keys a bootstrapped cluster runs with: restored from a backup, kept, or generated.

Three origins, in this order of preference:

* **a backup** (``--backup FILE``): the sealing key Secrets exactly as backed up (Bitnami's
  labels, ``kubernetes.io/tls``), into the sealing-key namespace, annotated as held by that
  backup (``engine.backup_state``); every decryption Secret of the backup merged into the one
  the shipped Deployment reads (``sops-keys`` in the engine namespace);
* **the cluster** (a second run, or a cluster that already has keys): left as they are;
* **generated** (first install): one sealing key pair and one age identity, which the user must
  back up at once (the CLI prints the ``secretsops backup`` command).

Everything here is in memory; nothing is written until the plan is applied, and nothing at all
when the repository does not open with these keys (``preflight``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from secretsops.engine import backup as backup_mod
from secretsops.engine.backup_state import BACKED_UP_AT
from secretsops.engine.decryption_secret import key_context
from secretsops.errors import InputError
from secretsops.keysources.age import generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.kube import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import (
    DEFAULT_KEY_SIZE,
    SealingKey,
    generate_key,
    key_from_secret,
    key_secret,
    random_key_name,
)
from secretsops.sealed.keyring import cluster_key_secrets, newest_first

AGE_KEY_ENTRY = "identity.agekey"


@dataclass
class KeySet:
    """The key Secrets a cluster will hold, and which of them bootstrap has to write."""

    sealing_namespace: str
    #: every sealing key Secret the cluster will have (restored, kept or generated)
    sealing_secrets: list[Obj]
    #: the engine's decryption Secret (Flux format)
    decryption_secret: Obj
    #: "backup", "cluster" or "generated", for sealing keys and the decryption Secret
    sealing_origin: str
    decryption_origin: str
    #: where each restored decryption entry came from (NAMESPACE/NAME of the backed-up Secret)
    decryption_from: list[str] = field(default_factory=list)
    backup_created_at: str = ""

    @property
    def generated(self) -> bool:
        return "generated" in (self.sealing_origin, self.decryption_origin)

    def to_write(self) -> list[Obj]:
        """Secrets bootstrap applies: what is not already in the cluster."""
        out = [] if self.sealing_origin == "cluster" else list(self.sealing_secrets)
        if self.decryption_origin != "cluster":
            out.append(self.decryption_secret)
        return out

    def sealing_keys(self) -> list[SealingKey]:
        """The sealing keys, parsed, newest first."""
        keys = []
        for obj in self.sealing_secrets:
            name = str((obj.get("metadata") or {}).get("name") or "")
            keys.append(key_from_secret(obj, f"sealing key {self.sealing_namespace}/{name}"))
        return newest_first(keys)

    def key_context(self) -> KeyContext:
        """What the engine will decrypt SOPS files with: the decryption Secret only."""
        meta = self.decryption_secret["metadata"]
        return key_context(
            {}, self.decryption_secret, f"decryption Secret {meta['namespace']}/{meta['name']}"
        )

    def describe(self) -> list[str]:
        """Plan lines: names, fingerprints, dates, age recipients; never a value."""
        verbs = {"backup": "restore", "cluster": "keep (in the cluster)", "generated": "generate"}
        lines = []
        for key in self.sealing_keys():
            lines.append(
                f"{verbs[self.sealing_origin]} sealing key {self.sealing_namespace}/{key.name}"
                f"  fingerprint={key.fingerprint}  notBefore={key.not_before:%Y-%m-%dT%H:%M:%SZ}"
            )
        meta = self.decryption_secret["metadata"]
        what = f"{verbs[self.decryption_origin]} decryption Secret {meta['namespace']}/{meta['name']}"
        if self.decryption_from:
            what += f" (from {', '.join(self.decryption_from)})"
        lines.append(what)
        for entry, value in sorted((self.decryption_secret.get("data") or {}).items()):
            detail = ""
            if entry.endswith(".agekey"):
                detail = f"  age recipients {backup_mod.age_recipients(value, entry)}"
            lines.append(f"  {entry}{detail}")
        return lines


def _decryption_secret(namespace: str, name: str, data: dict[str, str]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": data,
    }


def from_backup(
    doc: Obj,
    where: str,
    *,
    kube: KubeClient | None,
    sealing_namespace: str,
    engine_namespace: str,
    decryption_name: str,
    key_size: int = DEFAULT_KEY_SIZE,
) -> KeySet:
    """The keys of an opened backup (``engine.backup.open_backup``), placed where deploy/ reads them."""
    created = str(doc.get("createdAt") or "")
    sealing: list[Obj] = []
    for obj in doc.get("sealingKeys") or []:
        restored = backup_mod.restorable(obj)
        restored["metadata"]["namespace"] = sealing_namespace
        restored["metadata"].setdefault("annotations", {})[BACKED_UP_AT] = created
        sealing.append(restored)
    data: dict[str, str] = {}
    owner: dict[str, str] = {}
    sources: list[str] = []
    for obj in doc.get("decryptionSecrets") or []:
        meta = obj.get("metadata") or {}
        ref = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
        sources.append(ref)
        for entry, value in (obj.get("data") or {}).items():
            if entry in data and data[entry] != value:
                raise InputError(
                    f"{where}: decryption Secrets {owner[entry]} and {ref} both hold {entry!r} with "
                    "different values: they cannot be merged into one decryption Secret"
                )
            data[entry], owner[entry] = str(value), ref
    if not sealing and not sources:
        raise InputError(f"{where}: the backup holds no sealing key and no decryption Secret")
    keys = KeySet(
        sealing_namespace,
        sealing,
        _decryption_secret(engine_namespace, decryption_name, data),
        "backup",
        "backup",
        sources,
        created,
    )
    if not sealing or not sources:  # half a backup: the other half as on a first install
        fresh = from_cluster_or_new(
            kube,
            sealing_namespace=sealing_namespace,
            engine_namespace=engine_namespace,
            decryption_name=decryption_name,
            key_size=key_size,
        )
        if not sealing:
            keys.sealing_secrets, keys.sealing_origin = fresh.sealing_secrets, fresh.sealing_origin
        if not sources:
            keys.decryption_secret, keys.decryption_origin = fresh.decryption_secret, fresh.decryption_origin
    return keys


def from_cluster_or_new(
    kube: KubeClient | None,
    *,
    sealing_namespace: str,
    engine_namespace: str,
    decryption_name: str,
    key_size: int = DEFAULT_KEY_SIZE,
) -> KeySet:
    """Keys already in the cluster, else new ones (first install); ``kube`` None: always new."""
    sealing = cluster_key_secrets(kube, sealing_namespace) if kube is not None else []
    sealing_origin = "cluster"
    if not sealing:
        key, cert = generate_key(key_size)
        sealing = [key_secret(key, cert, sealing_namespace, name=random_key_name())]
        del sealing[0]["metadata"]["generateName"]
        sealing_origin = "generated"
    existing = kube.get("v1", "Secret", engine_namespace, decryption_name) if kube is not None else None
    if existing is not None:
        decryption, decryption_origin = existing, "cluster"
    else:
        identity, recipient = generate_identity()
        text = f"# created by secretsops bootstrap\n# public key: {recipient}\n{identity}\n"
        entry = base64.b64encode(text.encode("utf-8")).decode("ascii")
        decryption = _decryption_secret(engine_namespace, decryption_name, {AGE_KEY_ENTRY: entry})
        decryption_origin = "generated"
    return KeySet(sealing_namespace, sealing, decryption, sealing_origin, decryption_origin)


__all__ = ["AGE_KEY_ENTRY", "KeySet", "from_backup", "from_cluster_or_new"]
