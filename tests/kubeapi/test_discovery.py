"""Discovery answers like the apiserver's: version, groups, resource lists, CRD-added resources."""

from __future__ import annotations

import json
import urllib.error

import kubernetes
import pytest

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.rawhttp import urlopen


def _get(server: KubeApiServer, path: str, accept: str = "application/json") -> dict:
    with urlopen(server, path, headers={"Accept": accept}) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return json.loads(resp.read())


def test_version_reports_a_kubernetes_version(kubeapi: KubeApiServer) -> None:
    info = _get(kubeapi, "/version")
    assert info["major"] == "1" and info["gitVersion"].startswith("v1.")


def test_core_api_lists_v1(kubeapi: KubeApiServer) -> None:
    assert _get(kubeapi, "/api")["versions"] == ["v1"]


def test_core_resource_list_describes_secrets(kubeapi: KubeApiServer) -> None:
    doc = _get(kubeapi, "/api/v1")
    secrets = next(r for r in doc["resources"] if r["name"] == "secrets")
    assert doc["kind"] == "APIResourceList" and doc["groupVersion"] == "v1"
    assert secrets["kind"] == "Secret" and secrets["namespaced"] is True
    assert set(secrets["verbs"]) >= {"create", "get", "list", "watch", "patch", "update", "delete"}


def test_group_list_names_the_builtin_groups(kubeapi: KubeApiServer) -> None:
    groups = {g["name"]: g for g in _get(kubeapi, "/apis")["groups"]}
    assert {
        "apps",
        "batch",
        "coordination.k8s.io",
        "events.k8s.io",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "apiextensions.k8s.io",
    } <= set(groups)
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}


def test_resource_list_includes_status_subresources_and_short_names(kubeapi: KubeApiServer) -> None:
    resources = {r["name"]: r for r in _get(kubeapi, "/apis/apps/v1")["resources"]}
    assert resources["deployments"]["shortNames"] == ["deploy"]
    assert resources["deployments/status"]["verbs"] == ["get", "patch", "update"]


def test_namespaces_are_cluster_scoped_in_discovery(kubeapi: KubeApiServer) -> None:
    resources = {r["name"]: r for r in _get(kubeapi, "/api/v1")["resources"]}
    assert resources["namespaces"]["namespaced"] is False


# kube-apiserver answers this Accept with aggregated discovery (v2), ours with the plain list
# (clients accept both)
@pytest.mark.inmemory
def test_aggregated_discovery_accept_header_gets_plain_json(kubeapi: KubeApiServer) -> None:
    accept = (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    )
    assert _get(kubeapi, "/apis", accept)["kind"] == "APIGroupList"


def test_unknown_group_version_is_a_plain_404(kubeapi: KubeApiServer) -> None:
    try:
        _get(kubeapi, "/apis/nope.example.com/v1")
    except urllib.error.HTTPError as err:
        assert err.code == 404 and err.read() == b"404 page not found\n"
    else:
        raise AssertionError("expected 404")


def test_unknown_resource_of_a_served_group_is_404_status(kubeapi: KubeApiServer) -> None:
    try:
        _get(kubeapi, "/apis/apps/v1/namespaces/default/nopes")
    except urllib.error.HTTPError as err:
        body = json.loads(err.read())
        assert err.code == 404 and body["kind"] == "Status" and body["reason"] == "NotFound"
    else:
        raise AssertionError("expected 404")


def test_dynamic_client_resolves_builtin_kinds(dynamic: kubernetes.dynamic.DynamicClient) -> None:
    deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.name == "deployments" and deployments.namespaced
