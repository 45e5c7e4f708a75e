"""The rebuild scenario (docs/disaster-recovery.md), shared by tests/bootstrap/test_rebuild.py and
benchmarks/bench_rebuild.py: cluster A installed and filled, backed up and destroyed; cluster B
refused without the backup, rebuilt with it, bootstrapped again. Every step runs the CLI as a
child process, as an operator would; what each left behind is recorded in ``Rebuild`` (exit
codes, fingerprints, names, timings; never a value).

``extra`` adds that many more SOPS Secrets, SealedSecrets and ExternalSecrets (the benchmark's
scale); ``key_size`` is the sealing key A's first install creates.
"""

from __future__ import annotations

import base64
import os
import resource
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import hvac
import yaml

from secretsops.keysources.age import AgeKeySource, generate_identity, parse_identities
from secretsops.keysources.base import KeyContext
from secretsops.sealed.keypairs import load_cert_pem
from secretsops.sealed.sealing import new_sealed_secret
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from secretsops_devstack.services import Service
from tests.bootstrap.conftest import (
    Repo,
    child_env,
    cli,
    get,
    private_cluster,
    resource_versions,
    secret_fingerprints,
    value_fingerprint,
)
from tests.helpers import new_canary

ENGINE_NS = "secretsops-system"
SEALING_NS = "kube-system"
#: the objects a --run-once pass rewrites by design: the engine's record of the pass itself
PASS_RECORDS = ("/configmaps/secretsops-system/secretsops-status-", "/events/")


@dataclass
class Rebuild:
    """What each step of the scenario left behind (fingerprints, names, exit codes; no values)."""

    secrets_a: dict[str, str] = field(default_factory=dict)
    secrets_b: dict[str, str] = field(default_factory=dict)
    expected_api: str = ""
    expected_manual: str = ""
    keys_in_backup: set[str] = field(default_factory=set)
    keys_b: set[str] = field(default_factory=set)
    refused: subprocess.CompletedProcess[str] | None = None
    after_refusal: dict[str, str] = field(default_factory=dict)
    before_refusal: dict[str, str] = field(default_factory=dict)
    restored: subprocess.CompletedProcess[str] | None = None
    controller_b: subprocess.CompletedProcess[str] | None = None
    seconds_to_ready: float = 0.0
    seconds_bootstrap: float = 0.0
    seconds_controller: float = 0.0
    seconds_refused: float = 0.0
    seconds_again: float = 0.0
    #: CPU seconds (user + system) of the bootstrap / controller processes themselves (load-independent)
    cpu_bootstrap: float = 0.0
    cpu_controller: float = 0.0
    cpu_again: float = 0.0
    protected_objects: int = 0
    again: subprocess.CompletedProcess[str] | None = None
    again_run_once: subprocess.CompletedProcess[str] | None = None
    changed_by_again: list[str] = field(default_factory=list)
    changed_by_again_run_once: list[str] = field(default_factory=list)
    canaries: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def _child_cpu() -> float:
    """CPU seconds of every child process waited for so far (the CLI runs as a child)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ok(result: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{what} failed ({result.returncode}): {result.stderr[-2000:]}"
    return result


def _sops(recipient: str, text: str) -> str:
    return encrypt_bytes(
        text.encode(),
        "yaml",
        groups=[[AgeKeySource(recipient)]],
        options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
        ctx=KeyContext(),
    ).decode()


def _cluster_keys(cp) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    """A's public keys, as the user reads them after the first install: age recipient, sealing cert."""
    sops_keys = get(cp, f"/api/v1/namespaces/{ENGINE_NS}/secrets/sops-keys")
    assert sops_keys is not None
    identity = base64.b64decode(sops_keys["data"]["identity.agekey"]).decode()
    recipient = str(parse_identities(identity, "sops-keys")[0].to_public())
    selector = "labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key%3Dactive"
    keys = get(cp, f"/api/v1/namespaces/{SEALING_NS}/secrets?{selector}")
    assert keys is not None and len(keys["items"]) == 1
    cert = load_cert_pem(base64.b64decode(keys["items"][0]["data"]["tls.crt"]), "sealing key")
    return recipient, cert.public_key()


