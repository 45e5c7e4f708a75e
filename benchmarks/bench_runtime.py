"""Benchmark of the runtime pieces: rollout annotation, endpoints, Lease rounds, fail-over, demo.

Run from the repository root with the venv active: ``python benchmarks/bench_runtime.py``.
Everything runs on 127.0.0.1 (the Kubernetes API test server in this process, the demo's real
OpenBao and moto). Prints a Markdown table.
"""

from __future__ import annotations

import base64
import io
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry  # noqa: E402

from secretsops.kube import KubeClient  # noqa: E402
from secretsops_devstack.kubeapi import KubeApiServer  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


def bench_rollout() -> tuple[str, float, float]:
    from secretsops.engine.rollout import annotate_rollouts, hmac_fingerprint

    desired = []
    for i in range(1000):
        data = {"PASSWORD": base64.b64encode(os.urandom(24)).decode()}
        desired.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"s{i}", "namespace": "a"},
                "data": data,
            }
        )
        ref = {"secretKeyRef": {"name": f"s{i}", "key": "PASSWORD"}}
        desired.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": f"d{i}",
                    "namespace": "a",
                    "annotations": {"secretsops.io/reload": "true"},
                },
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "c", "env": [{"name": "P", "valueFrom": ref}]}]}
                    }
                },
            }
        )
    fp = hmac_fingerprint(os.urandom(32))
    med, worst = timed(lambda: annotate_rollouts(desired, fp), 5)
    return "annotate_rollouts, 1,000 opted-in Deployments + 1,000 Secrets", med, worst


def bench_endpoints(kube: KubeApiServer, tmp: Path) -> list[tuple[str, float, float]]:
    from secretsops.engine.builder import build_engine
    from secretsops.engine.config import EngineSettings, SourceSpec
    from secretsops.engine.metrics import EngineMetrics
    from secretsops.engine.server import Runtime, serve_runtime

    repo = tmp / "repo"
    repo.mkdir()
    for i in range(50):
        (repo / f"cm{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: default}}\n"
        )
    eng = build_engine(
        [SourceSpec(name="bench", url=str(repo), interval=3600.0)],
        EngineSettings(),
        KubeClient(kube.api_client()),
        {"PATH": os.environ["PATH"], "HOME": str(tmp)},
        metrics=EngineMetrics.create(CollectorRegistry()),
    )
    eng.run_once()
    # the bench measures one pass per POST: no coalescing window (the default is the interval)
    runtime = Runtime(eng.engine, webhook_token=b"bench-webhook-token", min_gap=0.0)
    server = serve_runtime(runtime, "127.0.0.1", 0)
    loop = threading.Thread(target=eng.engine.run_forever, daemon=True)
    loop.start()
    try:

        def get(path: str) -> None:
            with urllib.request.urlopen(server.url + path, timeout=5) as resp:  # noqa: S310
                resp.read()

        rows = []
        for path in ("/healthz", "/readyz", "/metrics"):
            med, worst = timed(lambda p=path: get(p), 200)  # type: ignore[misc]
            rows.append((f"GET {path}", med, worst))

        def reconcile_now() -> None:
            before = eng.engine.deps.metrics.registry.get_sample_value(
                "secretsops_reconcile_duration_seconds_count", {"source": "bench"}
            )
            auth = {"Authorization": "Bearer bench-webhook-token"}
            req = urllib.request.Request(server.url + "/reconcile", data=b"", method="POST", headers=auth)  # noqa: S310
            urllib.request.urlopen(req, timeout=5).read()  # noqa: S310
            while (
                eng.engine.deps.metrics.registry.get_sample_value(
                    "secretsops_reconcile_duration_seconds_count", {"source": "bench"}
                )
                == before
            ):
                time.sleep(0.002)

        med, worst = timed(reconcile_now, 20)
        rows.append(("POST /reconcile until the pass finished (50 objects, no change)", med, worst))
        return rows
    finally:
        eng.engine.stop.set()
        loop.join(5)
        server.close()
        eng.close()


def bench_lease(kube: KubeApiServer) -> list[tuple[str, float, float]]:
    from kubernetes import client

    from secretsops.engine.leader import LeaderElector, LeaseTimings

    client.CoreV1Api(kube.api_client()).create_namespace({"metadata": {"name": "bench-lease"}})
    timings = LeaseTimings(lease_duration=2.0, renew_deadline=1.5, retry_period=0.2)
    a = LeaderElector(KubeClient(kube.api_client()), "bench-lease", identity="a", timings=timings)
    a.try_acquire_or_renew()
    med, worst = timed(a.try_acquire_or_renew, 100)
    rows = [("Lease renew round (GET + PUT)", med, worst)]

    b = LeaderElector(KubeClient(kube.api_client()), "bench-lease", identity="b", timings=timings)
    thread = threading.Thread(target=b.run, daemon=True)
    thread.start()
    time.sleep(0.5)
    killed = time.perf_counter()  # a stops renewing: a crash
    while not b.is_leader():
        time.sleep(0.01)
    took = time.perf_counter() - killed
    b.stop()
    thread.join(3)
    rows.append(("fail-over after the leader stops renewing (lease 2 s)", took, took))
    return rows


def bench_demo() -> tuple[str, float, float]:
    from secretsops_devstack.demo import DemoOptions, run_demo

    start = time.perf_counter()
    assert run_demo(DemoOptions(), io.StringIO()) == 0
    took = time.perf_counter() - start
    return "`secretsops-demo` end to end (start servers, 5 acts, clean up)", took, took


def main() -> None:
    import logging

    logging.getLogger("secretsops").addHandler(logging.NullHandler())
    rows = [bench_rollout()]
    with KubeApiServer() as kube, tempfile.TemporaryDirectory() as tmp:
        rows += bench_endpoints(kube, Path(tmp))
        rows += bench_lease(kube)
    rows.append(bench_demo())
    print("| what | median | worst |")
    print("|---|---|---|")
    for what, med, worst in rows:
        print(f"| {what} | {med * 1000:.1f} ms | {worst * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
