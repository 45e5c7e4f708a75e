"""Events about our objects: ESO's and Bitnami's reasons, correlated as client-go's recorder does."""

from __future__ import annotations

import time
import uuid
from typing import Any

from secretsops.controllers.events import AGGREGATE_PREFIX, EventRecorder
from secretsops.controllers.metrics import ControllerMetrics
from tests.controllers.conftest import Cluster, Vault, external_secret

ES = "external-secrets.io/v1"


def _ns(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _events(cluster: Cluster, ns: str, name: str) -> list[dict[str, Any]]:
    return [e for e in cluster.kube.list_objects("v1", "Event", ns) if e["involvedObject"]["name"] == name]


def _reasons(cluster: Cluster, ns: str, name: str) -> list[tuple[str, str, str]]:
    return sorted((e["type"], e["reason"], e["message"]) for e in _events(cluster, ns, name))


def _es(cluster: Cluster, vault: Vault, ns: str, **values: str) -> str:
    path = f"events/{uuid.uuid4().hex[:8]}"
    vault.put(path, **values)
    vault.store(cluster, ns)
    cluster.create(external_secret(ns, "db", path, *values))
    return path


def test_an_external_secret_that_creates_its_secret_records_created(cluster: Cluster, vault: Vault) -> None:
    ns = _ns("ev-created")
    _es(cluster, vault, ns, password="s3cret")
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert _reasons(cluster, ns, "db") == [("Normal", "Created", "secret created")]


def test_an_external_secret_whose_secret_changes_records_updated(cluster: Cluster, vault: Vault) -> None:
    ns = _ns("ev-updated")
    path = _es(cluster, vault, ns, password="first")
    cluster.once(controllers=("externalsecrets",))
    vault.put(path, password="second")
    patch = {"metadata": {"annotations": {"force-sync": "1"}}}
    cluster.kube.patch_merge(ES, "ExternalSecret", ns, "db", patch)
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert ("Normal", "Updated", "secret updated") in _reasons(cluster, ns, "db")


def test_a_refresh_that_changes_nothing_records_no_event(cluster: Cluster, vault: Vault) -> None:
    ns = _ns("ev-same")
    _es(cluster, vault, ns, password="same")
    cluster.kube.patch_merge(ES, "ExternalSecret", ns, "db", {"spec": {"refreshInterval": "1s"}})
    cluster.once(controllers=("externalsecrets",))
    refreshed = lambda: (cluster.get(ES, "ExternalSecret", ns, "db") or {})["status"]["refreshTime"]  # noqa: E731
    first = refreshed()
    time.sleep(1.5)  # the refresh interval has passed: the next pass reads OpenBao again
    assert cluster.once(controllers=("externalsecrets",)) == 0
    assert refreshed() != first
    assert _reasons(cluster, ns, "db") == [("Normal", "Created", "secret created")]


def test_deletion_policy_delete_records_deleted(cluster: Cluster, vault: Vault) -> None:
    ns = _ns("ev-deleted")
    path = _es(cluster, vault, ns, password="s3cret")
    cluster.kube.patch_merge(
        ES, "ExternalSecret", ns, "db", {"spec": {"target": {"deletionPolicy": "Delete"}}}
    )
    cluster.once(controllers=("externalsecrets",))
    vault.delete(path)
    cluster.kube.patch_merge(
        ES, "ExternalSecret", ns, "db", {"metadata": {"annotations": {"force-sync": "1"}}}
    )
    cluster.once(controllers=("externalsecrets",))
    assert cluster.secret(ns, "db") is None
    assert ("Normal", "Deleted", "secret deleted due to DeletionPolicy=Delete") in _reasons(cluster, ns, "db")


def test_a_sealed_secret_that_opens_records_unsealed(cluster: Cluster) -> None:
    ns = _ns("ev-unsealed")
    cluster.create(cluster.seal(ns, "db", {"password": "hunter2"}))
    assert cluster.once(controllers=("sealedsecrets",)) == 0
    assert _reasons(cluster, ns, "db") == [("Normal", "Unsealed", "SealedSecret unsealed successfully")]


# --- the recorder -------------------------------------------------------------------------------------


def _object(cluster: Cluster, ns: str) -> dict[str, Any]:
    cluster.namespace(ns)
    return cluster.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "subject", "namespace": ns}}
    )


def _recorder(cluster: Cluster, **kw: Any) -> EventRecorder:
    recorder = EventRecorder(lambda: cluster.kube, ControllerMetrics.create(), **kw)
    recorder.start()
    return recorder


def test_the_same_event_again_counts_up_instead_of_a_new_event(cluster: Cluster) -> None:
    ns = _ns("ev-dedup")
    obj = _object(cluster, ns)
    recorder = _recorder(cluster)
    for _ in range(3):
        recorder.record(obj, "Unsealed", "SealedSecret unsealed successfully")
    assert recorder.flush()
    [event] = _events(cluster, ns, "subject")
    assert event["count"] == 3


def test_more_than_ten_messages_of_one_reason_are_combined(cluster: Cluster) -> None:
    ns = _ns("ev-aggregate")
    obj = _object(cluster, ns)
    recorder = _recorder(cluster)
    for i in range(14):
        recorder.record(obj, "UpdateFailed", f"attempt {i} failed", warning=True)
    assert recorder.flush()
    events = _events(cluster, ns, "subject")
    combined = [e for e in events if e["message"].startswith(AGGREGATE_PREFIX)]
    assert len(events) == 11 and len(combined) == 1
    assert combined[0]["count"] == 4 and combined[0]["message"] == AGGREGATE_PREFIX + "attempt 13 failed"


def test_events_beyond_the_burst_of_one_object_are_dropped_and_counted(cluster: Cluster) -> None:
    ns = _ns("ev-spam")
    obj = _object(cluster, ns)
    recorder = _recorder(cluster, burst=3)
    for i in range(5):
        recorder.record(obj, f"Reason{i}", "something happened")
    assert recorder.flush()
    assert len(_events(cluster, ns, "subject")) == 3
    assert recorder.metrics.events_dropped.labels("spam-filter")._value.get() == 2


def test_a_full_queue_drops_the_event_instead_of_blocking_the_worker(cluster: Cluster) -> None:
    ns = _ns("ev-full")
    obj = _object(cluster, ns)
    recorder = EventRecorder(lambda: cluster.kube, ControllerMetrics.create(), capacity=2)  # not started
    for i in range(3):
        recorder.record(obj, "Reason", f"message {i}")
    assert recorder.metrics.events_dropped.labels("queue-full")._value.get() == 1
    assert recorder.flush()
    assert len(_events(cluster, ns, "subject")) == 2
