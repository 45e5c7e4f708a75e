"""Benchmark `secretsops render` of a 200-app kustomize tree against plain `kustomize build` of each app.

    python benchmarks/bench_kustomize_render.py [--apps 200] [--repeat 3] [--keep DIR]

Tree (every encrypted file written by the real sops binary, age key):

    bases/app-N/       kustomization: a Deployment, a SOPS-encrypted Secret under `resources:`,
                       a `secretGenerator` with a SOPS dotenv file (`envs`) and a SOPS YAML file (`files`)
    clusters/prod/app-N/  overlay: namespace app-N, namePrefix prod-, labels

Measured, wall time, median of --repeat runs, on the same tree:

* baseline: `kustomize build clusters/prod/app-N` for every app, one process each, sequentially
  (what a user or CI does without secretsops; the output is ciphertext);
* `secretsops render --jobs 1 clusters/prod` (one process: it runs kustomize once per app, one at a
  time, matches every SOPS object and generator file to its origin, decrypts it with the MAC
  verified, guards the output) — the like-for-like comparison;
* `secretsops render clusters/prod` as shipped (up to 4 kustomize builds at once).

Target (issue 13): render <= 1.5x the baseline. kustomize is the standalone binary from
scripts/install-tools.sh (~/.cache/secretsops/tools/bin), as in the tests.
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
TOOLS_BIN = Path(os.environ.get("SECRETSOPS_TOOLS_DIR") or Path.home() / ".cache/secretsops/tools") / "bin"
VENV_BIN = Path(sys.executable).parent

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{n}}}
spec:
  selector: {{matchLabels: {{app: app-{n}}}}}
  template:
    metadata: {{labels: {{app: app-{n}}}}}
    spec:
      containers:
      - name: app
        image: nginx
        envFrom: [{{secretRef: {{name: creds}}}}, {{secretRef: {{name: db}}}}]
"""


def sops_encrypt(env: dict[str, str], recipient: str, name: str, plaintext: str, regex: bool) -> bytes:
    argv = [shutil.which("sops", path=env["PATH"]) or "sops", "encrypt", "--age", recipient]
    argv += ["--filename-override", name]
    if regex:
        argv += ["--encrypted-regex", "^(data|stringData)$"]
    done = subprocess.run(
        [*argv, "/dev/stdin"], input=plaintext.encode(), capture_output=True, env=env, check=True
    )
    return done.stdout


def make_tree(root: Path, apps: int, env: dict[str, str], recipient: str) -> list[Path]:
    overlays = []
    for n in range(apps):
        base = root / "bases" / f"app-{n}"
        base.mkdir(parents=True)
        (base / "deploy.yaml").write_text(DEPLOY.format(n=n))
        secret = (
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  PW: pw-{n}\n"
        )
        (base / "secret.enc.yaml").write_bytes(sops_encrypt(env, recipient, "secret.yaml", secret, True))
        (base / "app.env").write_bytes(
            sops_encrypt(env, recipient, "app.env", f"TOKEN=t-{n}\nMODE=prod\n", False)
        )
        (base / "config.yaml").write_bytes(
            sops_encrypt(env, recipient, "config.yaml", f"password: c-{n}\nuser: admin\n", False)
        )
        (base / "kustomization.yaml").write_text(
            "resources: [deploy.yaml, secret.enc.yaml]\n"
            "secretGenerator:\n- name: creds\n  envs: [app.env]\n  files: [config.yaml]\n"
        )
        overlay = root / "clusters" / "prod" / f"app-{n}"
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(
            f"resources: [../../../bases/app-{n}]\nnamespace: app-{n}\nnamePrefix: prod-\n"
            "labels:\n- pairs: {env: prod}\n"
        )
        overlays.append(overlay)
    return overlays


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/kustomize.md")
    args = parser.parse_args()

    from secretsops.keysources.age import generate_identity

    kustomize = TOOLS_BIN / "kustomize"
    if not kustomize.exists():
        print(f"kustomize not found in {TOOLS_BIN}: run `bash scripts/install-tools.sh`", file=sys.stderr)
        return 1
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-kustomize-"))
    work.mkdir(parents=True, exist_ok=True)
    key_file = work / "age.txt"
    if not key_file.exists():  # a kept tree is reused with the key it was written with
        identity, recipient = generate_identity()
        key_file.write_text(f"# public key: {recipient}\n{identity}\n")
    recipient = key_file.read_text().splitlines()[0].removeprefix("# public key: ")
    env = {
        "PATH": os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), "/usr/bin", "/bin"]),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SOPS_AGE_KEY_FILE": str(key_file),
    }
    tree = work / "tree"
    if not tree.exists():
        print(f"writing {args.apps} apps with sops ...", file=sys.stderr)
        make_tree(tree, args.apps, env, recipient)
    overlays = sorted((tree / "clusters" / "prod").iterdir())

    def baseline() -> None:
        for overlay in overlays:
            subprocess.run([str(kustomize), "build", str(overlay)], env=env, check=True, capture_output=True)

    rendered: list[bytes] = []

    def render(jobs: str) -> None:
        argv = [sys.executable, "-m", "secretsops", "render", "--jobs", jobs, str(tree / "clusters" / "prod")]
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"render failed: {done.stderr.decode()}")
        rendered[:] = [done.stdout]

    jobs = str(min(4, os.cpu_count() or 1))
    base_times, render_times, parallel_times = [], [], []
    for _ in range(args.repeat):  # interleaved, so load on the shared machine hits all alike
        base_times.append(timed(baseline))
        render_times.append(timed(lambda: render("1")))
        parallel_times.append(timed(lambda: render(jobs)))
    out = rendered[0]
    secrets = out.count(b"kind: Secret")
    assert b"ENC[AES256_GCM," not in out and secrets == 2 * len(overlays), "render output is not decrypted"
    b, r, p = (statistics.median(t) for t in (base_times, render_times, parallel_times))
    load = os.getloadavg()[0]
    lines = [
        "## kustomize: `render` of a 200-app tree vs plain `kustomize build` of each app",
        "",
        f"Reproduce: `. .venv/bin/activate && python benchmarks/bench_kustomize_render.py --apps {args.apps}"
        f" --repeat {args.repeat}`",
        "",
        f"{len(overlays)} overlays (namespace, namePrefix, labels) over bases holding a Deployment, a SOPS "
        "Secret under `resources:` and a `secretGenerator` with a SOPS dotenv and a SOPS YAML file "
        f"(all written by sops 3.11, age). {secrets} Secrets decrypted per render. kustomize v5.7.1 "
        f"(standalone). Median of {args.repeat} interleaved runs; load average at the end {load:.1f} "
        "(2 cores shared with other engineers).",
        "",
        "| | median s | runs s |",
        "|---|---:|---|",
        f"| `kustomize build` × {len(overlays)} (ciphertext) | {b:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in base_times)} |",
        f"| `secretsops render --jobs 1 clusters/prod` (decrypted, MAC-checked, one build at a time) | "
        f"{r:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in render_times)} |",
        f"| `secretsops render clusters/prod` (default: {jobs} kustomize builds at once) | {p:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in parallel_times)} |",
        f"| ratio, builds one by one (like for like) | {r / b:.2f}× | target ≤ 1.5× |",
        f"| ratio, default | {p / b:.2f}× | |",
        "",
    ]
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
