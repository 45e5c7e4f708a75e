"""Where sealing keys live and how they are renewed: a directory of files, or a cluster.

In a cluster the keys are what the Bitnami controller keeps: ``kubernetes.io/tls`` Secrets in
its namespace labelled ``sealedsecrets.bitnami.com/sealed-secrets-key=active`` (every key it
ever made keeps that label, so old keys still open old SealedSecrets; relabelling a key, e.g.
``compromised``, retires it), plus the legacy Secret named exactly ``sealed-secrets-key``.
The newest key by certificate NotBefore seals (controller default ``CertNotBefore``).

On disk (``keys/``) each key is ``<name>.key`` (PKCS#1 PEM, 0600) beside ``<name>.crt``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from secretsops.errors import SealedError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import (
    DEFAULT_CN,
    DEFAULT_KEY_SIZE,
    DEFAULT_VALIDITY,
    KEY_LABEL,
    KEY_PREFIX,
    SealingKey,
    cert_pem,
    generate_key,
    key_secret,
    load_cert_pem,
    load_keys,
    private_key_pem,
    random_key_name,
)

ACTIVE_SELECTOR = f"{KEY_LABEL}=active"


def newest_first(keys: list[SealingKey]) -> list[SealingKey]:
    """Keys ordered newest first (certificate NotBefore), duplicates by fingerprint removed."""
    seen: dict[str, SealingKey] = {}
    for key in sorted(keys, key=lambda k: k.not_before, reverse=True):
        seen.setdefault(key.fingerprint, key)
    return list(seen.values())


def read_key_files(paths: list[str]) -> list[SealingKey]:
    """Every key in the given files (PEM, key Secret, or List of key Secrets) or key directories."""
    keys: list[SealingKey] = []
    for path in paths:
        if Path(path).is_dir():
            keys.extend(KeyDir(Path(path)).keys())
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SealedError(f"cannot read private key ({exc.strerror})", file=path) from None
        keys.extend(load_keys(data, path))
    return keys


# -- cluster ---------------------------------------------------------------------------------


def cluster_key_secrets(kube: KubeClient, namespace: str, prefix: str = KEY_PREFIX) -> list[Obj]:
    """The key Secrets the controller would load (label ``active`` + the legacy named Secret).

    API failures are the gateway's ``KubeError``s (temporary when the cluster is unreachable).
    """
    objs = kube.list_objects("v1", "Secret", namespace, ACTIVE_SELECTOR)
    for obj in objs:
        obj.setdefault("apiVersion", "v1")
        obj.setdefault("kind", "Secret")
    names = {(o.get("metadata") or {}).get("name") for o in objs}
    if prefix not in names:
        legacy = kube.get("v1", "Secret", namespace, prefix)
        if legacy is not None:
            objs.append(legacy)
    return objs


def cluster_keys(kube: KubeClient, namespace: str, prefix: str = KEY_PREFIX) -> list[SealingKey]:
    from secretsops.sealed.keypairs import key_from_secret

    return newest_first(
        [
            key_from_secret(o, f"secret {namespace}/{o['metadata'].get('name')}")
            for o in cluster_key_secrets(kube, namespace, prefix)
        ]
    )


def create_cluster_key(
    kube: KubeClient,
    namespace: str,
    *,
    key_size: int = DEFAULT_KEY_SIZE,
    validity: dt.timedelta = DEFAULT_VALIDITY,
    cn: str = DEFAULT_CN,
    prefix: str = KEY_PREFIX,
) -> str:
    """Create a new active key Secret (generateName ``prefix``); returns its name."""
    key, cert = generate_key(key_size, validity, cn)
    body = key_secret(key, cert, namespace, prefix=prefix)
    del body["metadata"]["name"]
    created = kube.create(body)
    return str((created.get("metadata") or {}).get("name") or "")


# -- directory -------------------------------------------------------------------------------


@dataclass
class KeyDir:
    """A directory of key pairs (``<name>.key`` + ``<name>.crt``)."""

    path: Path

    def keys(self) -> list[SealingKey]:
        if not self.path.is_dir():
            return []
        found: list[SealingKey] = []
        for key_file in sorted(self.path.glob("*.key")):
            loaded = load_keys(key_file.read_bytes(), str(key_file))
            crt = key_file.with_suffix(".crt")
            for key in loaded:
                key.name = key.name or key_file.stem
                if key.cert is None and crt.exists():
                    key.cert = load_cert_pem(crt.read_bytes(), str(crt))
            found.extend(loaded)
        return newest_first(found)

    def generate(
        self,
        key_size: int = DEFAULT_KEY_SIZE,
        validity: dt.timedelta = DEFAULT_VALIDITY,
        cn: str = DEFAULT_CN,
        prefix: str = KEY_PREFIX,
    ) -> tuple[Path, Path]:
        """A new key pair; the key file is created 0600 before anything is written to it."""
        key, cert = generate_key(key_size, validity, cn)
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            name = random_key_name(prefix)
            while (self.path / f"{name}.key").exists():
                name = random_key_name(prefix)
            key_path, crt_path = self.path / f"{name}.key", self.path / f"{name}.crt"
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(private_key_pem(key))
            crt_path.write_bytes(cert_pem(cert))
        except OSError as exc:
            raise SealedError(f"cannot write the key pair ({exc.strerror})", file=str(self.path)) from None
        return key_path, crt_path


def due_for_renewal(keys: list[SealingKey], period: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """True when there is no key or the newest is older than ``period`` (0 = never automatic)."""
    if not keys:
        return True
    if period <= dt.timedelta(0):
        return False
    return (now or dt.datetime.now(dt.UTC)) - keys[0].not_before >= period


def export_list(keys: list[SealingKey], namespace: str) -> Obj:
    """A ``List`` of key Secrets, as ``kubectl get secret -l <label> -o yaml`` prints it."""
    items = []
    for key in keys:
        if key.cert is None:
            raise SealedError("key has no certificate; cannot export it as a key Secret", file=key.source)
        secret = key_secret(key.private_key, key.cert, namespace, name=key.name or random_key_name())
        secret["metadata"]["labels"] = {KEY_LABEL: key.label_value or "active"}
        items.append(secret)
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
