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
from typing import Any

from secretsops.errors import SealedError
from secretsops.manifests import Obj
from secretsops.sealed.keys import (
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
            raise SealedError(f"{path}: cannot read private key ({exc.strerror})") from None
        keys.extend(load_keys(data, path))
    return keys


# -- cluster ---------------------------------------------------------------------------------


def _secret_to_obj(api_client: Any, secret: Any) -> Obj:
    obj = api_client.sanitize_for_serialization(secret)
    obj.setdefault("apiVersion", "v1")
    obj.setdefault("kind", "Secret")
    return dict(obj)


def cluster_key_secrets(api_client: Any, namespace: str, prefix: str = KEY_PREFIX) -> list[Obj]:
    """The key Secrets the controller would load (label ``active`` + the legacy named Secret)."""
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException

    core = CoreV1Api(api_client)
    try:
        listed = core.list_namespaced_secret(namespace, label_selector=ACTIVE_SELECTOR)
    except ApiException as exc:
        raise SealedError(
            f"cannot list sealing key Secrets in namespace {namespace}: HTTP {exc.status}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - connection errors of any kind
        raise SealedError(
            f"cannot reach the Kubernetes API to read sealing keys: {type(exc).__name__}"
        ) from None
    objs = [_secret_to_obj(api_client, s) for s in listed.items or []]
    names = {o["metadata"].get("name") for o in objs}
    if prefix not in names:
        try:
            objs.append(_secret_to_obj(api_client, core.read_namespaced_secret(prefix, namespace)))
        except ApiException as exc:
            if exc.status != 404:
                raise SealedError(
                    f"cannot read legacy key Secret {namespace}/{prefix}: HTTP {exc.status}"
                ) from None
    return objs


def cluster_keys(api_client: Any, namespace: str, prefix: str = KEY_PREFIX) -> list[SealingKey]:
    from secretsops.sealed.keys import key_from_secret

    return newest_first(
        [
            key_from_secret(o, f"secret {namespace}/{o['metadata'].get('name')}")
            for o in cluster_key_secrets(api_client, namespace, prefix)
        ]
    )


def create_cluster_key(
    api_client: Any,
    namespace: str,
    *,
    key_size: int = DEFAULT_KEY_SIZE,
    validity: dt.timedelta = DEFAULT_VALIDITY,
    cn: str = DEFAULT_CN,
    prefix: str = KEY_PREFIX,
) -> str:
    """Create a new active key Secret (generateName ``prefix``); returns its name."""
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException

    key, cert = generate_key(key_size, validity, cn)
    body = key_secret(key, cert, namespace, prefix=prefix)
    del body["metadata"]["name"]
    try:
        created: Any = CoreV1Api(api_client).create_namespaced_secret(namespace, body)  # type: ignore[arg-type]
    except ApiException as exc:
        raise SealedError(f"cannot create key Secret in namespace {namespace}: HTTP {exc.status}") from None
    return str(created.metadata.name)


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
            raise SealedError(f"{self.path}: cannot write the key pair ({exc.strerror})") from None
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
            raise SealedError(f"{key.source}: key has no certificate; cannot export it as a key Secret")
        secret = key_secret(key.private_key, key.cert, namespace, name=key.name or random_key_name())
        secret["metadata"]["labels"] = {KEY_LABEL: key.label_value or "active"}
        items.append(secret)
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
