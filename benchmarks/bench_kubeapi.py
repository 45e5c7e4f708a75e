"""Throughput of the Kubernetes API test server through the official client (run by hand).

    python benchmarks/bench_kubeapi.py [--objects N]

Measures what the engine's tests lean on: create, server-side apply (create and no-op re-apply),
get, labelled list, and watch delivery latency. One client, keep-alive connections, loopback.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

import kubernetes
from kubernetes import watch

from secretsops_devstack.kubeapi import KubeApiServer

APPLY = "application/apply-patch+yaml"


def _timed(label: str, n: int, fn: Callable[[int], object]) -> None:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    elapsed = time.perf_counter() - started
    print(f"{label:<38} {n:>5} ops  {elapsed * 1000 / n:7.2f} ms/op  {n / elapsed:8.0f} ops/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=500)
    n = parser.parse_args().objects
    with KubeApiServer() as server:
        core = kubernetes.client.CoreV1Api(server.api_client())

        def secret(i: int) -> dict:
            return {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"s{i}", "labels": {"app": "bench", "shard": str(i % 10)}},
                "stringData": {"password": f"value-{i}", "user": "u"},
            }

        _timed("create Secret (POST)", n, lambda i: core.create_namespaced_secret("default", secret(i)))
        _timed(
            "server-side apply ConfigMap (create)",
            n,
            lambda i: core.patch_namespaced_config_map(
                f"c{i}",
                "default",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"c{i}"},
                    "data": {"k": str(i)},
                },
                field_manager="bench",
                _content_type=APPLY,
            ),
        )
        _timed(
            "server-side apply ConfigMap (no-op)",
            n,
            lambda i: core.patch_namespaced_config_map(
                f"c{i}",
                "default",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"c{i}"},
                    "data": {"k": str(i)},
                },
                field_manager="bench",
                _content_type=APPLY,
            ),
        )
        _timed("get Secret", n, lambda i: core.read_namespaced_secret(f"s{i}", "default"))
        _timed(
            f"list Secrets shard=3 (of {n})",
            50,
            lambda i: core.list_namespaced_secret("default", label_selector="shard=3"),
        )

        latencies: list[float] = []
        ready = threading.Event()

        def watcher() -> None:
            w = watch.Watch()
            ready.set()
            for event in w.stream(
                core.list_namespaced_config_map,
                "default",
                resource_version=str(server.store.resource_version),
                timeout_seconds=30,
            ):
                sent = float(event["object"].data["t"])
                latencies.append(time.perf_counter() - sent)
                if len(latencies) >= 100:
                    w.stop()

        thread = threading.Thread(target=watcher, daemon=True)
        thread.start()
        ready.wait()
        time.sleep(0.3)
        for i in range(100):
            core.create_namespaced_config_map(
                "default", {"metadata": {"name": f"w{i}"}, "data": {"t": repr(time.perf_counter())}}
            )
        thread.join(timeout=30)
        print(
            f"{'watch event latency (100 events)':<38} median {statistics.median(latencies) * 1000:.2f} ms  "
            f"p95 {sorted(latencies)[94] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
