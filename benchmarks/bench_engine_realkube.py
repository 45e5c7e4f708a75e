"""The engine's figures on a real kube-apiserver + etcd (tests/realkube.py), at 1x and 10x.

Same source as bench_engine.py (its generator is reused): per 1x, 800 SOPS Secrets (age), 100
SealedSecrets (4096-bit key in kube-system), 100 ExternalSecrets against a real OpenBao dev server,
200 ConfigMaps and a Namespace. The engine runs in a child process (its peak RSS is its own) and talks
to the apiserver over TLS with a token, as it would in a cluster.

Targets (1x): first pass <= 15 s; a pass with no git change <= 1 s with zero key-service calls;
peak RSS <= 200 MB. 10x: first and no-change pass, reported per object so a platform team can size it.

Run:  python benchmarks/bench_engine_realkube.py [--scale 1] [--scale 10]
Needs the pinned tools: bash scripts/install-tools.sh
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_engine  # noqa: E402  (the generator and the child-process passes are shared)

BASE = {"N_SOPS": 800, "N_SEALED": 100, "N_EXTERNAL": 100, "N_PLAIN": 200}


def scale_to(scale: int) -> int:
    for name, n in BASE.items():
        setattr(bench_engine, name, n * scale)
    return sum(BASE.values()) * scale


def _cpu_seconds(pids: list[int]) -> float:
    """user + system CPU seconds of processes (Linux /proc), e.g. kube-apiserver and etcd."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _timed_engine() -> None:
    """Record each pass's CPU seconds in the engine process (wall time alone is the machine's load)."""
    import secretsops.engine.builder as builder

    build = builder.build_engine

    def build_engine(*args: object, **kwargs: object) -> object:
        eng = build(*args, **kwargs)  # type: ignore[arg-type]
        run_once = eng.run_once

        def timed() -> object:
            start = time.process_time()
            try:
                return run_once()
            finally:
                CPU.append(round(time.process_time() - start, 3))

        eng.run_once = timed  # type: ignore[method-assign]
        return eng

    builder.build_engine = build_engine  # type: ignore[assignment]


CPU: list[float] = []


def run(scale: int) -> dict[str, object]:
    import hvac
    from kubernetes import client

    from secretsops.keysources.age import generate_identity
    from secretsops_devstack.services import openbao_dev
    from tests.realkube import ControlPlane

    objects = scale_to(scale)
    with (
        tempfile.TemporaryDirectory() as tmp_s,
        openbao_dev(log=Path(tmp_s) / "bao.log") as bao,
        ControlPlane() as cp,
    ):
        tmp = Path(tmp_s)
        kubeconfig = cp.write_kubeconfig(tmp / "kubeconfig")
        api = cp.api_client()
        bao_client = hvac.Client(url=bao.url, token=bao.token)
        for i in range(bench_engine.N_EXTERNAL):
            bao_client.secrets.kv.v2.create_or_update_secret(
                f"bench/app{i}", {"v": f"x{i}"}, mount_point="secret"
            )
        identity, recipient = generate_identity()
        core = client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "secretsops-system"}})
        core.create_namespaced_secret(
            "secretsops-system",
            {
                "metadata": {"name": "sops-age"},
                "data": {"bench.agekey": base64.b64encode(identity.encode()).decode()},
            },
        )
        started = time.perf_counter()
        bench_engine.generate(tmp / "repo", api, bao.url, bao.token, recipient)
        print(
            f"scale {scale}: generated {objects} objects in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "VAULT_", "AWS_"))}
        env["BENCH_SCALE"] = str(scale)
        cp_cpu = _cpu_seconds([p.pid for p in cp._procs])
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(tmp / "repo"), str(kubeconfig)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if child.returncode != 0:
            print(child.stderr[-8000:], file=sys.stderr)
            raise SystemExit(1)
        result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
        # CPU, not wall time, is what the shared two cores cannot inflate
        result["control_plane_cpu_s_all_passes"] = round(_cpu_seconds([p.pid for p in cp._procs]) - cp_cpu, 2)
        result["load_average_1m"] = os.getloadavg()[0]
        result["objects"] = objects
        result["scale"] = scale
        for label in ("first", "second"):
            result[f"{label}_ms_per_object"] = round(1000 * float(result[f"{label}_s"]) / objects, 3)  # type: ignore[arg-type]
        return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=2, metavar=("REPO", "KUBECONFIG"))
    parser.add_argument("--scale", type=int, action="append", help="1 = 1,200 objects (repeatable)")
    args = parser.parse_args()
    if args.child:
        scale_to(int(os.environ.get("BENCH_SCALE", "1")))
        _timed_engine()
        out = bench_engine.run_engine(Path(args.child[0]), Path(args.child[1]))
        for label, cpu in zip(("first", "second", "healed", "changed"), CPU, strict=False):
            out[f"{label}_engine_cpu_s"] = cpu
        print(json.dumps(out))
        return 0
    ok = True
    for scale in args.scale or [1]:
        result = run(scale)
        print(json.dumps(result, indent=2))
        ok = ok and all(result[f"{p}_ok"] for p in ("first", "second", "healed", "changed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
