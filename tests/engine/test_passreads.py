"""The engine's per-decryption read memory (engine.passreads): one GET per object, nothing kept after."""

from __future__ import annotations

import pytest

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


def _named(name: str) -> dict:  # type: ignore[type-arg]
    return {**CM, "metadata": {"name": name, "namespace": "default"}, "data": {"k": name}}


def test_the_second_object_asked_for_in_a_collection_lists_it_once(kubeapi) -> None:  # type: ignore[no-untyped-def]
    kube = KubeClient(kubeapi.api_client())
    kube.apply(_named("a"))
    kube.apply(_named("b"))
    reads = PassReads.over(kube)
    assert reads.get("v1", "ConfigMap", "default", "a") is not None
    assert (reads.get("v1", "ConfigMap", "default", "b") or {})["data"] == {"k": "b"}  # one LIST
    kube.apply(_named("c"))  # after the listing: this decryption's snapshot does not have it
    assert reads.get("v1", "ConfigMap", "default", "c") is None
    reads.stop()
    assert reads.get("v1", "ConfigMap", "default", "c") is not None


def test_secrets_are_never_listed(kubeapi) -> None:  # type: ignore[no-untyped-def]
    kube = KubeClient(kubeapi.api_client())
    reads = PassReads.over(kube)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": "default"}}
    assert reads.get("v1", "Secret", "default", "a") is None
    assert reads.get("v1", "Secret", "default", "b") is None
    kube.apply({**secret, "metadata": {"name": "c", "namespace": "default"}, "stringData": {"k": "v"}})
    assert reads.get("v1", "Secret", "default", "c") is not None  # its own GET


@pytest.mark.realkube
def test_a_list_rbac_refuses_is_remembered_and_gets_still_answer(kubeapi) -> None:  # type: ignore[no-untyped-def]
    """The shipped RBAC grants ``get`` on ExternalSecrets, not ``list``: reads stay GETs."""
    admin = KubeClient(kubeapi.api_client())
    ns = "passreads-rbac"
    admin.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    try:
        rbac = "rbac.authorization.k8s.io/v1"
        admin.apply(
            {
                "apiVersion": rbac,
                "kind": "Role",
                "metadata": {"name": "get-only", "namespace": ns},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
            }
        )
        admin.apply(
            {
                "apiVersion": rbac,
                "kind": "RoleBinding",
                "metadata": {"name": "get-only", "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "get-only"},
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": ns}],
            }
        )
        for name in ("a", "b"):
            admin.apply({**_named(name), "metadata": {"name": name, "namespace": ns}})
        refused: set[tuple[str, str, str]] = set()
        reader = admin.as_user(f"system:serviceaccount:{ns}:reader")
        reads = PassReads.over(reader, refused)
        assert reads.get("v1", "ConfigMap", ns, "a") is not None
        assert (reads.get("v1", "ConfigMap", ns, "b") or {})["data"] == {"k": "b"}  # LIST refused: a GET
        assert refused == {("v1", "ConfigMap", ns)}
        again = PassReads.over(reader, refused)  # the next pass starts knowing the LIST is refused
        assert again.get("v1", "ConfigMap", ns, "a") is not None
        assert again.get("v1", "ConfigMap", ns, "b") is not None
    finally:
        admin.delete("v1", "Namespace", "", ns)
