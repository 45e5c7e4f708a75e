"""The engine's endpoints: probes, metrics, on-demand passes, refresh, the sealing certificate."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac
import pytest
from kubernetes import client
from prometheus_client import CollectorRegistry

from secretsops.cli.main import main
from secretsops.engine.builder import RunningEngine, build_engine
from secretsops.engine.config import EngineSettings, SourceSpec
from secretsops.engine.metrics import EngineMetrics
from secretsops.engine.server import Runtime, RuntimeServer, serve_runtime
from secretsops.kube import KubeClient
from tests.controllers.conftest import install_crds
from tests.helpers import assert_no_canary, new_canary

TOKEN = b"runtime-test-webhook-token"  # the endpoints' bearer token (--webhook-token-file)
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: default}}\ndata: {{k: {value}}}\n"


@dataclass
class Running:
    engine: RunningEngine
    server: RuntimeServer
    repo: Path
    thread: threading.Thread | None = None
    token_file: str = ""

    def start_loop(self) -> None:
        self.thread = threading.Thread(target=self.engine.engine.run_forever, daemon=True)
        self.thread.start()

    def get(self, path: str) -> tuple[int, bytes, str]:
        try:
            with urllib.request.urlopen(self.server.url + path, timeout=5) as resp:  # noqa: S310
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers.get("Content-Type", "")

    def post(self, path: str) -> tuple[int, dict[str, Any]]:
        auth = {"Authorization": f"Bearer {TOKEN.decode()}"}
        req = urllib.request.Request(self.server.url + path, data=b"{}", method="POST", headers=auth)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


def _engine(kubeapi, repo: Path, environ: dict[str, str] | None = None) -> RunningEngine:  # type: ignore[no-untyped-def]
    spec = SourceSpec(name="app", url=str(repo), interval=3600.0)
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **(environ or {})}
    return build_engine(
        [spec],
        EngineSettings(),
        KubeClient(kubeapi.api_client()),
        env,
        metrics=EngineMetrics.create(CollectorRegistry()),
    )


@pytest.fixture
def running(kubeapi, tmp_path: Path) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cm.yaml").write_text(CM.format(name="hello", value="one"))
    eng = _engine(kubeapi, repo)
    server = serve_runtime(Runtime(eng.engine, webhook_token=TOKEN), "127.0.0.1", 0)
    (tmp_path / "token").write_bytes(TOKEN)
    run = Running(eng, server, repo, token_file=str(tmp_path / "token"))
    yield run
    eng.engine.stop.set()
    if run.thread is not None:
        run.thread.join(5)
    server.close()
    eng.close()


def _wait(cond, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_healthz_answers_ok_while_the_loop_iterates(running: Running) -> None:
    status, body, ctype = running.get("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"} and ctype == "application/json"


def test_healthz_fails_when_the_loop_is_wedged(running: Running) -> None:
    running.engine.engine.heartbeat -= 10_000
    assert running.get("/healthz")[0] == 503


def test_readyz_waits_for_the_first_successful_pass(running: Running) -> None:
    assert running.get("/readyz")[0] == 503
    assert running.engine.run_once()[0].ok
    assert running.get("/readyz")[0] == 200


def test_readyz_stays_ready_when_a_later_pass_fails(running: Running) -> None:
    running.engine.run_once()
    (running.repo / "cm.yaml").write_text("not: [valid")
    assert not running.engine.run_once()[0].ok
    assert running.get("/readyz")[0] == 200


def test_standby_replica_is_ready_without_a_pass(running: Running) -> None:
    running.server.runtime.is_leader = lambda: False
    assert running.get("/readyz")[0] == 200


def test_standby_that_cannot_read_the_lease_is_not_ready(running: Running) -> None:
    running.server.runtime.is_leader = lambda: False
    running.server.runtime.standby_ok = lambda: False
    assert running.get("/readyz")[0] == 503


def test_metrics_are_the_engines_own_registry_in_prometheus_format(running: Running) -> None:
    running.engine.run_once()
    status, body, ctype = running.get("/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    text = body.decode()
    assert 'secretsops_source_ready{source="app"} 1.0' in text
    assert "secretsops_objects_applied_total" in text
    assert "python_gc_objects_collected_total" not in text  # not the global default registry


def test_metrics_speak_openmetrics_when_asked(running: Running) -> None:
    req = urllib.request.Request(
        running.server.url + "/metrics", headers={"Accept": "application/openmetrics-text"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
        assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
        assert resp.read().rstrip().endswith(b"# EOF")


def test_unknown_path_is_404(running: Running) -> None:
    assert running.get("/nope")[0] == 404
    assert running.post("/nope")[0] == 404


def test_post_reconcile_runs_a_pass_now_instead_of_at_the_interval(running: Running) -> None:
    core = client.CoreV1Api(running.engine.engine.deps.kube.api)
    running.start_loop()
    assert _wait(lambda: _cm(core) == "one")
    (running.repo / "cm.yaml").write_text(CM.format(name="hello", value="two"))
    time.sleep(0.3)
    assert _cm(core) == "one"  # interval is an hour
    status, doc = running.post("/reconcile")
    assert status == 202 and doc["sources"] == ["app"]
    assert _wait(lambda: _cm(core) == "two")


def test_post_reconcile_for_an_unknown_source_is_404(running: Running) -> None:
    assert running.post("/reconcile?source=other")[0] == 404


def test_standby_refuses_on_demand_passes_and_names_the_leader(running: Running) -> None:
    running.server.runtime.is_leader = lambda: False
    running.server.runtime.leader_identity = lambda: "pod-a"
    status, doc = running.post("/reconcile")
    assert status == 503 and doc["leader"] == "pod-a"
    assert running.engine.engine.asked == {}


def test_refresh_of_an_externalsecret_no_source_produced_is_404(running: Running) -> None:
    running.engine.run_once()
    status, doc = running.post("/refresh/default/nothing")
    assert status == 404 and "default/nothing" in doc["error"]


def test_refresh_rejects_a_malformed_reference(running: Running) -> None:
    assert running.post("/refresh/Bad_NS/x")[0] == 400
    assert running.post("/refresh/onlyone")[0] == 400


def test_cert_endpoint_serves_the_active_sealing_keys_certificate(running: Running, kubeapi) -> None:  # type: ignore[no-untyped-def]
    from secretsops.sealed.keyring import cluster_keys, create_cluster_key

    assert running.get("/v1/cert.pem")[0] == 404
    create_cluster_key(KubeClient(kubeapi.api_client()), "kube-system", key_size=2048)
    status, body, ctype = running.get("/v1/cert.pem")
    assert status == 200 and body.startswith(b"-----BEGIN CERTIFICATE-----")
    from secretsops.sealed.keypairs import cert_pem

    (key,) = cluster_keys(KubeClient(kubeapi.api_client()), "kube-system")
    assert key.cert is not None and body == cert_pem(key.cert)
    assert b"PRIVATE" not in body


def _cm(core: Any) -> str | None:
    try:
        return str(core.read_namespaced_config_map("hello", "default").data["k"])
    except Exception:  # noqa: BLE001
        return None


# --- refresh of a real ExternalSecret (OpenBao) ---------------------------------------------------

STORE = """apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {{name: bao, namespace: default}}
spec:
  provider:
    vault:
      server: {url}
      path: secret
      version: v2
      auth: {{tokenSecretRef: {{name: bao-token, key: token}}}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {{name: db, namespace: default}}
spec:
  refreshInterval: 1h
  secretStoreRef: {{name: bao, kind: SecretStore}}
  target: {{name: db-secret}}
  data:
  - secretKey: password
    remoteRef: {{key: {path}, property: password}}
"""


def test_refresh_re_resolves_the_externalsecret_now(kubeapi, openbao, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = f"runtime/{new_canary()[:8]}"
    bao = hvac.Client(url=openbao.url, token=openbao.token)
    first, second = new_canary(), new_canary()
    bao.secrets.kv.v2.create_or_update_secret(path=path, secret={"password": first}, mount_point="secret")
    core = client.CoreV1Api(kubeapi.api_client())
    install_crds(KubeClient(kubeapi.api_client()))  # the SecretStore in git is applied, then used
    core.create_namespaced_secret(
        "default", {"metadata": {"name": "bao-token"}, "stringData": {"token": openbao.token}}
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "es.yaml").write_text(STORE.format(url=openbao.url, path=path))
    eng = _engine(kubeapi, repo)
    server = serve_runtime(Runtime(eng.engine, webhook_token=TOKEN), "127.0.0.1", 0)
    (tmp_path / "token").write_bytes(TOKEN)
    loop = threading.Thread(target=eng.engine.run_forever, daemon=True)
    loop.start()
    out: list[str] = []
    try:

        def value() -> str | None:
            try:
                return base64.b64decode(
                    core.read_namespaced_secret("db-secret", "default").data["password"]
                ).decode()
            except Exception:  # noqa: BLE001
                return None

        assert _wait(lambda: value() == first)
        bao.secrets.kv.v2.create_or_update_secret(
            path=path, secret={"password": second}, mount_point="secret"
        )
        eng.engine.ask("app")  # an ordinary pass does not re-resolve: same commit, no drift
        time.sleep(0.5)
        assert value() == first
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            token = ["--token-file", str(tmp_path / "token")]
            assert main(["refresh", "default/db", "--url", server.url, *token]) == 0
        out.append(buf.getvalue())
        assert _wait(lambda: value() == second)
        with urllib.request.urlopen(server.url + "/metrics", timeout=5) as resp:  # noqa: S310
            out.append(resp.read().decode())
    finally:
        eng.engine.stop.set()
        loop.join(5)
        server.close()
        eng.close()
    assert out[0] == "refresh requested\n"
    assert 'secretsops_decrypt_calls_total{key_source="vault.read",source="app"}' in out[1]
    for text in out:
        assert_no_canary(first, text)
        assert_no_canary(second, text)


def test_refresh_command_reports_an_unreachable_engine_in_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    from secretsops_devstack.services import free_port

    assert main(["refresh", "ns/name", "--url", f"http://127.0.0.1:{free_port()}"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "engine not reachable" in err


def test_refresh_command_names_the_engines_reason(running: Running, capsys) -> None:  # type: ignore[no-untyped-def]
    token = ["--token-file", running.token_file]
    assert main(["refresh", "default/none", "--url", running.server.url, *token]) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_refresh_command_needs_exactly_one_target(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["refresh"]) == 2
    assert main(["refresh", "a/b", "--reconcile"]) == 2


def test_reconcile_flag_posts_to_reconcile(running: Running, capsys) -> None:  # type: ignore[no-untyped-def]
    token = ["--token-file", running.token_file]
    assert main(["refresh", "--reconcile", "--url", running.server.url, *token]) == 0
    assert capsys.readouterr().out == "reconcile requested\n"
    assert running.engine.engine.asked == {"": False}


def test_full_reconcile_asks_for_a_full_pass_of_one_source(running: Running, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["refresh", "--reconcile", "--source", "app", "--full", "--url", running.server.url]
    argv += ["--token-file", running.token_file]
    assert main(argv) == 0
    assert running.engine.engine.asked == {"app": True}


def test_a_malformed_request_gets_an_answer_not_a_traceback(running: Running, capfd) -> None:  # type: ignore[no-untyped-def]
    import socket

    host, port = running.server.httpd.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=5) as conn:
        conn.sendall(b"POST /reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 400")
    assert "Traceback" not in capfd.readouterr().err
