"""Clients for the Kubernetes API test server, as the engine and the other areas will use them."""

from __future__ import annotations

from collections.abc import Iterator

import kubernetes
import pytest

from secretsops.devstack.kubeapi import KubeApiServer


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
