"""Benchmark: resolve 100 ExternalSecrets x 5 keys against a real OpenBao dev server.

Targets (docs/external.md): a full resolve pass <= 2 s, and <= 1 provider request per distinct
Vault path. Run by hand:  python benchmarks/bench_external.py
"""

from __future__ import annotations

import base64
import statistics
import sys
import time
from pathlib import Path

import hvac

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secretsops.decryptors.base import DecryptContext, run_decryptors  # noqa: E402
from secretsops.decryptors.external import ExternalDecryptor  # noqa: E402
from secretsops.manifests import SourcedObject  # noqa: E402
from secretsops_devstack.services import openbao_dev  # noqa: E402

N_ES = 100
KEYS = 5
PASSES = 5


def store(url: str, secret_id: str, role_id: str) -> list[SourcedObject]:
    return [
        SourcedObject(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": "vault", "namespace": "bench"},
                "spec": {
                    "provider": {
                        "vault": {
                            "server": url,
                            "path": "secret",
                            "version": "v2",
                            "auth": {
                                "appRole": {
                                    "path": "approle",
                                    "roleId": role_id,
                                    "secretRef": {"name": "approle", "key": "secret-id"},
                                }
                            },
                        }
                    }
                },
            }
        ),
        SourcedObject(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "approle", "namespace": "bench"},
                "data": {"secret-id": base64.b64encode(secret_id.encode()).decode()},
            }
        ),
    ]


def external_secret(i: int, layout: str) -> SourcedObject:
    if layout == "path-per-key":  # 5 keys from 5 different paths: 500 distinct paths
        data = [
            {"secretKey": f"k{j}", "remoteRef": {"key": f"bench/es{i}/p{j}", "property": "value"}}
            for j in range(KEYS)
        ]
    else:  # 4 properties of the app's own path + 1 from a path shared by 10 apps: 110 distinct paths
        data = [
            {"secretKey": f"k{j}", "remoteRef": {"key": f"bench/app{i}", "property": f"p{j}"}}
            for j in range(KEYS - 1)
        ]
        data.append(
            {"secretKey": "shared", "remoteRef": {"key": f"bench/shared{i % 10}", "property": "value"}}
        )
    return SourcedObject(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": f"es{i}", "namespace": "bench"},
            "spec": {"refreshInterval": "1h", "secretStoreRef": {"name": "vault"}, "data": data},
        }
    )


def seed(client: hvac.Client) -> None:
    kv = client.secrets.kv.v2
    for i in range(N_ES):
        for j in range(KEYS):
            kv.create_or_update_secret(f"bench/es{i}/p{j}", {"value": f"v{i}-{j}"}, mount_point="secret")
        kv.create_or_update_secret(
            f"bench/app{i}", {f"p{j}": f"a{i}-{j}" for j in range(KEYS)}, mount_point="secret"
        )
    for s in range(10):
        kv.create_or_update_secret(f"bench/shared{s}", {"value": f"s{s}"}, mount_point="secret")


def run(url: str, role_id: str, secret_id: str, layout: str) -> dict[str, object]:
    items = store(url, secret_id, role_id) + [external_secret(i, layout) for i in range(N_ES)]
    distinct = len(
        {
            r["remoteRef"]["key"]
            for it in items
            if it.obj["kind"] == "ExternalSecret"
            for r in it.obj["spec"]["data"]
        }
    )
    ctx = DecryptContext()
    times = []
    for _ in range(PASSES):
        start = time.perf_counter()
        out = run_decryptors(items, [ExternalDecryptor()], ctx)
        times.append(time.perf_counter() - start)
        assert sum(1 for o in out if o.obj["kind"] == "Secret") == N_ES + 1
    reads = ctx.calls.get("vault.read", 0)
    return {
        "layout": layout,
        "distinct_paths": distinct,
        "first_pass_s": times[0],
        "median_pass_s": statistics.median(times),
        "max_pass_s": max(times),
        "reads_per_pass": reads / PASSES,
        "reads_per_path": reads / PASSES / distinct,
        "logins_total": ctx.calls.get("vault.login", 0),
    }


def main() -> None:
    with openbao_dev() as svc:
        client = hvac.Client(url=svc.url, token=svc.token)
        client.sys.enable_auth_method("approle")
        client.sys.create_or_update_policy("read", 'path "secret/*" { capabilities = ["read"] }')
        client.auth.approle.create_or_update_approle("bench", token_policies=["read"], token_ttl="1h")
        role_id = client.auth.approle.read_role_id("bench")["data"]["role_id"]
        secret_id = client.auth.approle.generate_secret_id("bench")["data"]["secret_id"]
        seed(client)
        print(f"{N_ES} ExternalSecrets x {KEYS} keys, {PASSES} passes, OpenBao dev server on loopback")
        for layout in ("path-per-key", "shared-paths"):
            r = run(svc.url, role_id, secret_id, layout)
            print(
                f"{r['layout']:>13}: {r['distinct_paths']} distinct paths"
                f" | first pass {r['first_pass_s']:.3f} s"
                f" | median {r['median_pass_s']:.3f} s | max {r['max_pass_s']:.3f} s"
                f" | reads/pass {r['reads_per_pass']:.0f} ({r['reads_per_path']:.2f} per path)"
                f" | logins over {PASSES} passes: {r['logins_total']}"
            )


if __name__ == "__main__":
    main()
