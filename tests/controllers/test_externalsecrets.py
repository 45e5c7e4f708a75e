"""ExternalSecrets in the API server become Secrets, as ESO makes them, from a real OpenBao."""

from __future__ import annotations

import uuid

from tests.controllers.conftest import Cluster, Vault, eventually, external_secret, running

ES = "external-secrets.io/v1"


def _path() -> str:
    return f"controllers/{uuid.uuid4().hex[:10]}"


def _ready(cluster: Cluster, ns: str, name: str) -> dict:
    live = cluster.get(ES, "ExternalSecret", ns, name) or {}
    conds = (live.get("status") or {}).get("conditions") or []
    return next((c for c in conds if c["type"] == "Ready"), {})


def test_an_external_secret_becomes_a_secret_it_owns(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    es = cluster.create(external_secret("shop", "db", path, "password"))
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "s3cret"}
    [owner] = (cluster.secret("shop", "db") or {})["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == (
        "ExternalSecret",
        es["metadata"]["uid"],
        True,
    )


def test_status_is_ready_with_refresh_time_synced_version_and_binding(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    cluster.create(external_secret("shop", "db", path, "password"))
    cluster.once(controllers=("externalsecrets",))
    status = (cluster.get(ES, "ExternalSecret", "shop", "db") or {})["status"]
    ready = _ready(cluster, "shop", "db")
    assert (ready["status"], ready["reason"]) == ("True", "SecretSynced")
    assert status["refreshTime"] and status["syncedResourceVersion"].startswith("1-")
    assert status["binding"] == {"name": "db"}


def test_a_missing_remote_key_is_not_ready_with_the_reason(cluster: Cluster, vault: Vault) -> None:
    vault.store(cluster, "shop")
    path = _path()
    cluster.create(external_secret("shop", "db", path, "password"))
    assert cluster.once(controllers=("externalsecrets",)) == 1
    ready = _ready(cluster, "shop", "db")
    assert (ready["status"], ready["reason"]) == ("False", "SecretSyncedError")
    assert f"{path!r}: secret does not exist" in ready["message"]


def test_the_secret_follows_a_change_in_openbao_on_the_refresh_interval(
    cluster: Cluster, vault: Vault
) -> None:
    path = _path()
    vault.put(path, password="first")
    vault.store(cluster, "shop")
    cluster.create(external_secret("shop", "db", path, "password", refreshInterval="1s"))
    with running(cluster, controllers=("externalsecrets",)):
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "first"}, what="first sync")
        vault.put(path, password="second")
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "second"}, what="refresh")


def test_the_force_sync_annotation_refreshes_at_once(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="first")
    vault.store(cluster, "shop")
    cluster.create(external_secret("shop", "db", path, "password", refreshInterval="1h"))
    with running(cluster, controllers=("externalsecrets",)):
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "first"}, what="first sync")
        vault.put(path, password="second")
        cluster.kube.patch_merge(
            ES, "ExternalSecret", "shop", "db", {"metadata": {"annotations": {"force-sync": "1"}}}
        )
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "second"}, what="forced")


def test_creation_policy_merge_needs_an_existing_secret(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", path, "password")
    es["spec"]["target"]["creationPolicy"] = "Merge"
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 1
    assert "creationPolicy=Merge the secret won't be created" in _ready(cluster, "shop", "db")["message"]


def test_creation_policy_merge_adds_keys_to_a_secret_it_does_not_own(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "stringData": {"user": "app"},
        }
    )
    es = external_secret("shop", "db", path, "password")
    es["spec"]["target"]["creationPolicy"] = "Merge"
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"user": "app", "password": "s3cret"}
    assert not (cluster.secret("shop", "db") or {})["metadata"].get("ownerReferences")


def test_creation_policy_orphan_writes_a_secret_without_owner(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", path, "password")
    es["spec"]["target"]["creationPolicy"] = "Orphan"
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "s3cret"}
    assert not (cluster.secret("shop", "db") or {})["metadata"].get("ownerReferences")


def test_creation_policy_none_writes_nothing_and_is_ready(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", path, "password")
    es["spec"]["target"]["creationPolicy"] = "None"
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret("shop", "db") is None
    assert _ready(cluster, "shop", "db")["status"] == "True"


def test_deletion_policy_delete_removes_the_secret_when_the_remote_data_is_gone(
    cluster: Cluster, vault: Vault
) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", path, "password")
    es["spec"]["target"]["deletionPolicy"] = "Delete"
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 0
    vault.delete(path)
    cluster.kube.patch_merge(
        ES, "ExternalSecret", "shop", "db", {"metadata": {"annotations": {"force-sync": "2"}}}
    )
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret("shop", "db") is None


def test_a_template_making_a_service_account_token_secret_is_refused(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, token="abc")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", path, "token")
    es["spec"]["target"]["template"] = {
        "type": "kubernetes.io/service-account-token",
        "metadata": {"annotations": {"kubernetes.io/service-account.name": "default"}},
    }
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 1
    assert cluster.secret("shop", "db") is None
    assert "service-account-token' with annotation" in _ready(cluster, "shop", "db")["message"]


def test_v1beta1_external_secrets_are_served_and_synced(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="s3cret")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", path, "password")
    es["apiVersion"] = "external-secrets.io/v1beta1"
    cluster.create(es)
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "s3cret"}


def test_one_refresh_reads_each_distinct_remote_key_once(cluster: Cluster, vault: Vault) -> None:
    a, b = _path(), _path()
    vault.put(a, user="app", password="s3cret")
    vault.put(b, token="t0k")
    vault.store(cluster, "shop")
    es = external_secret("shop", "db", a, "user", "password")
    es["spec"]["data"].append({"secretKey": "token", "remoteRef": {"key": b, "property": "token"}})
    cluster.create(es)
    manager = cluster.manager(once=True, controllers=("externalsecrets",))
    assert manager.run_once() == 0
    labels = {"controller": "externalsecrets", "call": "vault.read"}
    reads = manager.metrics.registry.get_sample_value("secretsops_controller_provider_calls_total", labels)
    assert reads == 2
    assert cluster.secret_values("shop", "db") == {"user": "app", "password": "s3cret", "token": "t0k"}


def _annotate(cluster: Cluster, value: str) -> None:
    patch = {"metadata": {"annotations": {"force-sync": value}}}
    cluster.kube.patch_merge(ES, "ExternalSecret", "shop", "db", patch)


def test_refresh_policy_created_once_never_reads_again(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="first")
    vault.store(cluster, "shop")
    cluster.create(
        external_secret("shop", "db", path, "password", refreshPolicy="CreatedOnce", refreshInterval="1s")
    )
    assert cluster.once(controllers=("externalsecrets",)) == 0
    vault.put(path, password="second")
    _annotate(cluster, "1")
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "first"}


def test_refresh_policy_on_change_reads_only_when_the_object_changes(cluster: Cluster, vault: Vault) -> None:
    path = _path()
    vault.put(path, password="first")
    vault.store(cluster, "shop")
    cluster.create(
        external_secret("shop", "db", path, "password", refreshPolicy="OnChange", refreshInterval="1s")
    )
    assert cluster.once(controllers=("externalsecrets",)) == 0
    vault.put(path, password="second")
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "first"}
    _annotate(cluster, "1")
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert cluster.secret_values("shop", "db") == {"password": "second"}
