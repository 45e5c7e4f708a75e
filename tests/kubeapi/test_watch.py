"""Watch streams ADDED/MODIFIED/DELETED events usable with kubernetes.watch.Watch."""

from __future__ import annotations

import threading
import time

import pytest
from kubernetes import watch
from kubernetes.client import CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.rawhttp import call


def _collect(core: CoreV1Api, count: int, **kw) -> list[tuple[str, str]]:
    events = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=3, **kw):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) >= count:
            w.stop()
    return events


def _in_background(action, delay: float = 0.2) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay), action()))
    thread.start()
    return thread


def test_watch_starts_with_existing_objects_as_added(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    assert _collect(core, 1) == [("ADDED", "a")]


def test_watch_streams_changes_in_order(core: CoreV1Api) -> None:
    def act() -> None:
        core.create_namespaced_config_map("default", {"metadata": {"name": "x"}})
        core.patch_namespaced_config_map("x", "default", {"data": {"k": "v"}})
        core.delete_namespaced_config_map("x", "default")

    thread = _in_background(act)
    events = _collect(core, 3)
    thread.join()
    assert events == [("ADDED", "x"), ("MODIFIED", "x"), ("DELETED", "x")]


def test_watch_from_resource_version_replays_later_events_only(core: CoreV1Api) -> None:
    first = core.create_namespaced_config_map("default", {"metadata": {"name": "old"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "new"}})
    events = _collect(core, 1, resource_version=first.metadata.resource_version)
    assert events == [("ADDED", "new")]


def test_label_selector_watch_sees_objects_leave_the_selection(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a", "labels": {"sel": "yes"}}})

    thread = _in_background(
        lambda: core.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"sel": "no"}}})
    )
    events = _collect(core, 2, label_selector="sel=yes")
    thread.join()
    assert events == [("ADDED", "a"), ("DELETED", "a")]


def test_watch_ends_after_timeout_seconds(core: CoreV1Api) -> None:
    started = time.monotonic()
    events = list(watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=1))
    assert events == [] and time.monotonic() - started < 5


def test_watch_event_objects_carry_kind_and_api_version(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    import json

    from tests.kubeapi.rawhttp import urlopen

    with urlopen(kubeapi, "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1") as r:
        first = json.loads(r.readline())
    assert first["type"] == "ADDED"
    assert (first["object"]["kind"], first["object"]["apiVersion"]) == ("ConfigMap", "v1")


# resourceVersions from before our reset(); a real server expires them only after etcd compaction
@pytest.mark.inmemory
def test_too_old_resource_version_is_410_expired_event(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    kubeapi.reset()
    core.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    import json

    from tests.kubeapi.rawhttp import urlopen

    path = "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1&timeoutSeconds=1"
    with urlopen(kubeapi, path) as r:
        event = json.loads(r.readline())
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


def test_list_then_watch_from_list_resource_version(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    listed = core.list_namespaced_config_map("default")
    thread = _in_background(lambda: core.create_namespaced_config_map("default", {"metadata": {"name": "b"}}))
    events = _collect(core, 1, resource_version=listed.metadata.resource_version)
    thread.join()
    assert events == [("ADDED", "b")]
    assert call(kubeapi, "GET", "/api/v1/namespaces/default/configmaps")[0] == 200


def test_watch_headers_arrive_before_any_event(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    from tests.kubeapi.rawhttp import urlopen

    listed = core.list_namespaced_config_map("default")
    path = (
        "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5&resourceVersion="
        + listed.metadata.resource_version
    )
    started = time.monotonic()
    with urlopen(kubeapi, path) as response:  # would block if the headers waited for the first event
        assert response.status == 200 and time.monotonic() - started < 1
