"""Create, read, update, delete of built-in objects through the official client."""

from __future__ import annotations

import base64

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer


def _secret(name: str, **data: str) -> dict:
    return {
        "metadata": {"name": name},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_default_namespaces_exist(core: CoreV1Api) -> None:
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names


def test_create_assigns_uid_timestamp_and_resource_version(core: CoreV1Api) -> None:
    created = core.create_namespaced_secret("default", _secret("s1", a="1"))
    assert created.metadata.uid and created.metadata.creation_timestamp
    assert int(created.metadata.resource_version) > 0
    assert created.type == "Opaque"


def test_resource_versions_increase_monotonically(core: CoreV1Api) -> None:
    first = core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    second = core.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)


def test_string_data_is_folded_into_data(core: CoreV1Api) -> None:
    created = core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    assert created.data == {"k": base64.b64encode(b"v").decode()} and created.string_data is None


def test_generate_name_creates_a_unique_name(core: CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}})
    assert created.metadata.name.startswith("cfg-") and len(created.metadata.name) == len("cfg-") + 5


def test_get_returns_kind_and_api_version(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    core.create_namespaced_secret("default", _secret("s", a="1"))
    got = core.read_namespaced_secret("s", "default")
    assert (got.kind, got.api_version) == ("Secret", "v1")


def test_list_items_are_sorted_and_carry_a_list_resource_version(core: CoreV1Api) -> None:
    for name in ("b", "a"):
        core.create_namespaced_config_map("default", {"metadata": {"name": name}})
    listed = core.list_namespaced_config_map("default")
    assert [i.metadata.name for i in listed.items] == ["a", "b"]
    assert listed.kind == "ConfigMapList" and listed.metadata.resource_version


def test_list_across_namespaces(core: CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "other"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    core.create_namespaced_config_map("other", {"metadata": {"name": "a"}})
    listed = core.list_config_map_for_all_namespaces()
    mine = [i for i in listed.items if i.metadata.namespace in ("default", "other")]  # not kube-system's
    assert {(i.metadata.namespace, i.metadata.name) for i in mine} == {
        ("default", "a"),
        ("other", "a"),
    }


def test_update_with_current_resource_version_succeeds(core: CoreV1Api) -> None:
    live = core.create_namespaced_config_map("default", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    live.data = {"a": "2"}
    updated = core.replace_namespaced_config_map("c", "default", live)
    assert updated.data == {"a": "2"}
    assert int(updated.metadata.resource_version) > int(live.metadata.resource_version)


def test_update_with_stale_resource_version_is_a_conflict(core: CoreV1Api) -> None:
    live = core.create_namespaced_config_map("default", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map("c", "default", {"data": {"a": "2"}})
    live.data = {"a": "3"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("c", "default", live)
    assert err.value.status == 409 and '"reason":"Conflict"' in err.value.body
    assert "the object has been modified" in err.value.body


def test_update_that_changes_nothing_keeps_the_resource_version(core: CoreV1Api) -> None:
    live = core.create_namespaced_config_map("default", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    again = core.replace_namespaced_config_map("c", "default", live)
    assert again.metadata.resource_version == live.metadata.resource_version


def test_update_of_a_missing_object_is_not_found(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("ghost", "default", {"metadata": {"name": "ghost"}})
    assert err.value.status == 404


def test_delete_returns_success_status_and_removes(core: CoreV1Api) -> None:
    created = core.create_namespaced_secret("default", _secret("s", a="1"))
    result = core.delete_namespaced_secret("s", "default")
    assert result["status"] == "Success" and result["details"]["uid"] == created.metadata.uid
    with pytest.raises(ApiException) as err:
        core.read_namespaced_secret("s", "default")
    assert err.value.status == 404


def test_cluster_scoped_objects_have_no_namespace(core: CoreV1Api) -> None:
    created = core.create_namespace({"metadata": {"name": "team-a"}})
    assert created.metadata.namespace is None
    assert created.status.phase == "Active"
    assert created.metadata.labels["kubernetes.io/metadata.name"] == "team-a"


@pytest.mark.inmemory  # the namespace controller does this (kube-controller-manager: not in realkube)
def test_namespace_delete_removes_its_objects(core: CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "gone"}})
    core.create_namespaced_secret("gone", _secret("s", a="1"))
    core.delete_namespace("gone")
    with pytest.raises(ApiException):
        core.read_namespaced_secret("s", "gone")
    assert "gone" not in {n.metadata.name for n in core.list_namespace().items}


def test_create_in_a_missing_namespace_is_namespace_not_found(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_secret("absent", _secret("s", a="1"))
    assert err.value.status == 404 and 'namespaces \\"absent\\" not found' in err.value.body


def test_dynamic_client_crud_roundtrip(dynamic: kubernetes.dynamic.DynamicClient) -> None:
    cms = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(
        body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "data": {"x": "1"}},
        namespace="default",
    )
    assert cms.get(name="d", namespace="default").data.x == "1"
    cms.delete(name="d", namespace="default")
    assert [i.metadata.name for i in cms.get(namespace="default").items] == []


def test_generation_bumps_on_spec_change_only(kubeapi: KubeApiServer) -> None:
    apps = kubernetes.client.AppsV1Api(kubeapi.api_client())
    body = {
        "metadata": {"name": "web", "labels": {"a": "1"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }
    created = apps.create_namespaced_deployment("default", body)
    assert created.metadata.generation == 1
    labelled = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"a": "2"}}})
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == 2


def test_namespace_delete_answers_with_the_terminating_namespace(core: CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "bye"}})
    answer = core.api_client.sanitize_for_serialization(core.delete_namespace("bye"))
    assert answer["kind"] == "Namespace" and answer["status"]["phase"] == "Terminating"
    assert answer["metadata"]["deletionTimestamp"]
