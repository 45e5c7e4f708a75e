"""Secrets held by the server stay in memory: not on disk, not in errors, not in the request log."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from kubernetes.client import CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer
from secretsops_devstack.services import kubeapi_process
from tests.helpers import assert_no_canary
from tests.kubeapi.rawhttp import call


def test_subprocess_server_writes_no_secret_to_disk(tmp_path: Path, hermetic_env: Path, canary: str) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    url, proc = kubeapi_process(kubeconfig, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        body = {"metadata": {"name": "s"}, "stringData": {"k": canary}}
        assert call(url, "POST", "/api/v1/namespaces/default/secrets", body)[0] == 201
        with urllib.request.urlopen(url + "/api/v1/namespaces/default/secrets/s") as resp:
            assert base64.b64decode(json.loads(resp.read())["data"]["k"]).decode() == canary
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert_no_canary(canary, tmp_path, hermetic_env, out, err)


def test_rejected_secret_values_are_not_echoed_in_errors(kubeapi: KubeApiServer, canary: str) -> None:
    not_base64 = {"metadata": {"name": "s"}, "data": {"k": canary + "!!"}}
    code, status = call(kubeapi, "POST", "/api/v1/namespaces/default/secrets", not_base64)
    assert (
        code == 400 and "illegal base64 data at input byte 6" in status["message"]
    )  # the canary's first "-"
    assert_no_canary(canary, json.dumps(status).encode())


@pytest.mark.inmemory
def test_request_log_holds_no_bodies(kubeapi: KubeApiServer, core: CoreV1Api, canary: str) -> None:
    core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"k": canary}})
    core.patch_namespaced_secret("s", "default", {"stringData": {"k": canary + "2"}})
    assert_no_canary(canary, json.dumps(list(kubeapi.requests)))
