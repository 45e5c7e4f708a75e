"""Benchmark: secretsops vs sops 3.11 (age key), wall time of the CLI as a user runs it.

Run: . .venv/bin/activate && python benchmarks/bench_sops.py [--repeat N]
Prints a Markdown table; targets: 10k-value Secret encrypt/decrypt ≤ 0.7× sops,
3-value Secret decrypt (process start included) ≤ 2× sops, one key call per file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyrage import x25519


def secret_yaml(n: int) -> bytes:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", "    name: big", "type: Opaque", "stringData:"]
    lines += [f"    key{i:05d}: value-{i:05d}-{os.urandom(8).hex()}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def timed(cmd: list[str], env: dict[str, str], cwd: Path, repeat: int) -> tuple[float, float]:
    """(median, best) wall time of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=False)
        runs.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[:2]} failed: {proc.stderr.decode()[-300:]}")
    return statistics.median(runs), min(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sops = shutil.which("sops")
    ours = [sys.executable, "-m", "secretsops"]
    if sops is None:
        raise SystemExit("sops not on PATH (activate the venv)")
    work = Path(tempfile.mkdtemp(prefix="bench-sops-"))
    ident = x25519.Identity.generate()
    key_file = work / "key.txt"
    key_file.write_text(f"{ident}\n")
    recipient = str(ident.to_public())
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "SOPS_AGE_KEY_FILE": str(key_file)}
    rows = []
    for n in (10_000, 3):
        plain = work / f"s{n}.yaml"
        plain.write_bytes(secret_yaml(n))
        enc = work / f"s{n}.enc.yaml"
        enc.write_bytes(
            subprocess.run(
                [sops, "encrypt", "--age", recipient, str(plain)], env=env, capture_output=True, check=True
            ).stdout
        )
        t_sops_enc = timed([sops, "encrypt", "--age", recipient, str(plain)], env, work, args.repeat)
        t_ours_enc = timed([*ours, "encrypt", "--age", recipient, str(plain)], env, work, args.repeat)
        t_sops_dec = timed([sops, "decrypt", str(enc)], env, work, args.repeat)
        t_ours_dec = timed([*ours, "decrypt", str(enc)], env, work, args.repeat)
        rows.append((n, "encrypt", t_sops_enc, t_ours_enc))
        rows.append((n, "decrypt", t_sops_dec, t_ours_dec))
    # start-up share: the same 3-value decrypt through a parser with only the sops commands
    only = work / "only_sops.py"
    only.write_text(
        "import argparse, sys\n"
        "from secretsops.cli import sops_cmds\n"
        "p = argparse.ArgumentParser(); sub = p.add_subparsers()\n"
        "kg = sub.add_parser('keygen').add_subparsers()\n"
        "sops_cmds.register(sub, kg)\n"
        "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n"
    )
    only_sops = timed(
        [sys.executable, str(only), "decrypt", str(work / "s3.enc.yaml")], env, work, args.repeat
    )
    bare = timed([sys.executable, "-c", "pass"], env, work, args.repeat)
    # key-service calls per file, via the library
    from secretsops.keysources.base import KeyContext
    from secretsops.sops import api

    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(key_file)})
    api.decrypt_bytes((work / "s10000.enc.yaml").read_bytes(), "yaml", ctx=ctx)
    calls = dict(ctx.calls)
    head = (
        "| values | operation | sops 3.11 median (best) s | secretsops median (best) s "
        "| ratio median (best) |"
    )
    print(head)
    print("|---:|---|---:|---:|---:|")
    for n, op, a, b in rows:
        print(
            f"| {n} | {op} | {a[0]:.3f} ({a[1]:.3f}) | {b[0]:.3f} ({b[1]:.3f}) "
            f"| {b[0] / a[0]:.2f}× ({b[1] / a[1]:.2f}×) |"
        )
    t0 = time.perf_counter()
    for _ in range(3):
        api.decrypt_bytes((work / "s10000.enc.yaml").read_bytes(), "yaml", ctx=ctx)
    print(
        f"\nlibrary only (in-process): decrypt of the 10,000-value file "
        f"{(time.perf_counter() - t0) / 3:.3f} s"
    )
    print(f"\nkey-source calls to decrypt the 10,000-value file: {calls}")
    print(
        f"3-value decrypt with only the sops command group registered: {only_sops[0]:.3f} s "
        f"(best {only_sops[1]:.3f}); bare `python -c pass`: {bare[0]:.3f} s"
    )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
