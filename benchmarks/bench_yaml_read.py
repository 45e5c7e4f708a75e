"""Benchmark the shared manifest reader (``secretsops.yamlio``) against bare libyaml.

What a source of 1,000 manifests costs to read: 600 SOPS-encrypted Secrets (metadata and
ENC[...] values, the bulk of a GitOps repo), 200 ConfigMaps, 200 Deployments. Compared:

* ``baseline``: ``yaml.load_all`` with PyYAML's CSafeLoader minus the timestamp resolver —
  exactly what ``engine/fastyaml.py`` did before the reader had limits;
* ``yamlio``: ``yamlio.read_documents`` — the same parser plus the device/size checks on the
  opened file and the node-graph limits check (aliases, depth) before construction.

Target: the limits cost at most 15 % over the baseline. Also shows that an alias bomb and a
100,000-level nesting are refused in milliseconds.
Run:  python benchmarks/bench_yaml_read.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secretsops import yamlio  # noqa: E402

ENC = "ENC[AES256_GCM,data:" + "A" * 40 + ",iv:" + "B" * 43 + "=,tag:" + "C" * 22 + "==,type:str]"


def _secret(i: int) -> str:
    data = "".join(f"    key{k}: {ENC}\n" for k in range(6))
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n    name: s{i}\n"
        f"    namespace: team-{i % 7}\n"
        f"    labels:\n        app: app{i}\ntype: Opaque\nstringData:\n{data}"
        "sops:\n    age:\n        - recipient: age1" + "q" * 58 + "\n"
        "          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            "
        + "Z"
        * 64
        + "\n            -----END AGE ENCRYPTED FILE-----\n"
        '    lastmodified: "2024-01-01T00:00:00Z"\n    mac: ' + ENC + "\n"
        "    encrypted_regex: ^(data|stringData)$\n    version: 3.11.0\n"
    )


def _configmap(i: int) -> str:
    data = "".join(f"  k{k}: value {k} of {i}\n" for k in range(10))
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: ns\ndata:\n{data}"


def _deployment(i: int) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\n"
        "spec:\n  replicas: 2\n"
        f"  selector:\n    matchLabels: {{app: d{i}}}\n"
        f"  template:\n    metadata:\n      labels: {{app: d{i}}}\n"
        "    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n"
        "          ports: [{containerPort: 80}]\n          env:\n"
        + "".join(f"            - {{name: E{k}, value: '{k}'}}\n" for k in range(8))
    )


class _Baseline(yaml.CSafeLoader):  # type: ignore[misc]
    pass


_Baseline.yaml_implicit_resolvers = {
    k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def baseline(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    return [d for d in yaml.load_all(text, Loader=_Baseline) if d is not None]  # noqa: S506


def _time(fns: list[Any], files: list[Path], rounds: int) -> list[float]:
    """Median time of each function over all files; rounds interleaved so load noise hits both."""
    runs: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, out in zip(fns, runs, strict=True):
            start = time.perf_counter()
            for f in files:
                fn(f)
            out.append(time.perf_counter() - start)
    return [statistics.median(r) for r in runs]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = []
        for i in range(1000):
            make = _secret if i < 600 else _configmap if i < 800 else _deployment
            f = root / f"m{i}.yaml"
            f.write_text(make(i))
            files.append(f)
        assert [baseline(f) for f in files] == [yamlio.read_documents(f) for f in files]
        base, ours = _time([baseline, yamlio.read_documents], files, 15)
        print(f"libyaml: {yamlio.C_ACCELERATED}")
        print(f"1,000 manifests, baseline (CSafeLoader): {base * 1000:7.1f} ms")
        print(f"1,000 manifests, yamlio.read_documents:  {ours * 1000:7.1f} ms  ({ours / base:.2f}x)")

        lol = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        lol += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
        for name, text in (("alias bomb (9^10 nodes)", "\n".join(lol)), ("100,000 levels", "[" * 100_000)):
            start = time.perf_counter()
            try:
                yamlio.load_documents(text, "bomb.yaml")
            except yamlio.LimitExceeded as exc:
                verdict = str(exc)
            except Exception as exc:  # noqa: BLE001 - the parser's own depth limit is an InputError
                verdict = str(exc)
            print(f"{name}: refused in {(time.perf_counter() - start) * 1000:.1f} ms: {verdict}")


if __name__ == "__main__":
    main()
