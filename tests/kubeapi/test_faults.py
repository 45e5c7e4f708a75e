"""Fault injection makes the next matching requests fail, so clients' retry and backoff can be tested."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from kubernetes.client import ApiException, CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer

pytestmark = pytest.mark.inmemory  # fault injection: what the real server cannot do on demand


def test_injected_429_carries_retry_after(kubeapi: KubeApiServer) -> None:
    kubeapi.inject("GET", r"/configmaps$", 429, times=1, retry_after=2)
    req = urllib.request.Request(kubeapi.url + "/api/v1/namespaces/default/configmaps")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 429 and err.value.headers["Retry-After"] == "2"
    body = json.loads(err.value.read())
    assert body["reason"] == "TooManyRequests" and body["details"] == {"retryAfterSeconds": 2}


def test_client_honours_retry_after_and_succeeds(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    kubeapi.inject("GET", r"/configmaps$", 429, times=1, retry_after=0)
    assert core.list_namespaced_config_map("default").items == []
    gets = [r for r in kubeapi.requests if r == ("GET", "/api/v1/namespaces/default/configmaps")]
    assert len(gets) == 2


def test_fault_fires_only_the_given_number_of_times(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    kubeapi.inject("POST", "/configmaps", 500, times=2)
    for _ in range(2):
        with pytest.raises(ApiException) as err:
            core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
        assert err.value.status == 500 and json.loads(err.value.body)["reason"] == "InternalError"
    assert core.create_namespaced_config_map("default", {"metadata": {"name": "c"}}).metadata.name == "c"


def test_fault_matches_method(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    kubeapi.inject("PATCH", "/configmaps/", 409)
    core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map("c", "default", {"data": {"a": "1"}})
    assert err.value.status == 409


def test_reset_clears_faults(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    kubeapi.inject("*", ".", 503, times=5)
    kubeapi.reset()
    assert core.list_namespaced_config_map("default").items == []


def test_request_log_records_method_and_path(kubeapi: KubeApiServer, core: CoreV1Api) -> None:
    core.list_namespaced_secret("default")
    assert ("GET", "/api/v1/namespaces/default/secrets") in list(kubeapi.requests)
