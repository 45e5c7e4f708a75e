"""Sealing/unsealing throughput with RSA-4096 keys, as the controller makes them.

Targets (issue 3): seal 1,000 values <= 1 s; unseal 1,000 values with 3 candidate keys <= 2 s.
Run: ``python benchmarks/bench_sealed.py``. Each line gives wall time and the CPU time of this
process (the cost apart from other load on a shared machine; with threads it sums both cores).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from secretsops.decryptors.base import DecryptContext, run_decryptors
from secretsops.decryptors.sealed import SealedDecryptor
from secretsops.manifests import SourcedObject
from secretsops.sealed.keypairs import SealingKey, generate_key
from secretsops.sealed.sealing import SealOptions, seal_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory


def _secrets(objects: int, per_object: int) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"s{i}", "namespace": "bench"},
            "stringData": {f"k{j}": f"value-{i}-{j}" for j in range(per_object)},
        }
        for i in range(objects)
    ]


def timed(label: str, fn: Callable[[], object]) -> None:
    """Print wall seconds and CPU seconds of this process for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    print(f"{label:62s} {time.perf_counter() - wall:6.3f} s (cpu {time.process_time() - cpu:.3f} s)")


def run_case(keys: list[SealingKey], objects: int, per: int) -> None:
    n = objects * per
    sealing = keys[-1]  # the newest key listed last: worst case for a naive try-in-order
    secrets = _secrets(objects, per)
    sealed: list[dict] = []
    timed(
        f"seal    {n} values ({objects} objects x {per})",
        lambda: sealed.extend(
            seal_secret(sealing.private_key.public_key(), s, SealOptions()) for s in secrets
        ),
    )
    unsealer = Unsealer(keys, memory=UnsealMemory())
    timed(f"unseal  {n} values, 3 keys, cold memory", lambda: [unsealer.unseal(obj) for obj in sealed])
    print(f"        ({unsealer.memory.rsa_operations} RSA private operations)")
    ctx = DecryptContext()
    ctx.cache.sealing_keys = keys
    items = [SourcedObject(o, "bench.yaml", i) for i, o in enumerate(sealed)]
    timed(
        f"decrypt {n} values, 3 keys, cold, one unit, 2 RSA threads",
        lambda: run_decryptors(items, [SealedDecryptor()], ctx),
    )
    timed(
        f"decrypt {n} values, 3 keys, next pass (warm ctx.cache)",
        lambda: run_decryptors(items, [SealedDecryptor()], ctx),
    )


def main() -> None:
    keys = [SealingKey(generate_key(4096)[0], source=f"k{i}") for i in range(3)]
    run_case(keys, 1000, 1)
    run_case(keys, 100, 10)


if __name__ == "__main__":
    main()
