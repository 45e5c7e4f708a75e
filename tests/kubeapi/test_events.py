"""Core v1 and events.k8s.io/v1 Events can be created and listed."""

from __future__ import annotations

import kubernetes
from kubernetes.client import CoreV1Api


def test_create_core_v1_event(core: CoreV1Api) -> None:
    body = {
        "metadata": {"generateName": "app."},
        "involvedObject": {"kind": "ConfigMap", "namespace": "default", "name": "app", "apiVersion": "v1"},
        "reason": "Applied",
        "message": "applied 3 objects",
        "type": "Normal",
        "source": {"component": "secretsops"},
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:00Z",
        "count": 1,
    }
    created = core.create_namespaced_event("default", body)
    assert created.metadata.name.startswith("app.") and created.reason == "Applied"
    listed = core.list_namespaced_event("default", field_selector="involvedObject.name=app")
    assert [e.reason for e in listed.items] == ["Applied"]


def test_create_events_k8s_io_event(core: CoreV1Api) -> None:
    events = kubernetes.client.EventsV1Api(core.api_client)
    body = {
        "metadata": {"name": "e1"},
        "eventTime": "2026-01-01T00:00:00.000001Z",
        "reason": "Synced",
        "note": "ok",
        "type": "Normal",
        "action": "Reconcile",
        "reportingController": "secretsops",
        "reportingInstance": "secretsops-0",
        "regarding": {"kind": "ConfigMap", "namespace": "default", "name": "app"},
    }
    created = events.create_namespaced_event("default", body)
    assert created.reason == "Synced" and created.regarding.name == "app"
