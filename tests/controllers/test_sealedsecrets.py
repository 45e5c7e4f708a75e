"""SealedSecrets in the API server become Secrets, as the Bitnami controller makes them."""

from __future__ import annotations

from tests.controllers.conftest import Cluster


def test_a_sealed_secret_becomes_a_secret_owned_by_it(cluster: Cluster) -> None:
    sealed = cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sealedsecrets",)) == 0
    secret = cluster.secret("shop", "db")
    assert secret is not None
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}
    [owner] = secret["metadata"]["ownerReferences"]
    assert owner["kind"] == "SealedSecret" and owner["controller"] is True
    assert owner["uid"] == sealed["metadata"]["uid"]


def test_status_records_the_generation_and_synced(cluster: Cluster) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    cluster.once(controllers=("sealedsecrets",))
    live = cluster.get("bitnami.com/v1alpha1", "SealedSecret", "shop", "db")
    assert live is not None
    status = live["status"]
    assert status["observedGeneration"] == live["metadata"]["generation"]
    [synced] = status["conditions"]
    assert (synced["type"], synced["status"]) == ("Synced", "True")


def test_a_value_sealed_for_another_place_says_where_it_was_sealed_for(cluster: Cluster) -> None:
    sealed = cluster.seal("payments", "db", {"password": "hunter2"})
    sealed["metadata"]["namespace"] = "shop"
    cluster.create(sealed)
    assert cluster.once(controllers=("sealedsecrets",)) == 1
    live = cluster.get("bitnami.com/v1alpha1", "SealedSecret", "shop", "db")
    assert live is not None
    [synced] = live["status"]["conditions"]
    assert synced["status"] == "False"
    assert "sealed strict for payments/db, found in shop/db" in synced["message"]
    assert cluster.secret("shop", "db") is None
