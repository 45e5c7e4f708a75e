"""Key-source latency against the real local servers, and sops 3.11 side by side.

Starts moto_server and an OpenBao dev server on loopback and a throw-away GnuPG home, then:
* wrap/unwrap median latency per key source with a warm client (KeyContext reused);
* the cost of a cold client (new KeyContext per call) — what client caching saves;
* decrypting a 3-value file whose only key is KMS / Vault / PGP: secretsops CLI vs sops binary
  (process start included).
Run: ``python benchmarks/bench_keysources.py``.
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

import boto3
import hvac

from secretsops.keysources.awskms import KmsKeySource
from secretsops.keysources.base import KeyContext, MasterKey
from secretsops.keysources.pgp import PgpKeySource
from secretsops.keysources.vault import VaultTransitKeySource
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from secretsops_devstack.services import find_tool, moto_server, openbao_dev

DATA_KEY = os.urandom(32)
PLAIN = b"user: admin\npassword: hunter2\nport: 5432\n"


def median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def gpg_home(root: Path) -> tuple[dict[str, str], str]:
    home = root / "gnupg"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home), "PATH": os.environ["PATH"]}
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "bench <b@x.invalid>",
            "default",
            "default",
            "never",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-secret-keys"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return env, next(ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:"))


def cli_ms(argv: list[str], env: dict[str, str], n: int) -> float:
    full = {"PATH": os.environ["PATH"], "HOME": env.get("HOME", "/tmp"), **env}
    return median_ms(lambda: subprocess.run(argv, env=full, capture_output=True, check=True), n)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    sops = find_tool("sops")
    secretsops = find_tool("secretsops")
    with tempfile.TemporaryDirectory() as tmp, moto_server() as moto, openbao_dev() as bao:
        root = Path(tmp)
        aws = {
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        arn = boto3.client(
            "kms",
            region_name="us-east-1",
            endpoint_url=moto.url,
            aws_access_key_id="k",
            aws_secret_access_key="s",
        ).create_key()["KeyMetadata"]["Arn"]
        client = hvac.Client(url=bao.url, token=bao.token)
        client.sys.enable_secrets_engine("transit", path="transit")
        client.secrets.transit.create_key(name="bench")
        vault = {"VAULT_ADDR": bao.url, "VAULT_TOKEN": bao.token}
        gpg_env, fpr = gpg_home(root)
        try:
            run_cases(n, sops, secretsops, root, aws, arn, bao.url, vault, gpg_env, fpr)
        finally:
            subprocess.run(["gpgconf", "--homedir", gpg_env["GNUPGHOME"], "--kill", "all"], check=False)


def run_cases(
    n: int,
    sops: str,
    secretsops: str,
    root: Path,
    aws: dict[str, str],
    arn: str,
    bao_url: str,
    vault: dict[str, str],
    gpg_env: dict[str, str],
    fpr: str,
) -> None:
    cases: list[tuple[str, Callable[[], MasterKey], dict[str, str]]] = [
        ("kms", lambda: KmsKeySource(arn), aws),
        ("hc_vault", lambda: VaultTransitKeySource(bao_url, "transit", "bench"), vault),
        ("pgp", lambda: PgpKeySource(fpr), gpg_env),
    ]
    print(f"n={n} per measurement, medians")
    for kind, make, env in cases:
        ctx = KeyContext(env=env)
        key = make()
        key.wrap(DATA_KEY, ctx)
        wrap_warm = median_ms(lambda k=key, c=ctx: k.wrap(DATA_KEY, c), n)  # type: ignore[misc]
        unwrap_warm = median_ms(lambda k=key, c=ctx: k.unwrap(c), n)  # type: ignore[misc]
        unwrap_cold = median_ms(lambda k=key, e=env: k.unwrap(KeyContext(env=e)), n)  # type: ignore[misc]
        f = root / f"{kind}.yaml"
        f.write_bytes(
            encrypt_bytes(PLAIN, "yaml", groups=[[make()]], options=EncryptOptions(), ctx=KeyContext(env=env))
        )
        ours = cli_ms([secretsops, "decrypt", str(f)], env, max(5, n // 3))
        theirs = cli_ms([sops, "decrypt", str(f)], env, max(5, n // 3))
        print(
            f"{kind:9s} wrap {wrap_warm:6.2f} ms | unwrap warm {unwrap_warm:6.2f} ms, "
            f"cold client {unwrap_cold:6.2f} ms | decrypt 3-value file: secretsops {ours:6.1f} ms, "
            f"sops {theirs:6.1f} ms ({ours / theirs:.2f}x)"
        )


if __name__ == "__main__":
    main()
