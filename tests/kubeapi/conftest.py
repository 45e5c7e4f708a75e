"""Clients for the Kubernetes API test server, as the engine and the other areas will use them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import kubernetes
import pytest

from secretsops_devstack.kubeapi import KubeApiServer

# --- the conformance suite: every test here runs on both servers -----------------------------------
# The same test against the in-memory server and the real kube-apiserver (tests/realkube.py): where they
# disagree the real one is right. Tests marked ``inmemory`` are about our server itself (fault injection,
# its request log, its token issuer's internals, its CLI) and run on it alone.


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_kind" not in metafunc.fixturenames:
        return
    kinds: list[object] = ["memory"]
    if metafunc.definition.get_closest_marker("inmemory") is None:
        kinds.append(pytest.param("real", marks=pytest.mark.realkube))
    metafunc.parametrize("server_kind", kinds, indirect=True)


@pytest.fixture
def server_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def kubeapi(request: pytest.FixtureRequest, server_kind: str) -> Iterator[KubeApiServer]:
    """This test's server, wiped: the in-memory one, or the real control plane (``[real]`` ids)."""
    if server_kind == "real":
        yield request.getfixturevalue("realkube")
        return
    server: KubeApiServer = request.getfixturevalue("kubeapi_server")
    server.reset()
    yield server


@pytest.fixture
def client(kubeapi: KubeApiServer) -> Iterator[kubernetes.client.ApiClient]:
    with kubeapi.api_client() as api_client:
        yield api_client


@pytest.fixture
def core(client: kubernetes.client.ApiClient) -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(client)


@pytest.fixture
def apps(client: kubernetes.client.ApiClient) -> kubernetes.client.AppsV1Api:
    return kubernetes.client.AppsV1Api(client)


@pytest.fixture
def dynamic(client: kubernetes.client.ApiClient) -> kubernetes.dynamic.DynamicClient:
    return kubernetes.dynamic.DynamicClient(client)


WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"type": "integer"},
                                    "color": {"type": "string"},
                                    "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "ports": {
                                        "type": "array",
                                        "x-kubernetes-list-type": "map",
                                        "x-kubernetes-list-map-keys": ["name"],
                                        "items": {
                                            "type": "object",
                                            "required": ["name"],  # a list-map key must be required
                                            "properties": {
                                                "name": {"type": "string"},
                                                "port": {"type": "integer"},
                                            },
                                        },
                                    },
                                },
                            },
                            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        },
                    }
                },
            }
        ],
    },
}


@pytest.fixture
def crd(kubeapi: KubeApiServer, client: kubernetes.client.ApiClient) -> str:
    """The ``widgets.example.com`` CRD (example.com/v1 Widget, status subresource), created and served."""
    kubernetes.client.ApiextensionsV1Api(client).create_custom_resource_definition(WIDGET_CRD)
    return established(client, "widgets.example.com")


def established(client: kubernetes.client.ApiClient, name: str, timeout: float = 10) -> str:
    """Wait until CRD ``name`` is Established: a real apiserver serves it moments after the create."""
    ext = kubernetes.client.ApiextensionsV1Api(client)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conditions = ext.read_custom_resource_definition(name).status.conditions or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            break
        time.sleep(0.05)
    return name
