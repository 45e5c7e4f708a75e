"""``python -m secretsops_devstack.kubeapi`` runs the server as a subprocess for the demo stack."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from secretsops_devstack.kubeapi import server as server_module
from secretsops_devstack.services import free_port, wait_http


def test_module_serves_on_the_given_port() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsops_devstack.kubeapi", "--port", str(port), "--state-file", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=20)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/namespaces") as resp:
            names = {i["metadata"]["name"] for i in json.loads(resp.read())["items"]}
        assert "default" in names
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_module_refuses_a_state_file() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secretsops_devstack.kubeapi", "--state-file", "/tmp/x"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "only 'none' is supported" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_can_stop_and_start_again_keeping_its_state() -> None:
    from kubernetes import watch
    from kubernetes.client import CoreV1Api

    from secretsops_devstack.kubeapi import KubeApiServer

    server = KubeApiServer()
    with server:
        CoreV1Api(server.api_client()).create_namespaced_config_map("default", {"metadata": {"name": "kept"}})
    with server:
        core = CoreV1Api(server.api_client())
        events = list(watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=1))
    assert [e["object"].metadata.name for e in events] == ["kept"]


def test_kubeconfig_is_complete_before_the_first_request_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a client polls /healthz and then reads the kubeconfig: it must never find it missing or empty
    kubeconfig = tmp_path / "kubeconfig"
    seen: list[str] = []
    real_serve = server_module._HTTPServer.serve_forever

    def serve_forever(self: server_module._HTTPServer, poll_interval: float = 0.5) -> None:
        seen.append(kubeconfig.read_text() if kubeconfig.exists() else "")
        real_serve(self, poll_interval)

    monkeypatch.setattr(server_module._HTTPServer, "serve_forever", serve_forever)
    server = server_module.KubeApiServer().start(kubeconfig=kubeconfig)
    url = server.url
    try:
        wait_http(f"{url}/healthz", timeout=20)
    finally:
        server.stop()
    assert seen and yaml.safe_load(seen[0])["clusters"][0]["cluster"]["server"] == url
    assert kubeconfig.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kubeconfig"]
