"""Merge driver and textconv on large sops files (age key), in-process and through real git.

* merge_files on a 10,000-value YAML file where ours and theirs each changed one different key
  (three decrypts with one unwrap, a key-by-key merge, one re-encrypt);
* textconv (plain and --redact) of the same file;
* a real ``git merge`` of two branches through the configured driver (process start included).
Run: ``python benchmarks/bench_git_drivers.py [values]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, decrypt_tree, encrypt_bytes, load_encrypted, reencrypt
from secretsops.sops.git_drivers import merge_files, textconv
from secretsops.sops.tree import Branch
from secretsops_devstack.services import find_tool


def timed(fn: Callable[[], object], n: int = 5) -> float:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def set_first(data: bytes, key: str, value: str, ctx: KeyContext) -> bytes:
    tree = decrypt_tree(load_encrypted(data, "yaml"), ctx=ctx)
    doc: Branch = tree.branches[0]
    for i, (k, _) in enumerate(doc):
        if k == key:
            doc[i] = (k, value)
    return reencrypt(tree)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def main() -> None:
    values = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        secret, recipient = generate_identity()
        (root / "age.txt").write_text(secret + "\n")
        env = {"SOPS_AGE_KEY_FILE": str(root / "age.txt")}
        ctx = KeyContext(env=env)
        plain = "".join(f"key{i:05d}: value-{i}-{'x' * 20}\n" for i in range(values)).encode()
        base = encrypt_bytes(
            plain, "yaml", groups=[[AgeKeySource(recipient)]], options=EncryptOptions(), ctx=ctx
        )
        ours = set_first(base, "key00001", "ours", ctx)
        theirs = set_first(base, f"key{values - 2:05d}", "theirs", ctx)
        o, a, b = root / "O", root / "A", root / "B"

        def merge_once() -> None:
            o.write_bytes(base)
            a.write_bytes(ours)
            b.write_bytes(theirs)
            merge_files(o, a, b, "big.sops.yaml", ctx=KeyContext(env=env))

        print(f"{values} values, {len(base) / 1e6:.1f} MB encrypted")
        print(f"merge_files (in process):        {timed(merge_once):.3f} s")
        plain_s = timed(lambda: textconv(ours, "big.sops.yaml", ctx=ctx))
        print(f"textconv plain (in process):     {plain_s:.3f} s")
        red = timed(lambda: textconv(ours, "big.sops.yaml", ctx=ctx, redact=True))
        print(f"textconv --redact (in process):  {red:.3f} s")

        repo = root / "repo"
        repo.mkdir()
        os.environ.update(env)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "user.email", "b@x.invalid")
        git(repo, "config", "user.name", "bench")
        subprocess.run(
            [find_tool("secretsops"), "git-setup", "--repo", str(repo)], check=True, capture_output=True
        )
        f = repo / "big.sops.yaml"
        f.write_bytes(base)
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "base")
        git(repo, "checkout", "-q", "-b", "feature")
        f.write_bytes(theirs)
        git(repo, "commit", "-q", "-am", "theirs")
        git(repo, "checkout", "-q", "main")
        f.write_bytes(ours)
        git(repo, "commit", "-q", "-am", "ours")
        t0 = time.perf_counter()
        git(repo, "merge", "-q", "--no-edit", "feature")
        print(f"git merge through the driver:    {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
