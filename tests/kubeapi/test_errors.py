"""Failures come back as the apiserver's Status objects: same code, reason, message and details."""

from __future__ import annotations

import json

import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.rawhttp import call


def _status(err: pytest.ExceptionInfo[ApiException]) -> dict:
    return json.loads(err.value.body)


def test_not_found_status_shape(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.read_namespaced_secret("missing", "default")
    assert _status(err) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'secrets "missing" not found',
        "reason": "NotFound",
        "details": {"name": "missing", "kind": "secrets"},
        "code": 404,
    }


def test_not_found_in_a_named_group_qualifies_the_resource(apps: AppsV1Api) -> None:
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("web", "default")
    body = _status(err)
    assert body["message"] == 'deployments.apps "web" not found'
    assert body["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


def test_already_exists_status_shape(core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "dup"}})
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", {"metadata": {"name": "dup"}})
    body = _status(err)
    assert (err.value.status, body["reason"], body["message"]) == (
        409,
        "AlreadyExists",
        'configmaps "dup" already exists',
    )


def test_invalid_name_is_422_with_field_cause(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", {"metadata": {"name": "Bad_Name"}})
    body = _status(err)
    assert err.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        "a lowercase RFC 1123 subdomain"
    )
    assert body["details"]["kind"] == "ConfigMap"
    assert body["details"]["causes"][0]["reason"] == "FieldValueInvalid"
    assert body["details"]["causes"][0]["field"] == "metadata.name"


def test_missing_name_is_required_value(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", {"metadata": {}})
    assert _status(err)["message"] == (
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'
    )


def test_invalid_secret_key_names_the_key_not_the_value(core: CoreV1Api, canary: str) -> None:
    import base64

    body = {"metadata": {"name": "s"}, "data": {"bad key": base64.b64encode(canary.encode()).decode()}}
    with pytest.raises(ApiException) as err:
        core.create_namespaced_secret("default", body)
    assert err.value.status == 422 and "data[bad key]" in err.value.body
    assert canary not in err.value.body


def test_changing_a_secret_type_is_immutable(core: CoreV1Api) -> None:
    core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "type": "Opaque"})
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_secret("s", "default", {"type": "example.com/other"})
    assert err.value.status == 422 and "field is immutable" in _status(err)["message"]


def test_immutable_secret_data_cannot_change(core: CoreV1Api) -> None:
    core.create_namespaced_secret(
        "default", {"metadata": {"name": "s"}, "immutable": True, "stringData": {"a": "1"}}
    )
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_secret("s", "default", {"stringData": {"a": "2"}})
    assert err.value.status == 422 and _status(err)["details"]["causes"][0]["field"] == "data"


def test_body_namespace_mismatch_is_bad_request(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", {"metadata": {"name": "x", "namespace": "kube-system"}})
    assert err.value.status == 400 and _status(err)["reason"] == "BadRequest"


def test_unknown_resource_path_is_404(kubeapi: KubeApiServer) -> None:
    code, body = call(kubeapi, "GET", "/api/v1/namespaces/default/widgets")
    assert (code, body["reason"]) == (404, "NotFound")


def test_unknown_patch_content_type_is_415(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    code, body = call(kubeapi, "PATCH", "/api/v1/namespaces/default/configmaps/c", {}, "text/plain")
    assert (code, body["reason"]) == (415, "UnsupportedMediaType")


@pytest.mark.parametrize(
    ("secret_type", "missing"),
    [
        ("kubernetes.io/tls", "data[tls.crt]"),
        ("kubernetes.io/dockerconfigjson", "data[.dockerconfigjson]"),
        ("kubernetes.io/ssh-auth", "data[ssh-privatekey]"),
        ("kubernetes.io/basic-auth", "data[username]"),
        ("kubernetes.io/service-account-token", "metadata.annotations[kubernetes.io/service-account.name]"),
    ],
)
def test_typed_secrets_need_their_keys(core: CoreV1Api, secret_type: str, missing: str) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "type": secret_type})
    body = _status(err)
    assert err.value.status == 422 and missing in [c["field"] for c in body["details"]["causes"]]


def test_malformed_docker_config_is_invalid_without_echoing_it(core: CoreV1Api, canary: str) -> None:
    import base64

    bad = base64.b64encode(canary.encode()).decode()
    with pytest.raises(ApiException) as err:
        core.create_namespaced_secret(
            "default",
            {
                "metadata": {"name": "s"},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": bad},
            },
        )
    assert err.value.status == 422 and "<secret contents redacted>" in json.loads(err.value.body)["message"]
    assert canary not in err.value.body and bad not in err.value.body
