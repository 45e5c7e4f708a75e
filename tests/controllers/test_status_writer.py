"""The status writer: statuses follow the Secrets, one patch per object, never lost at a stop."""

from __future__ import annotations

import time
import uuid
from typing import Any

from secretsops.controllers.statuswriter import StatusWriter
from secretsops.kube.client import KubeClient
from tests.controllers.conftest import Cluster

API, KIND = "bitnami.com/v1alpha1", "SealedSecret"


class CountingKube(KubeClient):
    """The real gateway, counting status patches (what the API server receives is asserted too)."""

    patches = 0

    def patch_status(self, *args: Any, **kw: Any) -> Any:
        CountingKube.patches += 1
        return super().patch_status(*args, **kw)


def _sealed(cluster: Cluster) -> dict[str, Any]:
    ns = f"status-{uuid.uuid4().hex[:6]}"
    return cluster.create(cluster.seal(ns, "db", {"password": "hunter2"}))


def _live_status(cluster: Cluster, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return (cluster.get(API, KIND, meta["namespace"], meta["name"]) or {}).get("status") or {}


def test_two_statuses_owed_to_one_object_make_one_patch_with_the_newer(cluster: Cluster) -> None:
    obj = _sealed(cluster)
    kube = CountingKube(cluster.kube.api)
    CountingKube.patches = 0
    writer = StatusWriter(lambda: kube)
    writer.submit(obj, API, KIND, {"observedGeneration": 1, "conditions": []})
    writer.submit(obj, API, KIND, {"observedGeneration": 2, "conditions": []})
    assert writer.flush()
    assert CountingKube.patches == 1
    assert _live_status(cluster, obj)["observedGeneration"] == 2


def test_a_status_equal_to_the_live_one_is_not_written(cluster: Cluster) -> None:
    obj = _sealed(cluster)
    kube = CountingKube(cluster.kube.api)
    writer = StatusWriter(lambda: kube)
    writer.submit(obj, API, KIND, {"observedGeneration": 1})
    assert writer.flush()
    CountingKube.patches = 0
    writer.submit(obj, API, KIND, {"observedGeneration": 1})
    assert writer.flush()
    assert CountingKube.patches == 0


def test_while_workers_are_busy_the_writer_waits_and_a_flush_writes_at_once(cluster: Cluster) -> None:
    obj = _sealed(cluster)
    writer = StatusWriter(lambda: cluster.kube, busy=lambda: True, max_delay=3600)
    writer.start()
    writer.submit(obj, API, KIND, {"observedGeneration": 1})
    time.sleep(0.5)
    assert _live_status(cluster, obj) == {}
    assert writer.flush()
    assert _live_status(cluster, obj) == {"observedGeneration": 1}
    writer.close()


def test_statuses_and_events_wait_while_objects_are_still_arriving(cluster: Cluster) -> None:
    """A worker that just emptied its queue is not enough: a burst may still be arriving."""
    manager = cluster.manager(controllers=("sealedsecrets",), quiet=1.0)
    queue = manager.controllers[0].queue
    now = [100.0]
    queue.clock = lambda: now[0]
    busy = manager.ctx.statuses.busy
    assert manager.ctx.events.busy == busy
    queue.add(("shop", "db"))
    assert busy()
    key = queue.get(timeout=0)
    queue.done(key)
    assert len(queue) == 0
    now[0] = 100.5
    assert busy()  # queued half a second ago
    now[0] = 101.5
    assert not busy()
