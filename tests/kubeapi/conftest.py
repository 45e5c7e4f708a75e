"""Clients for the Kubernetes API test server, as the engine and the other areas will use them."""

from __future__ import annotations

from collections.abc import Iterator

import kubernetes
import pytest

from secretsops_devstack.kubeapi import KubeApiServer


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
    return "widgets.example.com"
