"""Readiness the way kstatus computes it."""

from __future__ import annotations

from secretsops.engine.health import Status, compute


def deploy(replicas: int = 2, **status: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "generation": 3},
        "spec": {"replicas": replicas},
        "status": {"observedGeneration": 3, **status},
    }


def test_deployment_with_all_replicas_available_is_current() -> None:
    ok = deploy(replicas=2, updatedReplicas=2, readyReplicas=2, availableReplicas=2)
    assert compute(ok).status is Status.CURRENT


def test_deployment_rolling_out_is_in_progress() -> None:
    assert (
        compute(deploy(updatedReplicas=1, readyReplicas=2, availableReplicas=2)).status is Status.IN_PROGRESS
    )


def test_deployment_past_its_progress_deadline_failed() -> None:
    cond = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
    assert compute(deploy(conditions=[cond])).status is Status.FAILED


def test_unobserved_generation_is_in_progress() -> None:
    d = deploy(updatedReplicas=2, readyReplicas=2, availableReplicas=2)
    d["status"]["observedGeneration"] = 2
    assert compute(d).status is Status.IN_PROGRESS


def test_statefulset_waits_for_update_revision() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "s"},
        "spec": {"replicas": 1},
        "status": {"readyReplicas": 1, "updatedReplicas": 1, "currentRevision": "a", "updateRevision": "b"},
    }
    assert compute(sts).status is Status.IN_PROGRESS
    sts["status"]["currentRevision"] = "b"
    assert compute(sts).status is Status.CURRENT


def test_daemonset_needs_every_scheduled_pod_ready() -> None:
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "d"},
        "status": {
            "desiredNumberScheduled": 2,
            "currentNumberScheduled": 2,
            "updatedNumberScheduled": 2,
            "numberAvailable": 1,
            "numberReady": 2,
        },
    }
    assert compute(ds).status is Status.IN_PROGRESS
    ds["status"]["numberAvailable"] = 2
    assert compute(ds).status is Status.CURRENT


def test_job_complete_failed_or_running() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "status": {}}
    assert compute(job).status is Status.IN_PROGRESS
    job["status"]["conditions"] = [{"type": "Complete", "status": "True"}]
    assert compute(job).status is Status.CURRENT
    job["status"]["conditions"] = [{"type": "Failed", "status": "True"}]
    assert compute(job).status is Status.FAILED


def test_other_kinds_follow_kstatus_conditions() -> None:
    cr = {"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "status": {}}
    assert compute(cr).status is Status.CURRENT
    cr["status"]["conditions"] = [{"type": "Ready", "status": "False", "reason": "Waiting"}]
    assert compute(cr).status is Status.IN_PROGRESS
    cr["status"]["conditions"] = [{"type": "Stalled", "status": "True", "reason": "Broken"}]
    assert compute(cr).status is Status.FAILED


def test_objects_without_status_are_current() -> None:
    assert (
        compute({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}).status is Status.CURRENT
    )
