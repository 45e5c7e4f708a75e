"""Stores report Ready after a real provider call; ClusterSecretStore conditions read live namespaces."""

from __future__ import annotations

import uuid
from typing import Any

from tests.controllers.conftest import Cluster, Vault, external_secret

ES = "external-secrets.io/v1"


def _ready(obj: dict | None) -> dict:
    conds = ((obj or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conds if c["type"] == "Ready"), {})


def _cluster_store(cluster: Cluster, vault: Vault, conditions: list[dict]) -> None:
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "vault-token", "namespace": "secretsops-system"},
            "stringData": {"token": vault.token},
        }
    )
    cluster.create(
        {
            "apiVersion": ES,
            "kind": "ClusterSecretStore",
            "metadata": {"name": "vault"},
            "spec": {
                "provider": vault.provider(token_namespace="secretsops-system"),
                "conditions": conditions,
            },
        }
    )


def test_a_store_whose_token_vault_accepts_is_ready(cluster: Cluster, vault: Vault) -> None:
    vault.store(cluster, "shop")
    assert cluster.once(controllers=("externalsecrets",)) == 0
    ready = _ready(cluster.get(ES, "SecretStore", "shop", "vault"))
    assert (ready["status"], ready["reason"], ready["message"]) == ("True", "Valid", "store validated")


def test_a_store_with_a_token_vault_refuses_is_not_ready(cluster: Cluster, vault: Vault) -> None:
    vault.token = "not-a-token"
    vault.store(cluster, "shop")
    assert cluster.once(controllers=("externalsecrets",)) == 1
    ready = _ready(cluster.get(ES, "SecretStore", "shop", "vault"))
    assert (ready["status"], ready["reason"]) == ("False", "ValidationFailed")
    assert "not accepted" in ready["message"]


def test_cluster_store_conditions_match_the_namespace_name(cluster: Cluster, vault: Vault) -> None:
    path = f"controllers/{uuid.uuid4().hex[:10]}"
    vault.put(path, password="s3cret")
    _cluster_store(cluster, vault, [{"namespaces": ["prod"]}])
    for ns in ("prod", "team-a"):
        es = external_secret(ns, "db", path, "password")
        es["spec"]["secretStoreRef"] = {"name": "vault", "kind": "ClusterSecretStore"}
        cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 1
    assert cluster.secret_values("prod", "db") == {"password": "s3cret"}
    assert cluster.secret("team-a", "db") is None
    assert (
        "does not allow namespace 'team-a'"
        in _ready(cluster.get(ES, "ExternalSecret", "team-a", "db"))["message"]
    )


def test_cluster_store_selectors_read_labels_of_the_live_namespace(cluster: Cluster, vault: Vault) -> None:
    path = f"controllers/{uuid.uuid4().hex[:10]}"
    vault.put(path, password="s3cret")
    _cluster_store(cluster, vault, [{"namespaceSelector": {"matchLabels": {"tier": "prod"}}}])
    cluster.namespace("shop", labels={"tier": "prod"})
    cluster.namespace("lab", labels={"tier": "dev"})
    for ns in ("shop", "lab"):
        es = external_secret(ns, "db", path, "password")
        es["spec"]["secretStoreRef"] = {"name": "vault", "kind": "ClusterSecretStore"}
        cluster.create(es)
    cluster.once(controllers=("externalsecrets",))
    assert cluster.secret_values("shop", "db") == {"password": "s3cret"}
    assert cluster.secret("lab", "db") is None


def _aws_store(cluster: Cluster, secret_access_key: str) -> None:
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "aws", "namespace": "shop"},
            "stringData": {"id": "testing", "key": secret_access_key},
        }
    )
    auth = {
        "secretRef": {
            "accessKeyIDSecretRef": {"name": "aws", "key": "id"},
            "secretAccessKeySecretRef": {"name": "aws", "key": "key"},
        }
    }
    provider = {"aws": {"service": "SecretsManager", "region": "us-east-1", "auth": auth}}
    cluster.create(
        {
            "apiVersion": ES,
            "kind": "SecretStore",
            "metadata": {"name": "aws", "namespace": "shop"},
            "spec": {"provider": provider},
        }
    )


def test_an_aws_secrets_manager_store_that_answers_is_ready(cluster: Cluster, moto: Any) -> None:
    _aws_store(cluster, "testing")
    assert cluster.once({"AWS_ENDPOINT_URL": moto.url}, controllers=("externalsecrets",)) == 0
    assert _ready(cluster.get(ES, "SecretStore", "shop", "aws"))["status"] == "True"


def test_an_aws_store_whose_endpoint_does_not_answer_is_not_ready(cluster: Cluster) -> None:
    _aws_store(cluster, "testing")
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}  # nothing listens on the discard port
    assert cluster.once(env, controllers=("externalsecrets",)) == 1
    ready = _ready(cluster.get(ES, "SecretStore", "shop", "aws"))
    assert ready["status"] == "False" and "cannot connect" in ready["message"]
