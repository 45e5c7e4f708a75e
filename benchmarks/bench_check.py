"""Benchmark `secretsops check` against `detect-secrets scan` on a generated GitOps repo.

    python benchmarks/bench_check.py [--files 10000] [--commits 1000] [--keep DIR]

Builds (1) a repo of N files: Python/Go code, Deployments/ConfigMaps, SOPS-encrypted Secrets
(metadata from a real `sops` run, values randomised), plaintext Secrets, .env files, and
(2) a repo with M commits built with `git fast-import`. Reports wall time for
`secretsops check` and `detect-secrets scan` on (1), and `secretsops check --history` on (2).
Targets: >= 5x faster than detect-secrets; --history over 1,000 commits <= 30 s.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RNG = random.Random(1234)


def rand_b64(n: int) -> str:
    return base64.b64encode(RNG.randbytes(n)).decode()


def enc(n: int = 12) -> str:
    return f"ENC[AES256_GCM,data:{rand_b64(n)},iv:{rand_b64(32)},tag:{rand_b64(16)},type:str]"


SOPS_META = """sops:
    age:
        - recipient: age1yx93vnylvwkrq0quhcppdazlca6hk8496nmhqlfdc0um2qnhgu3q2cx6xh
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            {b1}
            {b2}
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-01-01T00:00:00Z"
    mac: {mac}
    encrypted_regex: ^(data|stringData)$
    version: 3.11.0
"""


def code_file(i: int) -> str:
    body = "\n".join(
        f"def handler_{i}_{j}(request):\n    value = request.get('field_{j}')\n    return value * {j}\n"
        for j in range(12)
    )
    return f'"""Module {i}."""\nimport os\n\nTIMEOUT = {i % 60}\n\n{body}'


def deployment(i: int) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{i % 20}\n"
        f"spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n"
        f"    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n"
        f"      - name: app\n        image: registry.example/app-{i}:1.{i % 9}.0\n        env:\n"
        f"        - name: DB_PASSWORD\n          valueFrom:\n"
        f"            secretKeyRef: {{name: db-{i}, key: password}}\n"
        f"        ports:\n        - containerPort: 8080\n"
    )


def configmap(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\n"
        f"data:\n  LOG_LEVEL: info\n  WORKERS: '{i % 8}'\n"
    )


def sops_secret(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-{i}\ntype: Opaque\nstringData:\n"
        f"  username: {enc(6)}\n  password: {enc(24)}\n"
        + SOPS_META.format(b1=rand_b64(48), b2=rand_b64(48), mac=enc(64))
    )


def plain_secret(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak-{i}\ndata:\n"
        f"  password: {base64.b64encode(rand_b64(18).encode()).decode()}\n"
    )


def dotenv(i: int) -> str:
    return f"PORT=80{i % 10}\nDB_PASSWORD={rand_b64(15)}\nFEATURE_X=on\n"


def build_tree(root: Path, files: int) -> dict[str, int]:
    kinds = [
        ("py", code_file, 40),
        ("deploy", deployment, 25),
        ("cm", configmap, 15),
        ("sops", sops_secret, 15),
        ("leak", plain_secret, 3),
        ("env", dotenv, 2),
    ]
    weights = [w for _k, _f, w in kinds]
    counts: dict[str, int] = {}
    for i in range(files):
        kind, make, _w = RNG.choices(kinds, weights)[0]
        counts[kind] = counts.get(kind, 0) + 1
        d = root / f"svc-{i % 100}"
        name = {"py": f"mod_{i}.py", "env": f"svc{i}.env"}.get(kind, f"{kind}-{i}.yaml")
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(make(i))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "tree"], check=True, env=git_env())
    return counts


def git_env() -> dict[str, str]:
    return {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip


def build_history(root: Path, commits: int) -> None:
    """M commits, each changing 3 files (one Secret added then deleted now and then)."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    out: list[bytes] = []
    for c in range(commits):
        out.append(b"commit refs/heads/main\n")
        out.append(f"committer b <b@x> {1700000000 + c} +0000\n".encode())
        msg = f"change {c}".encode()
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        for k in range(3):
            i = c * 3 + k
            kind = [deployment, configmap, sops_secret, code_file][i % 4]
            data = kind(i).encode()
            path = f"apps/app-{i % 300}/{kind.__name__}.yaml"
            out.append(f"M 100644 inline {path}\n".encode() + b"data %d\n%s\n" % (len(data), data))
        if c % 100 == 50:
            data = plain_secret(c).encode()
            out.append(b"M 100644 inline leaks/tmp.yaml\n" + b"data %d\n%s\n" % (len(data), data))
        if c % 100 == 51:
            out.append(b"D leaks/tmp.yaml\n")
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(out), check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start, proc


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--commits", type=int, default=1_000)
    ap.add_argument("--keep", type=Path, help="build the repos here and keep them")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-check-"))
    bindir = Path(sys.executable).parent
    try:
        tree, hist = work / "tree", work / "history"
        for d in (tree, hist):
            shutil.rmtree(d, ignore_errors=True)
        counts = build_tree(tree, args.files)
        build_history(hist, args.commits)
        t_ours, p_ours = timed(
            [str(bindir / "secretsops"), "check", "--no-progress", "--format", "json"], tree
        )
        t_ds, p_ds = timed([str(bindir / "detect-secrets"), "scan"], tree)
        hist_cmd = [str(bindir / "secretsops"), "check", "--no-progress", "--history", "--format", "json"]
        t_hist, p_hist = timed(hist_cmd, hist)
        import json

        ours = json.loads(p_ours.stdout)
        hist_report = json.loads(p_hist.stdout)
        ds = json.loads(p_ds.stdout)
        print(f"tree: {args.files} files {counts}")
        n_ours = len(ours["findings"])
        print(f"secretsops check      : {t_ours:7.2f} s  exit {p_ours.returncode}  findings {n_ours}")
        print(f"detect-secrets scan   : {t_ds:7.2f} s  exit {p_ds.returncode}  "
              f"findings {sum(len(v) for v in ds['results'].values())}")  # fmt: skip
        print(f"speed-up              : {t_ds / t_ours:7.1f} x (target >= 5x)")
        print(f"history: {args.commits} commits, {hist_report['files_scanned']} unique blobs")
        print(f"secretsops --history  : {t_hist:7.2f} s  exit {p_hist.returncode}  "
              f"findings {len(hist_report['findings'])} (target <= 30 s)")  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
