"""Benchmark: CPU instructions of a 3-value `secretsops decrypt`, this tree vs a git revision.

Run: . .venv/bin/activate && python benchmarks/bench_startup_instructions.py --base-rev REV [--rev REV2]
Counts user-space instructions with valgrind (callgrind): deterministic, so a start-up change of
1 % is visible on a machine whose wall-clock times move by ±50 % (see BENCHMARKS.md). Both trees
run with the same interpreter and installed distributions (PYTHONPATH puts the tree first), after
one warm-up run that writes their bytecode. Wall time is the target; instructions are the
noise-free proxy for what a change adds to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pyrage import x25519

ROOT = Path(__file__).resolve().parent.parent


def instructions(tree: Path, work: Path, env: dict[str, str]) -> int:
    run_env = {**env, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "secretsops", "decrypt", "s.enc.yaml"]
    subprocess.run(cmd, env=run_env, cwd=work, capture_output=True, check=True)  # writes bytecode
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        env=run_env,
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    line = next(ln for ln in out.splitlines() if "Collected :" in ln)
    return int(line.rsplit(":", 1)[1])


def extract(rev: str, into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "secretsops"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-rev", required=True, help="git revision to compare with (e.g. HEAD~3)")
    ap.add_argument("--rev", help="git revision to measure (default: the working tree)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        base = extract(args.base_rev, work / "base")
        tree = extract(args.rev, work / "tree") if args.rev else ROOT
        ident = x25519.Identity.generate()
        (work / "key.txt").write_text(f"{ident}\n")
        env = {"PATH": os.environ["PATH"], "HOME": str(work), "SOPS_AGE_KEY_FILE": str(work / "key.txt")}
        (work / "s.yaml").write_text("apiVersion: v1\nkind: Secret\nstringData:\n  a: 1\n  b: 2\n  c: 3\n")
        enc = subprocess.run(
            [sys.executable, "-m", "secretsops", "encrypt", "--age", str(ident.to_public()), "s.yaml"],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=work,
            capture_output=True,
            check=True,
        ).stdout
        (work / "s.enc.yaml").write_bytes(enc)
        before = instructions(base, work, env)
        after = instructions(tree, work, env)
        name = args.rev or "this tree"
        print(f"3-value decrypt, instructions: {args.base_rev} {before:,}  {name} {after:,}")
        print(f"change {after - before:+,} ({(after - before) / before:+.2%})")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
