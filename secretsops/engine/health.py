"""Readiness of applied objects, computed the way kstatus computes it.

Workloads (Deployment, StatefulSet, DaemonSet, Job) get their kind-specific rules; anything
else is judged by kstatus-style conditions (``Stalled``/``Reconciling``/``Ready``) and
``observedGeneration``. Objects without status (ConfigMaps, Secrets) are Current.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from secretsops.errors import EngineError
from secretsops.manifests import Obj


class Status(StrEnum):
    CURRENT = "Current"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"


@dataclass(frozen=True)
class Health:
    status: Status
    message: str = ""


def _conditions(obj: Obj) -> dict[str, dict[str, Any]]:
    conds = (obj.get("status") or {}).get("conditions") or []
    return {str(c.get("type")): c for c in conds if isinstance(c, dict)}


def _generation_pending(obj: Obj) -> Health | None:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    if generation is not None and observed is not None and int(observed) < int(generation):
        return Health(Status.IN_PROGRESS, f"observed generation {observed} < {generation}")
    return None


def _deployment(obj: Obj) -> Health:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not status:
        return Health(Status.IN_PROGRESS, "no status yet")
    progressing = _conditions(obj).get("Progressing") or {}
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(Status.FAILED, "progress deadline exceeded")
    want = int(spec.get("replicas", 1))
    for field, label in (
        ("updatedReplicas", "updated"),
        ("readyReplicas", "ready"),
        ("availableReplicas", "available"),
    ):
        have = int(status.get(field) or 0)
        if have < want:
            return Health(Status.IN_PROGRESS, f"{label} replicas {have}/{want}")
    if int(status.get("replicas") or 0) > want:
        return Health(Status.IN_PROGRESS, "old replicas pending termination")
    available = _conditions(obj).get("Available") or {}
    if available and available.get("status") != "True":
        return Health(Status.IN_PROGRESS, "not available")
    return Health(Status.CURRENT)


def _statefulset(obj: Obj) -> Health:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not status:
        return Health(Status.IN_PROGRESS, "no status yet")
    want = int(spec.get("replicas", 1))
    if int(status.get("readyReplicas") or 0) < want:
        return Health(Status.IN_PROGRESS, f"ready replicas {status.get('readyReplicas') or 0}/{want}")
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        if (
            partition == 0
            and status.get("updateRevision")
            and status.get("currentRevision") != status.get("updateRevision")
        ):
            return Health(Status.IN_PROGRESS, "rolling update in progress")
        if int(status.get("updatedReplicas") or 0) < want - partition:
            return Health(Status.IN_PROGRESS, "updated replicas pending")
    return Health(Status.CURRENT)


def _daemonset(obj: Obj) -> Health:
    status = obj.get("status") or {}
    if not status:
        return Health(Status.IN_PROGRESS, "no status yet")
    desired = int(status.get("desiredNumberScheduled") or 0)
    for field in ("currentNumberScheduled", "updatedNumberScheduled", "numberAvailable", "numberReady"):
        if int(status.get(field) or 0) < desired:
            return Health(Status.IN_PROGRESS, f"{field} {status.get(field) or 0}/{desired}")
    return Health(Status.CURRENT)


def _job(obj: Obj) -> Health:
    conds = _conditions(obj)
    if (conds.get("Failed") or {}).get("status") == "True":
        return Health(Status.FAILED, "job failed")
    if (conds.get("Complete") or {}).get("status") == "True":
        return Health(Status.CURRENT)
    return Health(Status.IN_PROGRESS, "job running")


def _generic(obj: Obj) -> Health:
    conds = _conditions(obj)
    if (conds.get("Stalled") or {}).get("status") == "True":
        return Health(Status.FAILED, str(conds["Stalled"].get("reason") or "stalled"))
    if (conds.get("Reconciling") or {}).get("status") == "True":
        return Health(Status.IN_PROGRESS, str(conds["Reconciling"].get("reason") or "reconciling"))
    ready = conds.get("Ready")
    if ready is not None and ready.get("status") == "False":
        return Health(Status.IN_PROGRESS, str(ready.get("reason") or "not ready"))
    return Health(Status.CURRENT)


_RULES = {
    ("apps", "Deployment"): _deployment,
    ("apps", "StatefulSet"): _statefulset,
    ("apps", "DaemonSet"): _daemonset,
    ("batch", "Job"): _job,
}


def compute(obj: Obj) -> Health:
    """kstatus-like readiness of one live object."""
    pending = _generation_pending(obj)
    if pending is not None:
        return pending
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    rule = _RULES.get((group, str(obj.get("kind"))), _generic)
    return rule(obj)


class HealthCheckFailed(EngineError):
    """``wait``/``healthChecks``: objects not Current within the source's timeout (retried)."""

    temporary = True
    condition_reason = "HealthCheckFailed"


def wait_until_current(
    fetch: Callable[[], list[tuple[str, Obj | None]]],
    timeout: float,
    sleep: Callable[[float], None],
    *,
    poll: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[Obj]:
    """Poll ``fetch`` (what, live object or None) until every object is Current.

    Returns the live objects; raises ``HealthCheckFailed`` naming what is not Current when one
    is Failed (no point waiting) or ``timeout`` seconds passed (Flux's ``wait``/``healthChecks``
    bounded by ``timeout``).
    """
    deadline = clock() + timeout
    while True:
        pending: list[str] = []
        live: list[Obj] = []
        failed = False
        for what, obj in fetch():
            if obj is None:
                pending.append(f"{what}: not found")
                continue
            live.append(obj)
            h = compute(obj)
            if h.status != Status.CURRENT:
                pending.append(f"{what}: {h.status.value} ({h.message})")
                failed = failed or h.status == Status.FAILED
        if not pending:
            return live
        left = deadline - clock()
        if failed or left <= 0:
            why = "failed" if failed else f"not ready after {timeout:g}s"
            raise HealthCheckFailed(f"health check {why}: {'; '.join(pending[:20])[:800]}")
        sleep(min(poll, left))
