"""Benchmark: the Go-compatible text every sops file, Secret and template goes through (run by hand).

    python benchmarks/bench_golang.py

CPU time (``time.process_time``) per 10,000 values, best of 5, so a loaded machine still gives
comparable numbers.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable
from typing import Any

from secretsops.golang import encoding_json, strconv, yaml_v2, yaml_v3
from secretsops.sops.formats.yaml import scalar

N = 10_000
FLOATS = [i * 1.5 + 0.001 for i in range(N)]
STRINGS = [f"value {i} <&> text" for i in range(N)]
OBJECT = {f"key{i}": {"name": f"n{i}", "value": STRINGS[i], "n": FLOATS[i]} for i in range(200)}


def _cpu_ms(fn: Callable[[], Any], number: int = 2) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5, timer=time.process_time)) / number * 1000


def main() -> None:
    rows = {
        "strconv.FormatFloat 'f' (sops MAC input), 10k": _cpu_ms(
            lambda: [strconv.format_float(v, "f", -1) for v in FLOATS]
        ),
        "go-yaml v3 float text, 10k": _cpu_ms(lambda: [yaml_v3.format_float(v) for v in FLOATS]),
        "encoding/json string quoting, 10k": _cpu_ms(lambda: [encoding_json.quote(s) for s in STRINGS]),
        "go-yaml v3 scalar style for non-plain strings, 10k": _cpu_ms(
            lambda: [scalar(s, indent=4) for s in STRINGS]
        ),
        "json.Marshal of a 200-entry map": _cpu_ms(lambda: encoding_json.marshal(OBJECT), number=20),
        "sigs.k8s.io/yaml.Marshal of a 200-entry map": _cpu_ms(lambda: yaml_v2.marshal(OBJECT), number=5),
    }
    for name, ms in rows.items():
        print(f"{name}: {ms:.1f} ms")


if __name__ == "__main__":
    main()