def _write_protected_content(repo: Repo, cp, bao: Service, prefix: str, rb: Rebuild, extra: int) -> None:  # type: ignore[no-untyped-def]
    """The second commit: what a team adds once the cluster's public keys are known."""
    recipient, sealing_public = _cluster_keys(cp)
    db_password, sealed_token, api_password, manual_value = (new_canary() for _ in range(4))
    client = hvac.Client(url=bao.url, token=bao.token)
    client.sys.create_or_update_policy(
        f"{prefix}-read", f'path "secret/data/{prefix}/*" {{ capabilities = ["read"] }}'
    )
    store_token = client.auth.token.create(policies=[f"{prefix}-read"], ttl="1h")["auth"]["client_token"]
    rb.canaries += [db_password, sealed_token, api_password, manual_value, store_token]
    client.secrets.kv.v2.create_or_update_secret(path=f"{prefix}/api", secret={"password": api_password})
    rb.expected_api = value_fingerprint("Opaque", {"password": api_password})
    rb.expected_manual = value_fingerprint("Opaque", {"value": manual_value})
    repo.write(
        "apps/db.yaml",
        _sops(
            recipient,
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: apps}}\n"
            f"type: Opaque\nstringData: {{PASSWORD: {db_password}}}\n",
        ),
    )
    repo.write(
        "apps/bao-token.yaml",
        _sops(
            recipient,
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: bao-token, namespace: apps}}\n"
            f"type: Opaque\nstringData: {{token: {store_token}}}\n",
        ),
    )

    def sealed(name: str, key: str, value: str) -> str:
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": name, "namespace": "apps"},
            "data": {key: base64.b64encode(value.encode()).decode()},
        }
        return yaml.safe_dump(new_sealed_secret(sealing_public, secret))  # type: ignore[arg-type]

    repo.write("apps/sealed.yaml", sealed("registry", "token", sealed_token))
    repo.write("manual/sealed-cr.yaml", sealed("manual", "value", manual_value))
    repo.write(
        "apps/external.yaml",
        f"""apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {{name: bao, namespace: apps}}
spec:
  provider:
    vault:
      server: {bao.url}
      path: secret
      version: v2
      auth: {{tokenSecretRef: {{name: bao-token, key: token}}}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {{name: api, namespace: apps}}
spec:
  refreshInterval: 1h
  secretStoreRef: {{name: bao, kind: SecretStore}}
  target: {{name: api}}
  data:
  - secretKey: password
    remoteRef: {{key: {prefix}/api, property: password}}
""",
    )
    for i in range(extra):  # the benchmark's scale: values are fingerprinted, not remembered
        repo.write(
            f"apps/extra/sops-{i}.yaml",
            _sops(
                recipient,
                f"apiVersion: v1\nkind: Secret\nmetadata: {{name: sops-{i}, namespace: apps}}\n"
                f"type: Opaque\nstringData: {{value: {new_canary()}}}\n",
            ),
        )
        repo.write(f"apps/extra/sealed-{i}.yaml", sealed(f"sealed-{i}", "value", new_canary()))
        client.secrets.kv.v2.create_or_update_secret(path=f"{prefix}/x{i}", secret={"value": new_canary()})
        repo.write(
            f"apps/extra/external-{i}.yaml",
            f"apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
            f"metadata: {{name: external-{i}, namespace: apps}}\nspec:\n  refreshInterval: 1h\n"
            f"  secretStoreRef: {{name: bao, kind: SecretStore}}\n  target: {{name: external-{i}}}\n"
            f"  data:\n  - secretKey: value\n    remoteRef: {{key: {prefix}/x{i}, property: value}}\n",
        )
    rb.protected_objects = 5 + 3 * extra  # 2 SOPS, 2 sealed (1 by hand), 1 external
    repo.commit("secrets: SOPS, sealed, external")


def _kubectl_apply(env: dict[str, str], kubeconfig: Path, path: Path) -> None:
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "apply", "-f", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr


