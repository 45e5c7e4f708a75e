"""Deletion: finalizers, owner-reference garbage collection, preconditions, collections, dry run."""

from __future__ import annotations

import pytest
from kubernetes.client import ApiException, CoreV1Api


def _cm(name: str, **meta: object) -> dict:
    return {"metadata": {"name": name, **meta}}


def test_finalizers_hold_the_object_until_removed(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", _cm("f", finalizers=["example.com/hold"]))
    core.delete_namespaced_config_map("f", "default")
    held = core.read_namespaced_config_map("f", "default")
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("f", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("f", "default")
    assert err.value.status == 404


@pytest.mark.inmemory  # the garbage collector does this (kube-controller-manager: not in realkube)
def test_background_propagation_deletes_dependents(core: CoreV1Api) -> None:
    owner = core.create_namespaced_config_map("default", _cm("owner"))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_secret("default", _cm("child", ownerReferences=[ref]))
    core.delete_namespaced_config_map("owner", "default", propagation_policy="Background")
    assert core.list_namespaced_secret("default").items == []


@pytest.mark.inmemory  # the garbage collector does this (kube-controller-manager: not in realkube)
def test_orphan_propagation_keeps_dependents_without_the_reference(core: CoreV1Api) -> None:
    owner = core.create_namespaced_config_map("default", _cm("owner"))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_secret("default", _cm("child", ownerReferences=[ref]))
    core.delete_namespaced_config_map("owner", "default", propagation_policy="Orphan")
    child = core.read_namespaced_secret("child", "default")
    assert child.metadata.owner_references is None


def test_uid_precondition_mismatch_is_a_conflict(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", _cm("p"))
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_config_map("p", "default", body={"preconditions": {"uid": "not-the-uid"}})
    assert err.value.status == 409 and (
        "the UID in the precondition (not-the-uid) does not match the UID in record" in err.value.body
    )


def test_delete_collection_by_label(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", _cm("a", labels={"owner": "me"}))
    core.create_namespaced_config_map("default", _cm("b", labels={"owner": "you"}))
    core.delete_collection_namespaced_config_map("default", label_selector="owner=me")
    assert [i.metadata.name for i in core.list_namespaced_config_map("default").items] == ["b"]


def test_dry_run_delete_keeps_the_object(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", _cm("d"))
    core.delete_namespaced_config_map("d", "default", dry_run="All")
    assert core.read_namespaced_config_map("d", "default").metadata.name == "d"


def test_delete_of_missing_object_is_not_found(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_config_map("ghost", "default")
    assert err.value.status == 404
