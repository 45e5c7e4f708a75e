"""Server-side apply: create on apply, managedFields per manager, removal of dropped fields, conflicts."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.rawhttp import call

APPLY = "application/apply-patch+yaml"


def _cm(data: dict, labels: dict | None = None) -> dict:
    meta: dict = {"name": "cfg"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _apply(core: CoreV1Api, body: dict, manager: str = "secretsops", force: bool = False):
    return core.patch_namespaced_config_map(
        "cfg", "default", body, field_manager=manager, force=force, _content_type=APPLY
    )


def _fields(obj, manager: str, operation: str = "Apply") -> dict:
    entry = next(e for e in obj.metadata.managed_fields if e.manager == manager and e.operation == operation)
    return entry.fields_v1


def test_apply_creates_when_absent(kubeapi: KubeApiServer) -> None:
    code, body = call(
        kubeapi,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/cfg?fieldManager=me",
        yaml.safe_dump(_cm({"a": "1"})),
        APPLY,
    )
    assert code == 201 and body["data"] == {"a": "1"} and body["metadata"]["uid"]


def test_apply_to_existing_answers_200(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1"}))
    code, _ = call(
        kubeapi,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/cfg?fieldManager=secretsops",
        json.dumps(_cm({"a": "2"})),
        APPLY,
    )
    assert code == 200


def test_apply_records_managed_fields_in_fieldsv1(core: CoreV1Api) -> None:
    applied = _apply(core, _cm({"a": "1"}, {"app": "x"}))
    entry = applied.metadata.managed_fields[0]
    assert (entry.manager, entry.operation, entry.api_version, entry.fields_type) == (
        "secretsops",
        "Apply",
        "v1",
        "FieldsV1",
    )
    assert entry.fields_v1 == {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}


def test_keyed_list_items_use_k_notation(core: CoreV1Api) -> None:
    apps = AppsV1Api(core.api_client)
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }
    applied = apps.patch_namespaced_deployment("web", "default", body, field_manager="m", _content_type=APPLY)
    spec = applied.metadata.managed_fields[0].fields_v1["f:spec"]
    assert spec["f:selector"] == {}
    assert spec["f:template"]["f:spec"]["f:containers"] == {
        'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}}
    }


def test_reapplying_without_a_field_removes_it(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1", "b": "2"}))
    assert _apply(core, _cm({"a": "1"})).data == {"a": "1"}


def test_dropped_field_owned_by_another_manager_stays(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1", "b": "2"}), manager="one")
    _apply(core, _cm({"b": "2"}), manager="two")
    after = _apply(core, _cm({"a": "1"}), manager="one")
    assert after.data == {"a": "1", "b": "2"}
    assert _fields(after, "two") == {"f:data": {"f:b": {}}}


def test_conflict_with_another_manager_is_409_with_causes(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1"}), manager="one")
    with pytest.raises(ApiException) as err:
        _apply(core, _cm({"a": "2"}), manager="two")
    body = json.loads(err.value.body)
    assert err.value.status == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "one": .data.a'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "one"', "field": ".data.a"}
    ]


def test_conflict_with_an_update_manager_names_its_api_version(core: CoreV1Api) -> None:
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "cfg"}, "data": {"a": "1"}}, field_manager="kubectl-create"
    )
    with pytest.raises(ApiException) as err:
        _apply(core, _cm({"a": "2"}))
    message = json.loads(err.value.body)["message"]
    assert message == 'Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.a'


def test_several_conflicts_are_listed_per_manager(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1", "b": "1"}), manager="one")
    with pytest.raises(ApiException) as err:
        _apply(core, _cm({"a": "2", "b": "2"}), manager="two")
    assert json.loads(err.value.body)["message"] == (
        'Apply failed with 2 conflicts: conflicts with "one":\n- .data.a\n- .data.b'
    )


def test_same_value_is_shared_ownership_not_a_conflict(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1"}), manager="one")
    after = _apply(core, _cm({"a": "1"}), manager="two")
    assert _fields(after, "one") == _fields(after, "two") == {"f:data": {"f:a": {}}}


def test_force_takes_ownership_from_the_other_manager(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1", "b": "1"}), manager="one")
    after = _apply(core, _cm({"a": "2"}), manager="two", force=True)
    assert after.data == {"a": "2", "b": "1"}
    assert _fields(after, "one") == {"f:data": {"f:b": {}}}
    assert _fields(after, "two") == {"f:data": {"f:a": {}}}


def test_update_takes_ownership_of_changed_fields(core: CoreV1Api) -> None:
    _apply(core, _cm({"a": "1", "b": "1"}), manager="one")
    after = core.patch_namespaced_config_map(
        "cfg", "default", {"data": {"a": "edited"}}, field_manager="editor"
    )
    assert _fields(after, "one") == {"f:data": {"f:b": {}}}
    assert _fields(after, "editor", "Update") == {"f:data": {"f:a": {}}}


def test_dry_run_apply_persists_nothing(core: CoreV1Api) -> None:
    result = core.patch_namespaced_config_map(
        "cfg", "default", _cm({"a": "1"}), field_manager="m", dry_run="All", _content_type=APPLY
    )
    assert result.data == {"a": "1"}
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("cfg", "default")
    assert err.value.status == 404


def test_apply_without_field_manager_is_invalid(kubeapi: KubeApiServer) -> None:
    code, body = call(
        kubeapi, "PATCH", "/api/v1/namespaces/default/configmaps/cfg", json.dumps(_cm({"a": "1"})), APPLY
    )
    assert code == 422 and "fieldManager: Required value" in body["message"]


def test_apply_name_mismatch_is_bad_request(kubeapi: KubeApiServer) -> None:
    code, body = call(
        kubeapi,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/other?fieldManager=m",
        json.dumps(_cm({"a": "1"})),
        APPLY,
    )
    assert code == 400 and body["reason"] == "BadRequest"


def test_apply_into_missing_namespace_is_not_found(kubeapi: KubeApiServer) -> None:
    code, body = call(
        kubeapi,
        "PATCH",
        "/api/v1/namespaces/absent/configmaps/cfg?fieldManager=m",
        json.dumps(_cm({"a": "1"})),
        APPLY,
    )
    assert code == 404 and body["message"] == 'namespaces "absent" not found'


def test_unchanged_reapply_keeps_the_resource_version(core: CoreV1Api) -> None:
    first = _apply(core, _cm({"a": "1"}))
    again = _apply(core, _cm({"a": "1"}))
    assert again.metadata.resource_version == first.metadata.resource_version


def test_apply_of_secret_string_data_lands_in_data(core: CoreV1Api) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    applied = core.patch_namespaced_secret("s", "default", body, field_manager="m", _content_type=APPLY)
    assert applied.data == {"k": "dg=="} and applied.type == "Opaque"


def test_apply_of_custom_resource_uses_the_crd_schema(
    core: CoreV1Api, kubeapi: KubeApiServer, crd: str
) -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, "tags": {"t": "x"}, "ports": [{"name": "http", "port": 80}]},
    }
    code, body = call(
        kubeapi,
        "PATCH",
        "/apis/example.com/v1/namespaces/default/widgets/w?fieldManager=m",
        json.dumps(widget),
        APPLY,
    )
    assert code == 201
    assert body["metadata"]["managedFields"][0]["fieldsV1"] == {
        "f:spec": {
            "f:ports": {'k:{"name":"http"}': {".": {}, "f:name": {}, "f:port": {}}},
            "f:size": {},
            "f:tags": {"f:t": {}},
        }
    }


def test_apply_with_a_stale_resource_version_is_a_conflict(core: CoreV1Api) -> None:
    first = _apply(core, _cm({"a": "1"}))
    _apply(core, _cm({"a": "2"}))
    body = _cm({"a": "3"})
    body["metadata"]["resourceVersion"] = first.metadata.resource_version
    with pytest.raises(ApiException) as err:
        _apply(core, body)
    assert err.value.status == 409 and "the object has been modified" in err.value.body


def test_apply_to_the_status_subresource_changes_only_status(kubeapi: KubeApiServer, crd: str) -> None:
    base = "/apis/example.com/v1/namespaces/default/widgets/w"
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1},
    }
    call(kubeapi, "PATCH", base + "?fieldManager=m", json.dumps(widget), APPLY)
    status_cfg = {**widget, "spec": {"size": 9}, "status": {"phase": "Ready"}}
    code, body = call(kubeapi, "PATCH", base + "/status?fieldManager=ctl", json.dumps(status_cfg), APPLY)
    assert code == 200 and body["status"] == {"phase": "Ready"} and body["spec"] == {"size": 1}
    entry = next(e for e in body["metadata"]["managedFields"] if e["manager"] == "ctl")
    assert entry["subresource"] == "status" and entry["fieldsV1"] == {"f:status": {"f:phase": {}}}


def _web(containers: list[dict]) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
        },
    }


def test_dropping_a_keyed_list_item_removes_only_that_item(core: CoreV1Api) -> None:
    apps = AppsV1Api(core.api_client)
    two = [
        {"name": "a", "image": "x", "env": [{"name": "K", "value": "1"}, {"name": "L", "value": "2"}]},
        {"name": "b", "image": "y"},
    ]
    apps.patch_namespaced_deployment("web", "default", _web(two), field_manager="m", _content_type=APPLY)
    one = [{"name": "a", "image": "x", "env": [{"name": "K", "value": "1"}]}]
    after = apps.patch_namespaced_deployment(
        "web", "default", _web(one), field_manager="m", _content_type=APPLY
    )
    containers = after.spec.template.spec.containers
    assert [c.name for c in containers] == ["a"] and [e.name for e in containers[0].env] == ["K"]


def test_list_item_added_by_another_manager_survives_reapply(core: CoreV1Api) -> None:
    apps = AppsV1Api(core.api_client)
    mine = [{"name": "a", "image": "x"}]
    apps.patch_namespaced_deployment("web", "default", _web(mine), field_manager="m", _content_type=APPLY)
    sidecar = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "s"}]}}}}
    apps.patch_namespaced_deployment("web", "default", sidecar, field_manager="injector")
    after = apps.patch_namespaced_deployment(
        "web", "default", _web(mine), field_manager="m", _content_type=APPLY
    )
    # both stay; their order is the merge's (the real apiserver puts the other manager's item first)
    assert sorted(c.name for c in after.spec.template.spec.containers) == ["a", "sidecar"]