def _controller_once(env: dict[str, str], kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    return cli(
        env,
        "controller",
        "--once",
        "--kubeconfig",
        str(kubeconfig),
        "--controllers",
        "sealedsecrets",
        "--metrics-port",
        "-1",
    )


def run_rebuild(work: Path, openbao: Service, *, extra: int = 0, key_size: int = 2048) -> Rebuild:
    """The whole scenario in ``work`` (both control planes are stopped when it returns)."""
    env = child_env(work)
    rb = Rebuild()
    repo = Repo.init(work / "origin")
    repo.write("apps/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n")
    repo.write(
        "apps/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: apps}\n"
        "data: {LOG_LEVEL: info}\n",
    )
    repo.commit("apps namespace")
    recovery_identity, recovery_recipient = generate_identity()
    recovery = work / "recovery.agekey"
    recovery.write_text(f"{recovery_identity}\n")
    recovery.chmod(0o600)
    backup = work / "cluster-backup.enc.yaml"
    source = ["--repo", str(repo.path), "--ref", "main", "--path", "apps"]

    # 1. cluster A: first install, protected content, reconciled, a hand-applied SealedSecret opened
    kc_a = work / "a.kubeconfig"
    cp_a = private_cluster(kc_a)
    try:
        first = _ok(
            cli(
                env,
                "bootstrap",
                "--kubeconfig",
                str(kc_a),
                *source,
                "--key-size",
                str(key_size),
                "--run-once",
            ),
            "first install on A",
        )
        rb.outputs += [first.stdout, first.stderr]
        _write_protected_content(repo, cp_a, openbao, "rebuild" + os.urandom(4).hex(), rb, extra)
        again_a = _ok(
            cli(env, "bootstrap", "--kubeconfig", str(kc_a), *source, "--run-once"), "reconcile on A"
        )
        rb.outputs += [again_a.stdout, again_a.stderr]
        _kubectl_apply(env, kc_a, repo.path / "manual/sealed-cr.yaml")
        rb.outputs.append(_ok(_controller_once(env, kc_a), "controller on A").stderr)
        rb.secrets_a = secret_fingerprints(cp_a, "apps")
        # 2. the backup, then A is destroyed
        taken = _ok(
            cli(
                env,
                "backup",
                "--kubeconfig",
                str(kc_a),
                "--decryption-secret",
                f"{ENGINE_NS}/sops-keys",
                "--age",
                recovery_recipient,
                "-o",
                str(backup),
            ),
            "backup of A",
        )
        rb.outputs += [taken.stdout, taken.stderr]
        listed = _ok(
            cli({**env, "SOPS_AGE_KEY_FILE": str(recovery)}, "backup", "--verify", str(backup)), "verify"
        )
        rb.keys_in_backup = {
            line.split()[0] for line in listed.stdout.splitlines() if line.startswith("  sealed-secrets-key")
        }
    finally:
        cp_a.stop()
    if cp_a.root.exists():
        raise AssertionError("A's etcd data directory is still there")

    # 3.-5. cluster B: refused without the backup, rebuilt with it, and again (no change)
    kc_b = work / "b.kubeconfig"
    cp_b = private_cluster(kc_b)
    try:
        rb.before_refusal = resource_versions(cp_b)
        started = time.monotonic()
        rb.refused = cli(
            env, "bootstrap", "--kubeconfig", str(kc_b), *source, "--key-size", "2048", "--run-once"
        )
        rb.seconds_refused = time.monotonic() - started
        rb.after_refusal = resource_versions(cp_b)
        started, cpu = time.monotonic(), _child_cpu()
        rb.restored = _ok(
            cli(
                env,
                "bootstrap",
                "--kubeconfig",
                str(kc_b),
                *source,
                "--backup",
                str(backup),
                "--identity",
                str(recovery),
                "--run-once",
            ),
            "bootstrap of B from the backup",
        )
        rb.seconds_bootstrap, rb.cpu_bootstrap = time.monotonic() - started, _child_cpu() - cpu
        _kubectl_apply(env, kc_b, repo.path / "manual/sealed-cr.yaml")
        controller_started, cpu = time.monotonic(), _child_cpu()
        rb.controller_b = _controller_once(env, kc_b)
        rb.seconds_controller, rb.cpu_controller = time.monotonic() - controller_started, _child_cpu() - cpu
        rb.seconds_to_ready = time.monotonic() - started
        rb.secrets_b = secret_fingerprints(cp_b, "apps")
        keys = get(cp_b, f"/api/v1/namespaces/{SEALING_NS}/secrets") or {"items": []}
        rb.keys_b = {
            s["metadata"]["name"] for s in keys["items"] if s["metadata"]["name"].startswith("sealed-")
        }
        before = resource_versions(cp_b)
        started, cpu = time.monotonic(), _child_cpu()
        rb.again = cli(
            env,
            "bootstrap",
            "--kubeconfig",
            str(kc_b),
            *source,
            "--backup",
            str(backup),
            "--identity",
            str(recovery),
        )
        rb.seconds_again, rb.cpu_again = time.monotonic() - started, _child_cpu() - cpu
        middle = resource_versions(cp_b)
        rb.again_run_once = cli(
            env,
            "bootstrap",
            "--kubeconfig",
            str(kc_b),
            *source,
            "--backup",
            str(backup),
            "--identity",
            str(recovery),
            "--run-once",
        )
        after = resource_versions(cp_b)
        rb.changed_by_again = sorted(
            k for k in before.keys() | middle.keys() if before.get(k) != middle.get(k)
        )
        rb.changed_by_again_run_once = sorted(
            k for k in middle.keys() | after.keys() if middle.get(k) != after.get(k)
        )
        rb.outputs += [rb.refused.stdout, rb.refused.stderr, rb.restored.stdout, rb.restored.stderr]
    finally:
        cp_b.stop()
    return rb
