"""Issue 11 row 7: the mutating endpoints need a bearer token, coalesce, and tell strangers nothing.

The attack: anyone who reaches the pod's port POSTs /reconcile and /refresh in a loop (each pass
costs Vault reads and API calls) and probes names by comparing 404 with 202.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from secretsops.cli.main import main
from secretsops.engine.builder import RunningEngine, build_engine
from secretsops.engine.config import EngineSettings, SourceSpec
from secretsops.engine.metrics import EngineMetrics
from secretsops.engine.server import Runtime, RuntimeServer, serve_runtime
from secretsops.kube import KubeClient

TOKEN = b"s3cure-webhook-token-for-tests"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@dataclass
class Endpoint:
    engine: RunningEngine
    server: RuntimeServer
    asks: list[tuple[str, bool]]

    def post(self, path: str, token: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token.decode()}"} if token is not None else {}
        req = urllib.request.Request(self.server.url + path, data=b"{}", method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def _serve(kubeapi, tmp_path: Path, token: bytes | None, interval: float) -> Iterator[Endpoint]:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
    eng = build_engine(
        [SourceSpec(name="app", url=str(repo), interval=interval)],
        EngineSettings(),
        KubeClient(kubeapi.api_client()),
        env,
        metrics=EngineMetrics.create(CollectorRegistry()),
    )
    asks: list[tuple[str, bool]] = []
    real_ask = eng.engine.ask

    def counting_ask(source: str = "", *, full: bool = False) -> None:
        asks.append((source, full))
        real_ask(source, full=full)

    eng.engine.ask = counting_ask  # type: ignore[method-assign]
    server = serve_runtime(Runtime(eng.engine, webhook_token=token), "127.0.0.1", 0)
    try:
        yield Endpoint(eng, server, asks)
    finally:
        server.close()
        eng.close()


@pytest.fixture
def guarded(kubeapi, tmp_path: Path) -> Iterator[Endpoint]:  # type: ignore[no-untyped-def]
    yield from _serve(kubeapi, tmp_path, TOKEN, 3600.0)


@pytest.fixture
def open_engine(kubeapi, tmp_path: Path) -> Iterator[Endpoint]:  # type: ignore[no-untyped-def]
    yield from _serve(kubeapi, tmp_path, None, 3600.0)


def test_without_a_token_file_the_mutating_endpoints_are_off(open_engine: Endpoint) -> None:
    assert open_engine.post("/reconcile")[0] == 403
    assert open_engine.post("/refresh/default/db", b"anything")[0] == 403
    assert open_engine.asks == []


@pytest.mark.parametrize("token", [None, b"wrong-token-wrong-token", TOKEN + b"x", TOKEN[:-1]])
def test_a_missing_or_wrong_token_is_refused_and_asks_nothing(guarded: Endpoint, token: bytes | None) -> None:
    assert guarded.post("/reconcile", token)[0] == 401
    assert guarded.post("/refresh/default/db", token)[0] == 401
    assert guarded.asks == []


def test_strangers_get_the_same_answer_whether_a_name_exists_or_not(guarded: Endpoint) -> None:
    answers = {
        guarded.post(path)
        for path in ("/reconcile?source=app", "/reconcile?source=nope", "/refresh/default/a", "/refresh/x/y")
    }
    assert len(answers) == 1 and next(iter(answers))[0] == 401


def test_the_right_token_asks_for_a_pass(guarded: Endpoint) -> None:
    status, body = guarded.post("/reconcile?source=app", TOKEN)
    assert status == 202 and json.loads(body)["status"] == "reconcile requested"
    assert guarded.asks == [("app", False)]


def test_a_flood_of_authorized_requests_asks_for_one_pass_per_interval(guarded: Endpoint) -> None:
    statuses = [json.loads(guarded.post("/reconcile", TOKEN)[1])["status"] for _ in range(100)]
    assert statuses[0] == "reconcile requested"
    assert set(statuses[1:]) == {"reconcile coalesced"}
    assert guarded.asks == [("", False)]


def test_coalesced_requests_queue_exactly_one_deferred_pass(kubeapi, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for ep in _serve(kubeapi, tmp_path, TOKEN, 0.5):
        for _ in range(30):
            assert ep.post("/reconcile?full=true", TOKEN)[0] == 202
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(ep.asks) < 2:
            time.sleep(0.05)
        time.sleep(0.7)  # a second window passes with no request: nothing more is asked
        assert ep.asks == [("", True), ("", True)]


def test_the_refresh_command_sends_the_token_file(guarded: Endpoint, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(TOKEN + b"\n")
    assert main(["refresh", "--reconcile", "--url", guarded.server.url, "--token-file", str(token_file)]) == 0
    assert guarded.asks == [("", False)]


def test_a_short_token_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(b"short\n")
    assert main(["reconcile", "--repo", str(tmp_path), "--webhook-token-file", str(token_file)]) == 2
    assert "at least 16 characters" in capsys.readouterr().err


def test_the_networkpolicy_admits_only_labelled_namespaces() -> None:
    policy = yaml.safe_load((DEPLOY / "networkpolicy.yaml").read_text())
    rules = policy["spec"]["ingress"]
    assert rules and all(rule.get("from") for rule in rules)
    for rule in rules:
        for peer in rule["from"]:
            assert peer == {"namespaceSelector": {"matchLabels": {"secretsops.io/webhook-access": "true"}}}
