"""List + watch against the real API server: events, a new list after 410 Gone, deletions in a gap."""

from __future__ import annotations

import threading
from typing import Any

from secretsops.controllers.informer import Informer
from secretsops.kube.client import KubeClient
from tests.controllers.conftest import Cluster, eventually


def _configmap(cluster: Cluster, name: str) -> None:
    cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}})


def _informer(cluster: Cluster, events: list[tuple[str, str]]) -> Informer:
    record = lambda kind, obj: events.append((kind, obj["metadata"]["name"]))  # noqa: E731
    return Informer(cluster.kube, "v1", "ConfigMap", "shop", handlers=[record])


def test_objects_created_after_the_list_arrive_as_watch_events(cluster: Cluster) -> None:
    events: list[tuple[str, str]] = []
    inf = _informer(cluster, events)
    _configmap(cluster, "before")
    stop = threading.Event()
    thread = threading.Thread(target=inf.run, args=(stop,), daemon=True)
    thread.start()
    try:
        inf.synced.wait(30)
        _configmap(cluster, "after")
        eventually(lambda: ("ADDED", "after") in events, what="the watch event")
        assert inf.lists == 1 and inf.get(("shop", "after")) is not None
    finally:
        stop.set()
        inf.stop()
        thread.join(10)


def test_a_watch_answered_410_gone_lists_again(kubeapi: Any) -> None:
    """Fault injection on the in-memory API server: the real one keeps etcd's history for minutes."""
    kube = KubeClient(kubeapi.api_client())
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    kube.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "shop"}})
    events: list[tuple[str, str]] = []
    inf = Informer(
        kube, "v1", "ConfigMap", "shop", handlers=[lambda k, o: events.append((k, o["metadata"]["name"]))]
    )
    inf.sync()
    kubeapi.inject("GET", r"/api/v1/namespaces/shop/configmaps$", 410, times=1)
    stop = threading.Event()
    thread = threading.Thread(target=inf.run, args=(stop,), daemon=True)
    thread.start()
    try:
        eventually(lambda: inf.lists == 2, what="a new list after 410")
    finally:
        stop.set()
        inf.stop()
        thread.join(10)


def test_an_object_deleted_between_two_lists_is_reported_deleted(cluster: Cluster) -> None:
    events: list[tuple[str, str]] = []
    inf = _informer(cluster, events)
    _configmap(cluster, "gone")
    inf.sync()
    cluster.kube.delete("v1", "ConfigMap", "shop", "gone")
    inf.sync()
    assert ("DELETED", "gone") in events and inf.get(("shop", "gone")) is None


def test_managed_fields_are_not_kept_in_the_cache(cluster: Cluster) -> None:
    inf = _informer(cluster, [])
    _configmap(cluster, "a")
    inf.sync()
    cached = inf.get(("shop", "a")) or {}
    assert "managedFields" not in cached["metadata"] and cached["metadata"]["name"] == "a"
