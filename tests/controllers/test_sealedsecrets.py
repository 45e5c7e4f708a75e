"""SealedSecrets in the API server become Secrets, as the Bitnami controller makes them."""

from __future__ import annotations

import datetime as dt

from secretsops.sealed.keypairs import generate_key, key_secret
from secretsops.sealed.sealing import SealOptions, seal_secret
from tests.controllers.conftest import Cluster, eventually, running


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


def test_spec_template_sets_type_metadata_and_templated_data(cluster: Cluster) -> None:
    sealed = cluster.seal("shop", "db", {"user": "app", "password": "hunter2"})
    sealed["spec"]["template"].update(
        {
            "type": "kubernetes.io/basic-auth",
            "metadata": {"labels": {"app": "shop"}, "annotations": {"team": "payments"}},
            "data": {"dsn": "postgres://{{ .user }}:{{ .password }}@db/shop"},
        }
    )
    cluster.create(sealed)
    assert cluster.once(controllers=("sealedsecrets",)) == 0
    secret = cluster.secret("shop", "db") or {}
    assert secret["type"] == "kubernetes.io/basic-auth"
    assert secret["metadata"]["labels"] == {"app": "shop"}
    assert secret["metadata"]["annotations"] == {"team": "payments"}
    dsn = "postgres://app:hunter2@db/shop"  # secretsops:ignore test value
    assert cluster.secret_values("shop", "db")["dsn"] == dsn


def test_skip_set_owner_references_leaves_the_secret_unowned(cluster: Cluster) -> None:
    sealed = cluster.seal("shop", "db", {"password": "hunter2"})
    sealed["spec"]["template"]["metadata"]["annotations"] = {
        "sealedsecrets.bitnami.com/skip-set-owner-references": "true"
    }
    cluster.create(sealed)
    assert cluster.once(controllers=("sealedsecrets",)) == 0
    assert not (cluster.secret("shop", "db") or {})["metadata"].get("ownerReferences")


def _existing_secret(cluster: Cluster, annotations: dict[str, str] | None = None) -> None:
    meta = {"name": "db", "namespace": "shop", "annotations": annotations or {}}
    cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "stringData": {"user": "app"}})


def test_a_secret_it_does_not_own_is_not_overwritten(cluster: Cluster) -> None:
    _existing_secret(cluster)
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sealedsecrets",)) == 1
    assert cluster.secret_values("shop", "db") == {"user": "app"}
    live = cluster.get("bitnami.com/v1alpha1", "SealedSecret", "shop", "db") or {}
    assert "already exists and is not managed by SealedSecret" in live["status"]["conditions"][0]["message"]


def test_the_managed_annotation_hands_an_existing_secret_over(cluster: Cluster) -> None:
    _existing_secret(cluster, {"sealedsecrets.bitnami.com/managed": "true"})
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sealedsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}
    assert (cluster.secret("shop", "db") or {})["metadata"]["ownerReferences"][0]["kind"] == "SealedSecret"


def test_the_patch_annotation_merges_into_an_existing_secret(cluster: Cluster) -> None:
    _existing_secret(cluster, {"sealedsecrets.bitnami.com/patch": "true"})
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sealedsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"user": "app", "password": "hunter2"}


def test_a_sealed_secret_created_while_running_gets_its_secret(cluster: Cluster) -> None:
    cluster.sealing_key()
    with running(cluster, controllers=("sealedsecrets",)):
        cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
        eventually(
            lambda: cluster.secret_values("shop", "db") == {"password": "hunter2"}, what="Secret written"
        )


def test_a_deleted_owned_secret_is_written_again(cluster: Cluster) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    with running(cluster, controllers=("sealedsecrets",)):
        eventually(lambda: cluster.secret("shop", "db"), what="Secret written")
        cluster.kube.delete("v1", "Secret", "shop", "db")
        eventually(
            lambda: cluster.secret_values("shop", "db") == {"password": "hunter2"}, what="Secret rewritten"
        )


def test_a_changed_sealed_secret_updates_its_secret(cluster: Cluster) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "first"}))
    with running(cluster, controllers=("sealedsecrets",)):
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "first"}, what="first")
        newer = cluster.seal("shop", "db", {"password": "second"})
        cluster.kube.patch_merge(
            "bitnami.com/v1alpha1",
            "SealedSecret",
            "shop",
            "db",
            {"spec": {"encryptedData": newer["spec"]["encryptedData"]}},
        )
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "second"}, what="update")


def test_a_sealed_secret_opens_once_its_key_is_restored(cluster: Cluster) -> None:
    backup_key, backup_cert = generate_key(2048)  # a key the cluster lost; its backup is restored later
    cluster.sealing_key()  # the cluster has another key
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}}
    sealed = seal_secret(
        backup_key.public_key(), {**secret, "stringData": {"p": "v"}}, SealOptions(namespace="shop")
    )
    cluster.create(sealed)
    with running(cluster, controllers=("sealedsecrets",), key_renew_period=dt.timedelta(0)):
        eventually(lambda: _synced(cluster).get("status") == "False", what="not synced without the key")
        cluster.kube.create(key_secret(backup_key, backup_cert, "kube-system"))
        eventually(lambda: cluster.secret_values("shop", "db") == {"p": "v"}, what="opened after restore")


def _synced(cluster: Cluster) -> dict:
    live = cluster.get("bitnami.com/v1alpha1", "SealedSecret", "shop", "db") or {}
    return next(iter((live.get("status") or {}).get("conditions") or []), {})


def test_watch_namespaces_limits_what_the_controller_touches(cluster: Cluster) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    cluster.create(cluster.seal("lab", "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sealedsecrets",), watch_namespaces=("shop",)) == 0
    assert cluster.secret("shop", "db") is not None
    assert cluster.secret("lab", "db") is None


def test_a_sealed_value_that_is_sops_ciphertext_is_not_written_as_a_secret(cluster: Cluster) -> None:
    sops_value = "ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]"
    cluster.create(cluster.seal("shop", "db", {"password": sops_value}))
    assert cluster.once(controllers=("sealedsecrets",)) == 1
    assert cluster.secret("shop", "db") is None
    live = cluster.get("bitnami.com/v1alpha1", "SealedSecret", "shop", "db")
    assert live is not None
    [synced] = live["status"]["conditions"]
    assert synced["status"] == "False"
    assert "SOPS" in synced["message"] and "AAAA" not in synced["message"]
