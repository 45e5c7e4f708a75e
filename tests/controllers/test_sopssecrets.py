"""SopsSecrets carry a Secret as sops encrypted it; the controller writes the Secret, MAC verified."""

from __future__ import annotations

import yaml

from tests.controllers.conftest import Cluster, Sops, eventually, running

API = "secretsops.io/v1"


def _ready(cluster: Cluster, ns: str, name: str) -> dict:
    live = cluster.get(API, "SopsSecret", ns, name) or {}
    conds = (live.get("status") or {}).get("conditions") or []
    return next((c for c in conds if c["type"] == "Ready"), {})


def test_a_sops_secret_becomes_a_secret_it_owns(cluster: Cluster, sops: Sops) -> None:
    sops.key_secret(cluster)
    owner = cluster.create(sops.sops_secret("shop", "db", {"password": "hunter2"}, labels={"app": "shop"}))
    assert cluster.once(controllers=("sopssecrets",)) == 0
    secret = cluster.secret("shop", "db") or {}
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}
    assert secret["metadata"]["labels"] == {"app": "shop"}
    [ref] = secret["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["uid"], ref["controller"]) == ("SopsSecret", owner["metadata"]["uid"], True)
    assert (_ready(cluster, "shop", "db")["status"]) == "True"


def test_a_tampered_document_fails_its_mac_and_writes_nothing(cluster: Cluster, sops: Sops) -> None:
    sops.key_secret(cluster)
    obj = sops.sops_secret("shop", "db", {"password": "hunter2"}, labels={"app": "shop"})
    doc = yaml.safe_load(obj["spec"]["sops"])
    doc["metadata"]["labels"]["app"] = "other"
    obj["spec"]["sops"] = yaml.safe_dump(doc)
    cluster.create(obj)
    assert cluster.once(controllers=("sopssecrets",)) == 1
    assert cluster.secret("shop", "db") is None
    ready = _ready(cluster, "shop", "db")
    assert ready["status"] == "False" and "MAC" in ready["message"]


def test_a_document_encrypted_for_another_namespace_does_not_open_here(cluster: Cluster, sops: Sops) -> None:
    sops.key_secret(cluster)
    cluster.create(sops.sops_secret("shop", "db", {"password": "hunter2"}, namespace="payments"))
    assert cluster.once(controllers=("sopssecrets",)) == 1
    assert "encrypted for namespace payments, found in shop" in _ready(cluster, "shop", "db")["message"]
    assert cluster.secret("shop", "db") is None


def test_without_the_key_secret_it_is_not_ready_and_says_why(cluster: Cluster, sops: Sops) -> None:
    cluster.create(sops.sops_secret("shop", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sopssecrets",)) == 1
    ready = _ready(cluster, "shop", "db")
    assert ready["status"] == "False" and ready["reason"] == "DecryptionFailed"


def test_a_secret_made_by_someone_else_is_not_overwritten(cluster: Cluster, sops: Sops) -> None:
    sops.key_secret(cluster)
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "stringData": {"a": "b"},
        }
    )
    cluster.create(sops.sops_secret("shop", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sopssecrets",)) == 1
    assert cluster.secret_values("shop", "db") == {"a": "b"}
    assert "not managed by this SopsSecret" in _ready(cluster, "shop", "db")["message"]


def test_a_json_document_written_by_sops_opens_too(cluster: Cluster, sops: Sops) -> None:
    sops.key_secret(cluster)
    manifest = {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}}
    cluster.create(
        {
            "apiVersion": API,
            "kind": "SopsSecret",
            "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"format": "json", "sops": sops.encrypt(manifest, "json")},
        }
    )
    assert cluster.once(controllers=("sopssecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}


def test_a_sops_secret_opens_once_its_key_secret_appears(cluster: Cluster, sops: Sops) -> None:
    cluster.create(sops.sops_secret("shop", "db", {"password": "hunter2"}))
    with running(cluster, controllers=("sopssecrets",)):
        eventually(lambda: _ready(cluster, "shop", "db").get("status") == "False", what="not ready")
        sops.key_secret(cluster)
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "hunter2"}, what="opened")
