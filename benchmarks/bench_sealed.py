"""Sealing/unsealing throughput with RSA-4096 keys, as the controller makes them.

Targets (issue 3): seal 1,000 values <= 1 s; unseal 1,000 values with 3 candidate keys <= 2 s.
Run: ``python benchmarks/bench_sealed.py`` (prints one line per case).
"""

from __future__ import annotations

import time

from secretsops.decryptors.base import DecryptContext, run_decryptors
from secretsops.decryptors.sealed import KEYRING_CACHE, SealedDecryptor
from secretsops.manifests import SourcedObject
from secretsops.sealed.keys import SealingKey, generate_key
from secretsops.sealed.sealing import SealOptions, seal_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory

VALUES = 1000


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


def main() -> None:
    keys = [SealingKey(*generate_key(4096)[:1], source=f"k{i}") for i in range(3)]  # type: ignore[misc]
    sealing = keys[2]  # the newest key is the one listed last: worst case for a naive try-in-order
    for objects, per in ((1000, 1), (100, 10)):
        secrets = _secrets(objects, per)
        t0 = time.perf_counter()
        sealed = [seal_secret(sealing.private_key.public_key(), s, SealOptions()) for s in secrets]
        seal_s = time.perf_counter() - t0
        print(f"seal    {objects * per:5d} values ({objects} objects x {per}): {seal_s:.3f} s")

        unsealer = Unsealer(keys, memory=UnsealMemory())
        t0 = time.perf_counter()
        for obj in sealed:
            unsealer.unseal(obj)
        cold = time.perf_counter() - t0
        print(
            f"unseal  {objects * per:5d} values, 3 keys, cold memory:  {cold:.3f} s "
            f"({unsealer.memory.rsa_operations} RSA ops)"
        )

        ctx = DecryptContext()
        ctx.cache[KEYRING_CACHE] = keys
        items = [SourcedObject(o, "bench.yaml", i) for i, o in enumerate(sealed)]
        t0 = time.perf_counter()
        run_decryptors(items, [SealedDecryptor()], ctx)
        unit = time.perf_counter() - t0
        print(f"decrypt {objects * per:5d} values, 3 keys, cold, one unit (threads warm RSA): {unit:.3f} s")
        t0 = time.perf_counter()
        run_decryptors(items, [SealedDecryptor()], ctx)
        warm = time.perf_counter() - t0
        print(f"decrypt {objects * per:5d} values, 3 keys, warm ctx.cache (next pass): {warm:.3f} s")


if __name__ == "__main__":
    main()
