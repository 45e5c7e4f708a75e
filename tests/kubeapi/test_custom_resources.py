"""CustomResourceDefinitions make new resources appear in discovery and be servable."""

from __future__ import annotations

import time

import kubernetes
import pytest
from kubernetes.client import ApiException, ApiextensionsV1Api, CustomObjectsApi

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.conftest import WIDGET_CRD, established
from tests.kubeapi.rawhttp import call

SEALED_SECRET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "sealedsecrets.bitnami.com"},
    "spec": {
        "group": "bitnami.com",
        "scope": "Namespaced",
        "names": {"plural": "sealedsecrets", "singular": "sealedsecret", "kind": "SealedSecret"},
        "versions": [
            {
                "name": "v1alpha1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}


def _widget(name: str = "w", **spec: object) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}


def test_crd_resource_appears_in_discovery(kubeapi: KubeApiServer, crd: str) -> None:
    code, doc = call(kubeapi, "GET", "/apis/example.com/v1")
    names = {r["name"]: r for r in doc["resources"]}
    assert code == 200 and names["widgets"]["kind"] == "Widget" and names["widgets"]["shortNames"] == ["wd"]
    assert "widgets/status" in names
    groups = {g["name"] for g in call(kubeapi, "GET", "/apis")[1]["groups"]}
    assert "example.com" in groups


def test_crd_is_established(client: kubernetes.client.ApiClient, crd: str) -> None:
    got = ApiextensionsV1Api(client).read_custom_resource_definition(crd)
    conditions = {c.type: c.status for c in got.status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}


def test_custom_objects_crud(client: kubernetes.client.ApiClient, crd: str) -> None:
    custom = CustomObjectsApi(client)
    created = custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", _widget(size=1)
    )
    assert created["metadata"]["generation"] == 1
    patched = custom.patch_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", "w", {"spec": {"size": 2}}
    )
    assert patched["spec"]["size"] == 2 and patched["metadata"]["generation"] == 2
    listed = custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w"]
    assert listed["items"][0]["kind"] == "Widget"
    custom.delete_namespaced_custom_object("example.com", "v1", "default", "widgets", "w")
    with pytest.raises(ApiException) as err:
        custom.get_namespaced_custom_object("example.com", "v1", "default", "widgets", "w")
    assert err.value.status == 404 and 'widgets.example.com \\"w\\" not found' in err.value.body


def test_dynamic_client_finds_custom_kinds(client: kubernetes.client.ApiClient, crd: str) -> None:
    widgets = kubernetes.dynamic.DynamicClient(client).resources.get(
        api_version="example.com/v1", kind="Widget"
    )
    widgets.create(body=_widget(size=3), namespace="default")
    assert widgets.get(name="w", namespace="default").spec.size == 3


def test_deleting_the_crd_removes_its_objects_and_resource(
    kubeapi: KubeApiServer, client: kubernetes.client.ApiClient, crd: str
) -> None:
    CustomObjectsApi(client).create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", _widget()
    )
    ApiextensionsV1Api(client).delete_custom_resource_definition(crd)
    deadline = time.monotonic() + 10  # a real apiserver removes the objects, then the resource, in moments
    while call(kubeapi, "GET", "/apis/example.com/v1")[0] != 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert call(kubeapi, "GET", "/apis/example.com/v1/namespaces/default/widgets")[0] == 404
    assert call(kubeapi, "GET", "/apis/example.com/v1")[0] == 404


def test_crd_name_must_match_plural_and_group(client: kubernetes.client.ApiClient) -> None:
    bad = {**WIDGET_CRD, "metadata": {"name": "gadgets.example.com"}}
    with pytest.raises(ApiException) as err:
        ApiextensionsV1Api(client).create_custom_resource_definition(bad)
    assert err.value.status == 422 and 'must be spec.names.plural+\\".\\"+spec.group' in err.value.body


def test_sealed_secret_crd_serves_sealed_secrets(
    kubeapi: KubeApiServer, client: kubernetes.client.ApiClient
) -> None:
    ApiextensionsV1Api(client).create_custom_resource_definition(SEALED_SECRET_CRD)
    established(client, SEALED_SECRET_CRD["metadata"]["name"])
    body = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "s"},
        "spec": {"encryptedData": {"k": "AgBy..."}, "template": {"type": "Opaque"}},
    }
    created = CustomObjectsApi(client).create_namespaced_custom_object(
        "bitnami.com", "v1alpha1", "default", "sealedsecrets", body
    )
    assert created["spec"]["encryptedData"] == {"k": "AgBy..."}


def test_custom_resource_status_is_dropped_on_create(client: kubernetes.client.ApiClient, crd: str) -> None:
    body = {**_widget(size=1), "status": {"ready": True}}
    created = CustomObjectsApi(client).create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", body
    )
    assert "status" not in created


def test_group_lists_each_version_once_storage_version_preferred(
    kubeapi: KubeApiServer, client: kubernetes.client.ApiClient
) -> None:
    crd = {
        **WIDGET_CRD,
        "spec": {
            **WIDGET_CRD["spec"],
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": False,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                },
                {**WIDGET_CRD["spec"]["versions"][0]},
            ],
        },
    }
    ApiextensionsV1Api(client).create_custom_resource_definition(crd)
    established(client, "widgets.example.com")
    _, group = call(kubeapi, "GET", "/apis/example.com")
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    assert group["preferredVersion"]["version"] == "v1"


def test_fields_the_schema_does_not_declare_are_pruned_with_a_warning(
    kubeapi: KubeApiServer, crd: str
) -> None:
    import json

    from tests.kubeapi.rawhttp import urlopen

    body = json.dumps(_widget(size=1, color="red", bogus=True)).encode()
    with urlopen(
        kubeapi,
        "/apis/example.com/v1/namespaces/default/widgets",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    ) as resp:
        created = json.loads(resp.read())
        warnings = resp.headers.get_all("Warning")
    assert created["spec"] == {"size": 1, "color": "red"}
    assert warnings == ['299 - "unknown field \\"spec.bogus\\""']


def test_strict_field_validation_refuses_unknown_fields(kubeapi: KubeApiServer, crd: str) -> None:
    code, body = call(
        kubeapi,
        "POST",
        "/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict",
        _widget(size=1, bogus=True),
    )
    assert code == 400 and body["message"] == (
        'Widget in version "v1" cannot be handled as a Widget: '
        'strict decoding error: unknown field "spec.bogus"'
    )


def test_preserve_unknown_fields_keeps_everything(
    kubeapi: KubeApiServer, client: kubernetes.client.ApiClient
) -> None:
    ApiextensionsV1Api(client).create_custom_resource_definition(SEALED_SECRET_CRD)
    established(client, SEALED_SECRET_CRD["metadata"]["name"])
    body = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "s"},
        "spec": {"anything": {"nested": [1, 2]}},
    }
    created = CustomObjectsApi(client).create_namespaced_custom_object(
        "bitnami.com", "v1alpha1", "default", "sealedsecrets", body
    )
    assert created["spec"] == {"anything": {"nested": [1, 2]}}
