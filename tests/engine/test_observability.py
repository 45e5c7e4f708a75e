"""Status objects, Events, metrics and JSON logs of a source."""

from __future__ import annotations

import json
import logging

import pytest

from secretsops.engine.logs import JsonFormatter

pytestmark = pytest.mark.realkube  # runs against the real kube-apiserver (tests/realkube.py)


def test_success_and_failure_are_recorded_as_events(harness) -> None:
    harness.write_app({"A": "1"})
    head = harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.repo.write("apps/bad.yaml", "kind: [\n")
    harness.repo.write("apps/kustomization.yaml", "resources: [bad.yaml]\n")
    harness.repo.commit()
    eng.run_once()
    eng.run_once()  # the same failure again: no second Event
    events = harness.core().list_namespaced_event("secretsops-system").items
    reasons = [(e.type, e.reason) for e in events]
    assert reasons.count(("Normal", "ReconciliationSucceeded")) == 1
    assert reasons.count(("Warning", "BuildFailed")) == 1
    ok = next(e for e in events if e.reason == "ReconciliationSucceeded")
    assert head in ok.message and ok.involved_object.name == "secretsops-status-apps"


def test_metrics_count_passes_objects_and_key_calls(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1", "cm-b": "2"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng.run_once()
    reg = eng.engine.deps.metrics.registry
    labels = {"source": "apps"}
    assert reg.get_sample_value("secretsops_reconcile_duration_seconds_count", labels) == 2
    assert reg.get_sample_value("secretsops_objects_applied_total", labels) == 4 + 3
    assert reg.get_sample_value("secretsops_objects_pruned_total", labels) == 1
    assert reg.get_sample_value("secretsops_decrypt_calls_total", {**labels, "key_source": "age"}) == 2
    assert reg.get_sample_value("secretsops_source_ready", labels) == 1


def test_status_object_is_kstatus_shaped(harness) -> None:
    harness.write_app({"A": "1"})
    harness.repo.commit()
    harness.engine().run_once()
    st = harness.status()
    assert [c["type"] for c in st["conditions"]] == ["Ready", "Reconciling", "Stalled"]
    assert [c["status"] for c in st["conditions"]] == ["True", "False", "False"]
    assert all(c["lastTransitionTime"].endswith("Z") for c in st["conditions"])
    assert st["objects"] == 3 and st["lastAttemptedRevision"] == st["lastAppliedRevision"]


def test_inventory_holds_object_ids_only(harness) -> None:
    harness.write_app({"PASSWORD": "inventory-canary"})
    harness.repo.commit()
    harness.engine().run_once()
    cm = harness.core().read_namespaced_config_map("secretsops-inventory-apps", "secretsops-system")
    rows = json.loads(cm.data["inventory"])
    assert ["v1", "Secret", "apps", "db"] in rows and ["v1", "Namespace", "", "apps"] in rows
    assert "inventory-canary" not in cm.data["inventory"]


def test_logs_are_json_with_source_fields(harness, caplog) -> None:
    caplog.set_level(logging.INFO, logger="secretsops")
    harness.write_app({"A": "1"})
    harness.repo.commit()
    harness.engine().run_once()
    record = next(r for r in caplog.records if r.getMessage() == "pass finished")
    line = json.loads(JsonFormatter().format(record))
    assert line["source"] == "apps" and line["level"] == "info" and line["revision"].startswith("main@sha1:")
