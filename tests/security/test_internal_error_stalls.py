"""Issue 11 row 3: a bug that hostile input reaches stalls the source; it is never retried forever."""

from __future__ import annotations

import pytest


def _explode_like_deep_nesting(*args: object, **kwargs: object) -> None:
    raise RecursionError("maximum recursion depth exceeded while parsing CANARY-value")


def test_an_internal_error_is_permanent_and_waits_for_the_interval(
    harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine(interval=600.0)
    rec = eng.engine.reconcilers[0]
    monkeypatch.setattr(rec, "_full_pass", _explode_like_deep_nesting)

    first = rec.reconcile()
    second = rec.reconcile()

    assert not first.ok and not first.temporary
    assert rec.next_delay(first) == 600.0 and rec.next_delay(second) == 600.0


def test_an_internal_error_stalls_the_source_with_its_type_only(
    harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    rec = eng.engine.reconcilers[0]
    monkeypatch.setattr(rec, "_full_pass", _explode_like_deep_nesting)

    rec.reconcile()

    stalled = harness.condition("Stalled")
    assert stalled["status"] == "True" and "RecursionError" in stalled["message"]
    assert harness.condition("Reconciling")["status"] == "False"
    assert (
        "CANARY"
        not in harness.core()
        .read_namespaced_config_map("secretsops-status-apps", "secretsops-system")
        .data["status.json"]
    )
