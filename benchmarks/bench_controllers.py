# ruff: noqa: E501 - the report is a Markdown table, one row per line
"""The controllers' figures on a real kube-apiserver + etcd (tests/realkube.py).

1. Latency: 1,000 SealedSecrets (one value each, a 4096-bit key as the Bitnami controller makes)
   created at once by 4 client threads while `secretsops controller` runs (child process, its
   default workers, or ``--workers N``); for each, the time from its POST returning to its Secret's ADDED event on a watch
   (the client's view), and the same from the API server's audit log (the SealedSecret's create
   completed -> the Secret's create completed, microsecond timestamps, free of the client's own
   scheduling). Targets: median <= 0.5 s, p99 <= 2 s. Also the catch-up time (first create -> last
   Secret) and how long the statuses trailed (last status patch after the last Secret).
2. Memory: the controller started against 5,000 SealedSecrets (2048-bit key, to keep the set-up
   short; key size does not change memory) and 1,000 ExternalSecrets (real OpenBao dev server,
   each ExternalSecret reads 3 values from 2 paths); peak RSS (VmHWM) of the child once every Secret
   is written. Target <= 300 MB.
3. Provider reads per refresh: Vault reads during that first sync / distinct remote paths per
   ExternalSecret summed over all ExternalSecrets. Target 1.0.

Run:  python benchmarks/bench_controllers.py [--sealed 1000] [--memory-sealed 5000] [--memory-external 1000]
      [--workers N] [--skip-memory] [--bitnami auto|BINARY|none]   (auto: the opt-in tool `bash scripts/install-tools.sh sealed-secrets-controller`)
Needs the pinned tools (bash scripts/install-tools.sh). Writes benchmarks/results/controllers.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NS = "bench"


def _crds(kube: Any) -> None:
    from tests.controllers.conftest import install_crds

    install_crds(kube)


def _controller(kubeconfig: Path, tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp)}
    argv = [sys.executable, "-m", "secretsops", "controller", "--kubeconfig", str(kubeconfig), *args]
    return subprocess.Popen(argv, env=env, stderr=open(tmp / "controller.log", "ab"))  # noqa: SIM115


def _bitnami(binary: str, cp: Any, tmp: Path) -> subprocess.Popen[bytes]:
    """The Bitnami controller (built from its Go module) on loopback ports, keys in kube-system.

    It reads only the in-cluster configuration (``rest.InClusterConfig``), so it runs in a private
    mount namespace where a tmpfs over /var/run holds the service-account files it expects (the
    admin token, the test CA, namespace kube-system); nothing outside that namespace sees them.
    """
    sa = tmp / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text(cp.token)
    (sa / "ca.crt").write_bytes(Path(cp.ca_file).read_bytes())
    (sa / "namespace").write_text("kube-system")
    script = (
        "set -e; mount -t tmpfs tmpfs /var/run; mkdir -p /var/run/secrets/kubernetes.io;"
        f' cp -r {sa} /var/run/secrets/kubernetes.io/serviceaccount; exec "$@"'
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(cp.port),
    }
    argv = [
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "bitnami",
        binary,
        "--listen-addr",
        f"127.0.0.1:{_free_port()}",
        "--listen-metrics-addr",
        f"127.0.0.1:{_free_port()}",
        "--update-status",
        "--key-renew-period",
        "0",
    ]
    return subprocess.Popen(argv, env=env, stderr=open(tmp / "bitnami.log", "ab"))  # noqa: SIM115


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _hwm_mb(pid: int) -> tuple[float, float]:
    text = Path(f"/proc/{pid}/status").read_text()
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return hwm / 1024, rss / 1024


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    out = {name: _cpu_s(pid) for name, pid in pids.items()}
    out["bench client"] = sum(os.times()[:2])
    return out


def _sealed_objects(public_key: Any, n: int, prefix: str) -> list[dict[str, Any]]:
    from secretsops.sealed.sealing import SealOptions, seal_secret

    out = []
    for i in range(n):
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{prefix}{i}", "namespace": NS},
            "stringData": {"password": f"value-{i}"},
        }
        out.append(seal_secret(public_key, secret, SealOptions(namespace=NS)))
    return out


def _create_all(kube: Any, objs: list[dict[str, Any]], threads: int = 4) -> dict[str, float]:
    created: dict[str, float] = {}

    def one(obj: dict[str, Any]) -> None:
        kube.create(obj)
        created[obj["metadata"]["name"]] = time.monotonic()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, objs))
    return created


def _watch_secrets(kube: Any, seen: dict[str, float], stop: threading.Event) -> threading.Thread:
    def run() -> None:
        rv = str(kube.list_page("v1", "Secret", NS, limit=1)["metadata"]["resourceVersion"])
        from secretsops.errors import KubeError

        while not stop.is_set():
            stream = kube.watch("v1", "Secret", NS, resource_version=rv, timeout_seconds=60)
            try:
                for event in stream:
                    meta = event["object"]["metadata"]
                    rv = meta.get("resourceVersion") or rv
                    if event["type"] == "ADDED":
                        seen.setdefault(meta["name"], time.monotonic())
                    if stop.is_set():
                        stream.close()
                        break
            except KubeError:
                if stop.is_set():
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(0.2)


def latency(n: int, bitnami: str = "", workers: int = 0) -> dict[str, float]:
    """Created -> Secret for ``n`` SealedSecrets; with ``bitnami`` (a built controller) for that one instead;
    ``workers`` > 0 is passed as ``--workers`` (else the controller's default)."""
    from secretsops.kube import KubeClient
    from secretsops.sealed.keypairs import generate_key, key_secret
    from tests.realkube import ControlPlane

    with tempfile.TemporaryDirectory() as tmp_s, ControlPlane() as cp:
        tmp = Path(tmp_s)
        kube = KubeClient(cp.api_client())
        _crds(kube)
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        key, cert = generate_key(4096)
        kube.create(key_secret(key, cert, "kube-system"))
        objs = _sealed_objects(key.public_key(), n + 1, "s")
        kubeconfig = cp.write_kubeconfig(tmp / "kubeconfig")
        if bitnami:
            proc = _bitnami(bitnami, cp, tmp)
        else:
            extra = ("--workers", str(workers)) if workers else ()
            proc = _controller(
                kubeconfig, tmp, "--controllers", "sealedsecrets", "--metrics-port", "-1", *extra
            )
        try:
            seen: dict[str, float] = {}
            stop = threading.Event()
            _watch_secrets(kube, seen, stop)
            _create_all(kube, objs[:1], 1)  # warm-up: the controller is watching and has its keys
            _wait(lambda: "s0" in seen, 120, "warm-up Secret")
            pids = {"controller": proc.pid, "etcd": cp._procs[0].pid, "kube-apiserver": cp._procs[1].pid}
            cpu0 = _cpu(pids)
            started = time.monotonic()
            created = _create_all(kube, objs[1:])
            _wait(lambda: len(seen) >= n + 1, 1800 if bitnami else 600, f"{n} Secrets")
            cpu1 = _cpu(pids)
            done = max(seen.values())
            stop.set()
            # statuses trail the Secrets (status writer): wait for every one, up to two minutes
            deadline = time.monotonic() + 120
            server = _audit_latencies(cp.audit_log, set(created))
            while server.get("statuses", 0) < n and time.monotonic() < deadline:
                time.sleep(2)
                server = _audit_latencies(cp.audit_log, set(created))
        finally:
            _stop(proc)
        lat = sorted(seen[name] - at for name, at in created.items())
        return {
            "n": n,
            "median": statistics.median(lat),
            "p99": lat[int(0.99 * (len(lat) - 1))],
            "max": lat[-1],
            "create_s": max(created.values()) - started,
            "catch_up_s": done - started,
            "cpu_ms": {k: 1000 * (cpu1[k] - cpu0[k]) / n for k in cpu0},
            "load": os.getloadavg()[0],
            **server,
        }


def _audit_latencies(log: Path, names: set[str]) -> dict[str, float]:
    """Created -> Secret as the API server saw it: ResponseComplete of each SealedSecret's create to
    that of its Secret's create, and when the last status patch completed after the last Secret."""
    import datetime as dt
    import json

    def stamp(event: dict[str, Any]) -> float:
        return dt.datetime.fromisoformat(event["stageTimestamp"].replace("Z", "+00:00")).timestamp()

    sealed: dict[str, float] = {}
    secret: dict[str, float] = {}
    status: dict[str, float] = {}
    events: list[float] = []
    for line in log.read_text().splitlines():
        event = json.loads(line)
        ref = event.get("objectRef") or {}
        name = ref.get("name")
        if event.get("stage") != "ResponseComplete" or ref.get("namespace") != NS:
            continue
        if ref.get("resource") == "events" and event.get("verb") in ("create", "patch"):
            events.append(stamp(event))
            continue
        if name not in names:
            continue
        code = (event.get("responseStatus") or {}).get("code")
        if event.get("verb") == "create" and code == 201:
            (sealed if ref.get("resource") == "sealedsecrets" else secret)[name] = stamp(event)
        elif ref.get("subresource") == "status" and event.get("verb") in ("patch", "update"):
            status[name] = max(status.get(name, 0.0), stamp(event))
    lat = sorted(secret[n] - sealed[n] for n in names if n in sealed and n in secret)
    if not lat:
        return {}
    last_secret = max(secret.values())
    return {
        "server_median": statistics.median(lat),
        "server_p99": lat[int(0.99 * (len(lat) - 1))],
        "server_n": len(lat),
        "statuses": len(status),
        "status_trail_s": (max(status.values()) - last_secret) if status else -1.0,
        # API writes the controller made besides the Secrets while Secrets were still owed
        "statuses_before_last_secret": sum(1 for at in status.values() if at < last_secret),
        "events": len(events),
        "events_before_last_secret": sum(1 for at in events if at < last_secret),
    }


def memory(n_sealed: int, n_external: int) -> dict[str, float]:
    import hvac

    from secretsops.kube import KubeClient
    from secretsops.sealed.keypairs import generate_key, key_secret
    from secretsops_devstack.services import openbao_dev
    from tests.realkube import ControlPlane

    paths = max(1, n_external // 5)  # 5 ExternalSecrets share each pair of paths
    with (
        tempfile.TemporaryDirectory() as tmp_s,
        openbao_dev(log=Path(tmp_s) / "bao.log") as bao,
        ControlPlane() as cp,
    ):
        tmp = Path(tmp_s)
        vault = hvac.Client(url=bao.url, token=bao.token)
        for i in range(paths):
            vault.secrets.kv.v2.create_or_update_secret(
                f"bench/a{i}", {"u": f"user{i}", "p": f"pw{i}"}, mount_point="secret"
            )
            vault.secrets.kv.v2.create_or_update_secret(f"bench/b{i}", {"t": f"tok{i}"}, mount_point="secret")
        kube = KubeClient(cp.api_client())
        _crds(kube)
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        key, cert = generate_key(2048)
        kube.create(key_secret(key, cert, "kube-system"))
        token = base64.b64encode(bao.token.encode()).decode()
        kube.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "vault-token", "namespace": NS},
                "data": {"token": token},
            }
        )
        kube.create(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": "vault", "namespace": NS},
                "spec": {
                    "provider": {
                        "vault": {
                            "server": bao.url,
                            "path": "secret",
                            "version": "v2",
                            "auth": {"tokenSecretRef": {"name": "vault-token", "key": "token"}},
                        }
                    }
                },
            }
        )
        t0 = time.monotonic()
        _create_all(kube, _sealed_objects(key.public_key(), n_sealed, "s"))
        externals = []
        for i in range(n_external):
            j = i % paths
            externals.append(
                {
                    "apiVersion": "external-secrets.io/v1",
                    "kind": "ExternalSecret",
                    "metadata": {"name": f"e{i}", "namespace": NS},
                    "spec": {
                        "secretStoreRef": {"name": "vault", "kind": "SecretStore"},
                        "refreshInterval": "1h",
                        "data": [
                            {"secretKey": "user", "remoteRef": {"key": f"bench/a{j}", "property": "u"}},
                            {"secretKey": "pass", "remoteRef": {"key": f"bench/a{j}", "property": "p"}},
                            {"secretKey": "token", "remoteRef": {"key": f"bench/b{j}", "property": "t"}},
                        ],
                    },
                }
            )
        _create_all(kube, externals)
        print(
            f"created {n_sealed} SealedSecrets, {n_external} ExternalSecrets in {time.monotonic() - t0:.0f} s",
            file=sys.stderr,
        )
        port = _free_port()
        proc = _controller(
            cp.write_kubeconfig(tmp / "kubeconfig"),
            tmp,
            "--controllers",
            "sealedsecrets,externalsecrets",
            "--metrics-port",
            str(port),
            "--bind-address",
            "127.0.0.1",
            "--key-renew-period",
            "0",
        )
        started = time.monotonic()
        try:
            want = n_sealed + n_external + 1  # + the token Secret
            _wait(lambda: len(kube.list_objects("v1", "Secret", NS)) >= want, 1800, "every Secret written")
            synced = time.monotonic() - started
            time.sleep(2)
            hwm, rss = _hwm_mb(proc.pid)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:  # noqa: S310
                metrics = resp.read().decode()
        finally:
            _stop(proc)
        reads = sum(
            float(m.group(1))
            for m in re.finditer(
                r'secretsops_controller_provider_calls_total\{call="vault\.read",controller="externalsecrets"\} (\S+)',
                metrics,
            )
        )
        return {
            "sealed": n_sealed,
            "external": n_external,
            "sync_s": synced,
            "hwm_mb": hwm,
            "rss_mb": rss,
            "vault_reads": reads,
            "distinct_keys": 2 * n_external,
        }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sealed", type=int, default=1000)
    parser.add_argument("--memory-sealed", type=int, default=5000)
    parser.add_argument("--memory-external", type=int, default=1000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="--workers for our controller (default: the controller's default)",
    )
    parser.add_argument(
        "--bitnami",
        default="auto",
        help="the Bitnami controller binary to measure too; auto: the opt-in tool if installed; none: skip",
    )
    args = parser.parse_args()
    if args.bitnami == "auto":
        cached = Path.home() / ".cache/secretsops/tools/bin/sealed-secrets-controller"
        args.bitnami = str(cached) if cached.exists() else ""
    elif args.bitnami == "none":
        args.bitnami = ""
    load = os.getloadavg()[0]
    began = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lat = latency(args.sealed, workers=args.workers)
    print(f"latency: {lat}", file=sys.stderr)
    theirs = latency(args.sealed, args.bitnami) if args.bitnami else None
    print(f"bitnami: {theirs}", file=sys.stderr)
    mem = None if args.skip_memory else memory(args.memory_sealed, args.memory_external)
    print(f"memory: {mem}", file=sys.stderr)
    lines = [
        "## Controllers benchmark (real kube-apiserver + etcd)",
        "",
        "Reproduce: `. .venv/bin/activate && python benchmarks/bench_controllers.py` (needs `bash scripts/install-tools.sh`)",
        "",
        f"Run {began} to {time.strftime('%H:%M UTC', time.gmtime())}, load average at start {load:.1f} (2 cores shared);"
        f" controller {'--workers ' + str(args.workers) if args.workers else 'with its default workers'}.",
        "",
        "| figure | target | measured |",
        "|---|---|---|",
        f"| {lat['n']} SealedSecrets created at once: created → Secret, median | ≤ 0.5 s | {lat['median']:.3f} s |",
        f"| same, p99 (max) | ≤ 2 s | {lat['p99']:.3f} s ({lat['max']:.3f} s) |",
        f"| same, catch-up (first create → last Secret; creating took {lat['create_s']:.1f} s) | — | {lat['catch_up_s']:.1f} s |",
    ]
    if "server_median" in lat:
        lines += [
            f"| same, as the API server's audit log saw it (create of the SealedSecret → create of its Secret), median (p99) | ≤ 0.5 s (≤ 2 s) | "
            f"{lat['server_median']:.3f} s ({lat['server_p99']:.3f} s) |",
            f"| statuses written / how long the last one trailed the last Secret | — | {lat['statuses']:.0f} / {lat['status_trail_s']:.1f} s |",
            f"| status patches / Event writes completed before the last Secret (of those written when the run ended) | — | "
            f"{lat['statuses_before_last_secret']:.0f} / {lat['events_before_last_secret']:.0f} (of {lat['statuses']:.0f} / {lat['events']:.0f}) |",
        ]
    lines.append(
        "| CPU per SealedSecret until the last Secret (ms): "
        + ", ".join(f"{k} {v:.1f}" for k, v in lat["cpu_ms"].items())
        + f" | — | load average at the end {lat['load']:.1f} |"
    )
    if mem is not None:
        ratio = mem["vault_reads"] / mem["distinct_keys"] if mem["distinct_keys"] else 0.0
        lines += [
            f"| peak RSS with {mem['sealed']} SealedSecrets + {mem['external']} ExternalSecrets synced | ≤ 300 MB | "
            f"{mem['hwm_mb']:.0f} MB (RSS after sync {mem['rss_mb']:.0f} MB; first sync {mem['sync_s']:.0f} s) |",
            f"| Vault reads per refresh / distinct remote keys | 1.0 | {ratio:.2f} ({mem['vault_reads']:.0f} / {mem['distinct_keys']}) |",
        ]
    lines += [
        (
            f"| catch-up ratio to the Bitnami controller v0.27.1 (built from its Go module) | — | "
            f"{lat['catch_up_s'] / theirs['catch_up_s']:.2f}× ({lat['catch_up_s']:.1f} s vs {theirs['catch_up_s']:.1f} s; "
            f"its median {theirs['median']:.3f} s, p99 {theirs['p99']:.3f} s) |"
            if theirs
            else "| catch-up ratio to the Bitnami controller | — | not measured (pass --bitnami BINARY) |"
        ),
        "",
    ]
    out = ROOT / "benchmarks" / "results" / "controllers.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
