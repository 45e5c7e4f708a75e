"""The non-apply patch types: merge, strategic merge (keyed lists), JSON patch."""

from __future__ import annotations

import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.rawhttp import call


def _deployment(containers: list[dict]) -> dict:
    return {
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
        },
    }


def test_merge_patch_null_deletes_a_key(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}})
    patched = core.patch_namespaced_config_map(
        "c", "default", {"data": {"a": None, "c": "3"}}, _content_type="application/merge-patch+json"
    )
    assert patched.data == {"b": "2", "c": "3"}


def test_merge_patch_replaces_lists_whole(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment(
        "default", _deployment([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    )
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "z"}]}}}}
    patched = apps.patch_namespaced_deployment(
        "web", "default", patch, _content_type="application/merge-patch+json"
    )
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [("a", "z")]


def test_strategic_merge_patch_merges_containers_by_name(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment(
        "default", _deployment([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    )
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "b", "image": "new", "env": [{"name": "K", "value": "v"}]}]}
            }
        }
    }
    patched = apps.patch_namespaced_deployment("web", "default", patch)
    containers = {c.name: c for c in patched.spec.template.spec.containers}
    assert containers["a"].image == "x" and containers["b"].image == "new"
    assert containers["b"].env[0].name == "K"


def test_strategic_merge_patch_delete_directive_removes_an_item(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment(
        "default", _deployment([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    )
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}}}
    patched = apps.patch_namespaced_deployment("web", "default", patch)
    assert [c.name for c in patched.spec.template.spec.containers] == ["b"]


def test_json_patch_operations_apply_in_order(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    ops = [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "add", "path": "/data/b", "value": "2"},
        {"op": "remove", "path": "/data/a"},
        {"op": "replace", "path": "/data/b", "value": "3"},
    ]
    assert core.patch_namespaced_config_map("c", "default", ops).data == {"b": "3"}


def test_failed_json_patch_test_changes_nothing(core: CoreV1Api) -> None:
    live = core.create_namespaced_config_map("default", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    ops = [
        {"op": "replace", "path": "/data/a", "value": "2"},
        {"op": "test", "path": "/data/a", "value": "9"},
    ]
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map("c", "default", ops)
    assert err.value.status == 422
    after = core.read_namespaced_config_map("c", "default")
    assert after.data == {"a": "1"} and after.metadata.resource_version == live.metadata.resource_version


def test_patch_with_stale_resource_version_is_a_conflict(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map(
            "c", "default", {"metadata": {"resourceVersion": "1"}, "data": {"a": "1"}}
        )
    assert err.value.status == 409


def test_strategic_merge_patch_on_a_custom_resource_is_unsupported(
    kubeapi: KubeApiServer, core: CoreV1Api, crd: str
) -> None:
    custom = CustomObjectsApi(core.api_client)
    custom.create_namespaced_custom_object(
        "example.com",
        "v1",
        "default",
        "widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}},
    )
    code, body = call(
        kubeapi,
        "PATCH",
        "/apis/example.com/v1/namespaces/default/widgets/w",
        {"spec": {"size": 2}},
        "application/strategic-merge-patch+json",
    )
    assert code == 415 and body["reason"] == "UnsupportedMediaType"
