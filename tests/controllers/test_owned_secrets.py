"""A Secret the controllers write that someone edits or deletes is put back at once, not at the next refresh.

As ESO and the Bitnami controller do: the controllers watch Secrets (metadata only) and reconcile the
owner when one of theirs changes by someone else's hand; the echoes of their own writes are not news.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid

from secretsops.controllers.informer import Informer
from tests.controllers.conftest import Cluster, Sops, Vault, eventually, external_secret, running


def _ns(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _tamper(cluster: Cluster, ns: str, name: str, **values: str) -> None:
    """What `kubectl edit secret` does to the data: a full replace by someone else."""
    live = cluster.secret(ns, name)
    assert live is not None
    live["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    cluster.kube.replace(live)


def test_a_sealed_secrets_secret_edited_by_someone_is_put_back_at_once(cluster: Cluster) -> None:
    ns = _ns("owned-ss")
    cluster.create(cluster.seal(ns, "db", {"password": "hunter2"}))
    with running(cluster, controllers=("sealedsecrets",)):
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "hunter2"}, what="Secret")
        _tamper(cluster, ns, "db", password="tampered")
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "hunter2"}, what="put back")


def test_an_external_secrets_secret_edited_by_someone_is_refreshed_before_its_interval(
    cluster: Cluster, vault: Vault
) -> None:
    ns, path = _ns("owned-es"), f"owned/{uuid.uuid4().hex[:8]}"
    vault.put(path, password="s3cret")
    vault.store(cluster, ns)
    cluster.create(external_secret(ns, "db", path, "password", refreshInterval="1h"))
    with running(cluster, controllers=("externalsecrets",)):
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "s3cret"}, what="Secret")
        _tamper(cluster, ns, "db", password="tampered")
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "s3cret"}, what="put back")


def test_an_external_secrets_secret_stripped_of_the_managed_label_gets_it_back(
    cluster: Cluster, vault: Vault
) -> None:
    ns, path = _ns("owned-lbl"), f"owned/{uuid.uuid4().hex[:8]}"
    vault.put(path, password="s3cret")
    vault.store(cluster, ns)
    cluster.create(external_secret(ns, "db", path, "password", refreshInterval="1h"))
    managed = "reconcile.external-secrets.io/managed"

    def labelled() -> bool:
        return ((cluster.secret(ns, "db") or {}).get("metadata", {}).get("labels") or {}).get(
            managed
        ) == "true"

    with running(cluster, controllers=("externalsecrets",)):
        eventually(labelled, what="Secret written with the managed label")
        cluster.kube.patch_merge("v1", "Secret", ns, "db", {"metadata": {"labels": {managed: None}}})
        eventually(labelled, what="label put back")


def test_an_external_secrets_deleted_secret_is_written_again(cluster: Cluster, vault: Vault) -> None:
    ns, path = _ns("owned-del"), f"owned/{uuid.uuid4().hex[:8]}"
    vault.put(path, password="s3cret")
    vault.store(cluster, ns)
    cluster.create(external_secret(ns, "db", path, "password", refreshInterval="1h"))
    with running(cluster, controllers=("externalsecrets",)):
        eventually(lambda: cluster.secret(ns, "db"), what="Secret")
        cluster.kube.delete("v1", "Secret", ns, "db")
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "s3cret"}, what="written again")


def test_a_sops_secrets_secret_edited_by_someone_is_put_back_at_once(cluster: Cluster, sops: Sops) -> None:
    ns = _ns("owned-sops")
    sops.key_secret(cluster)
    cluster.create(sops.sops_secret(ns, "db", {"password": "hunter2"}))
    with running(cluster, controllers=("sopssecrets",)):
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "hunter2"}, what="Secret")
        _tamper(cluster, ns, "db", password="tampered")
        eventually(lambda: cluster.secret_values(ns, "db") == {"password": "hunter2"}, what="put back")


def test_the_controllers_own_writes_do_not_reconcile_the_object_again(cluster: Cluster) -> None:
    ns = _ns("owned-echo")
    cluster.create(cluster.seal(ns, "db", {"password": "hunter2"}))
    with running(cluster, controllers=("sealedsecrets",)) as manager:
        eventually(lambda: cluster.secret(ns, "db"), what="Secret")
        status = lambda: (cluster.get("bitnami.com/v1alpha1", "SealedSecret", ns, "db") or {}).get("status")  # noqa: E731
        eventually(status, what="status written")
        time.sleep(1.0)  # the echoes of the Secret create and the status patch have arrived
        ok = manager.metrics.reconciles.labels("sealedsecrets", "ok")._value.get()
    assert ok == 1


def test_the_secret_watch_receives_metadata_and_never_values(cluster: Cluster) -> None:
    ns = _ns("owned-meta")
    cluster.namespace(ns)
    events: list[tuple[str, dict]] = []
    informer = Informer(
        cluster.kube,
        "v1",
        "Secret",
        ns,
        keep=False,
        metadata_only=True,
        handlers=[lambda k, o: events.append((k, o))],
    )
    informer.sync()
    stop = threading.Event()
    thread = threading.Thread(target=informer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "db", "namespace": ns},
                "stringData": {"p": "x"},
            }
        )
        eventually(lambda: any(k == "ADDED" for k, _ in events), what="the ADDED event")
    finally:
        stop.set()
        informer.stop()
        thread.join(10)
    [(_, obj)] = [(k, o) for k, o in events if k == "ADDED"]
    assert obj["metadata"]["name"] == "db"
    assert "data" not in obj and "stringData" not in obj
