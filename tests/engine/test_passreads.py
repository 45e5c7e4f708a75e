"""The engine's per-decryption read memory (engine.passreads): one GET per object, nothing kept after."""

from __future__ import annotations

from secretsops.engine.passreads import PassReads
from secretsops.kube import KubeClient

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "reads", "namespace": "default"}}


def _cm(value: str) -> dict:  # type: ignore[type-arg]
    return {**CM, "data": {"k": value}}


def test_a_read_is_answered_from_memory_until_stopped(kubeapi) -> None:  # type: ignore[no-untyped-def]
    kube = KubeClient(kubeapi.api_client())
    kube.apply(_cm("first"))
    reads = PassReads.over(kube)
    assert (reads.get("v1", "ConfigMap", "default", "reads") or {})["data"] == {"k": "first"}
    kube.apply(_cm("second"))  # changed behind its back: the pass keeps the snapshot it read
    assert (reads.get("v1", "ConfigMap", "default", "reads") or {})["data"] == {"k": "first"}
    reads.stop()
    assert (reads.get("v1", "ConfigMap", "default", "reads") or {})["data"] == {"k": "second"}


def test_not_found_is_remembered_too(kubeapi) -> None:  # type: ignore[no-untyped-def]
    kube = KubeClient(kubeapi.api_client())
    reads = PassReads.over(kube)
    assert reads.get("v1", "ConfigMap", "default", "reads") is None
    kube.apply(_cm("late"))
    assert reads.get("v1", "ConfigMap", "default", "reads") is None


def test_a_write_through_it_forgets_what_it_read(kubeapi) -> None:  # type: ignore[no-untyped-def]
    kube = KubeClient(kubeapi.api_client())
    reads = PassReads.over(kube)
    assert reads.get("v1", "ConfigMap", "default", "reads") is None
    reads.apply(_cm("written"))
    assert (reads.get("v1", "ConfigMap", "default", "reads") or {})["data"] == {"k": "written"}


def test_callers_get_copies(kubeapi) -> None:  # type: ignore[no-untyped-def]
    kube = KubeClient(kubeapi.api_client())
    kube.apply(_cm("kept"))
    reads = PassReads.over(kube)
    (reads.get("v1", "ConfigMap", "default", "reads") or {})["data"]["k"] = "edited by a caller"
    assert (reads.get("v1", "ConfigMap", "default", "reads") or {})["data"] == {"k": "kept"}


def test_another_identity_shares_nothing(kubeapi) -> None:  # type: ignore[no-untyped-def]
    reads = PassReads.over(KubeClient(kubeapi.api_client()))
    other = reads.as_user("system:serviceaccount:apps:tenant")
    assert type(other) is KubeClient
    assert other.impersonate is not None
    assert type(reads.with_policy(attempts=1)) is KubeClient
