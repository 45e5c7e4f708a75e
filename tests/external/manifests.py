"""ESO manifests shaped the way ESO's docs and users write them (written fresh for these tests)."""

from __future__ import annotations

import base64
from typing import Any

import yaml

Obj = dict[str, Any]


def docs(text: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(text) if d]


def token_secret(name: str, token: str, namespace: str = "apps", key: str = "token") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {key: base64.b64encode(token.encode()).decode()},
    }


def vault_store(
    server: str,
    *,
    name: str = "vault-backend",
    kind: str = "SecretStore",
    namespace: str = "apps",
    path: str | None = "secret",
    version: str = "v2",
    auth: Obj | None = None,
    provider_key: str = "vault",
    api: str = "external-secrets.io/v1",
) -> Obj:
    provider: Obj = {"server": server}
    if path is not None:
        provider["path"] = path
    provider["version"] = version
    provider["auth"] = auth or {"tokenSecretRef": {"name": "vault-token", "key": "token"}}
    meta: Obj = {"name": name}
    if kind == "SecretStore":
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": {"provider": {provider_key: provider}}}


def external_secret(
    name: str = "app-db",
    *,
    store: str = "vault-backend",
    store_kind: str = "SecretStore",
    data: list[Obj] | None = None,
    data_from: list[Obj] | None = None,
    target: Obj | None = None,
    namespace: str = "apps",
    api: str = "external-secrets.io/v1",
    annotations: dict[str, str] | None = None,
) -> Obj:
    spec: Obj = {"refreshInterval": "1h", "secretStoreRef": {"name": store, "kind": store_kind}}
    spec["target"] = target or {"name": f"{name}-secret", "creationPolicy": "Owner"}
    if data is not None:
        spec["data"] = data
    if data_from is not None:
        spec["dataFrom"] = data_from
    meta: Obj = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": "ExternalSecret", "metadata": meta, "spec": spec}


def secret_values(secret: Obj) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
