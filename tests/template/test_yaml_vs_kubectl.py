"""toYaml against the real sigs.k8s.io/yaml: kubectl prints objects with the same library.

kubectl's ``--dry-run=client -o yaml`` of a ConfigMap built from literals is an oracle for how
go-yaml quotes, escapes and folds strings and how it orders keys; no cluster is needed.
"""

from __future__ import annotations

import random
import shutil
import string
import subprocess

import pytest

from secretsops.external.template_funcs import to_yaml

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")

TRICKY = [
    "123", "1.5", "-1", "0x1F", "0o17", "1_000", "+1", ".5", "1e3", "1e-7", "yes", "No", "on", "OFF", "y",
    "n", "null", "Null", "~", "true", "False", ".inf", "-.Inf", ".nan", "2024-01-01", "2024-01-01T10:00:00Z",
    "12:30", "1:20:30", "<<", "=", "- a", "-a", "? x", "a #b", "a# b", "trailing ", " leading", "x\n",
    "x\n\n", "\nx", " x\ny", "x \ny", "a\tb\nc", "é", "x\u2028y", "'q'", '"q"', "{a}", "[a]", "a,b", "*x",
    "&x", "!x", "|x", ">x", "%x", "`x`", "word " * 30, "long" * 30, "a: " * 40, "x " * 50 + "\nnext line",
    "0", "00", "0.0", "-0", "1.", "0b101", "0xG", "\U0001F600x", "a\ufeffb", "", "@at", "tab\tx",
]


def _kubectl_yaml(data: dict[str, str]) -> str:
    args = ["kubectl", "create", "configmap", "t", "--dry-run=client", "-o", "yaml"]
    args += [f"--from-literal={k}={v}" for k, v in data.items()]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return out[out.index("data:\n") : out.index("\nkind:")]


def test_to_yaml_quotes_escapes_folds_and_orders_like_go_yaml() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " :#-'\"\t\n{}[],&*!|>%@`?.~=+é€\\/"
    values = TRICKY + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(120)]
    data = {f"k{i}": v for i, v in enumerate(values)}  # k10 sorts after k9, as go-yaml does
    assert to_yaml({"data": data}) == _kubectl_yaml(data)


def test_to_json_escapes_strings_like_encoding_json() -> None:
    from secretsops.golang.encoding_json import marshal

    rng = random.Random(11)
    alphabet = string.ascii_letters + "<>&\"\\'\t\n\x01\x08\x0c\x1f\u2028\u2029é😀 "
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))) for _ in range(60)]
    data = {f"k{i}": v for i, v in enumerate(values)}
    args = ["kubectl", "create", "configmap", "t", "--dry-run=client", "-o", "json"]
    args += [f"--from-literal={k}={v}" for k, v in data.items()]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    block = out[out.index('"data": {') + len('"data": {') :]
    lines = [ln.strip().rstrip(",") for ln in block[: block.index("}")].strip().splitlines()]
    seen = {}
    for ln in lines:
        key, _, encoded = ln.partition(": ")
        seen[key.strip('"')] = encoded
    assert seen == {k: marshal(v) for k, v in data.items()}
