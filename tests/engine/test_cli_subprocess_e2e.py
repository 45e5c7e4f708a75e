"""`secretsops reconcile --once` and `status` as users run them: subprocesses, a real git repo with
SOPS (real sops binary), kubesealpy-sealed and ExternalSecret (real OpenBao) secrets, and the
Kubernetes API test server started with ``python -m secretsops_devstack.kubeapi``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac
import pytest
import yaml
from cryptography import x509
from kubernetes import config
from kubesealpy import Sealer

from secretsops.keysources.age import generate_identity
from secretsops.kube import KubeClient
from secretsops_devstack.services import Service, find_tool, kubeapi_process
from tests.controllers.conftest import install_crds
from tests.helpers import new_canary

GIT_ENV = {
    "GIT_AUTHOR_NAME": "qa",
    "GIT_AUTHOR_EMAIL": "qa@example.invalid",
    "GIT_COMMITTER_NAME": "qa",
    "GIT_COMMITTER_EMAIL": "qa@example.invalid",
}


@dataclass
class Cluster:
    kubeconfig: Path

    def core(self) -> Any:
        from kubernetes import client, config

        return client.CoreV1Api(config.new_client_from_config(config_file=str(self.kubeconfig)))

    def secret_values(self, namespace: str, name: str) -> dict[str, str] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            secret = self.core().read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    kubeconfig = tmp_path / "kubeconfig"
    _, proc = kubeapi_process(kubeconfig, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        core = Cluster(kubeconfig).core()
        # ESO's CRDs (deploy/crds): the engine applies the SecretStore in git, then uses it
        install_crds(KubeClient(config.new_client_from_config(config_file=str(kubeconfig))))
        for ns in ("apps", "secretsops-system", "kube-system"):
            if ns not in {n.metadata.name for n in core.list_namespace().items}:
                core.create_namespace({"metadata": {"name": ns}})
        yield Cluster(kubeconfig)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Repo:
    path: Path
    canaries: dict[str, str]
    age_identity: str
    age_recipient: str = ""


def _cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secretsops", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def repo(tmp_path: Path, cluster: Cluster, openbao: Service) -> Repo:
    """A git repo with one secret of each kind; keys live only in the cluster and OpenBao."""
    canaries = {"sops": new_canary(), "sealed": new_canary(), "external": new_canary()}
    identity, recipient = generate_identity()
    core = cluster.core()
    core.create_namespaced_secret(
        "secretsops-system", {"metadata": {"name": "sops-age"}, "stringData": {"age.agekey": identity + "\n"}}
    )
    key_file = tmp_path / "key-secret.yaml"
    made = _cli(
        "keygen",
        "sealing",
        "--output-secret",
        str(key_file),
        "--namespace",
        "kube-system",
        "--key-size",
        "2048",
    )
    assert made.returncode == 0, made.stderr
    key_secret = yaml.safe_load(key_file.read_text())
    core.create_namespaced_secret("kube-system", key_secret)
    cert = x509.load_pem_x509_certificate(base64.b64decode(key_secret["data"]["tls.crt"]))
    bao = hvac.Client(url=openbao.url, token=openbao.token)
    bao.secrets.kv.v2.create_or_update_secret(
        path="e2e/db", secret={"password": canaries["external"]}, mount_point="secret"
    )

    root = tmp_path / "repo"
    apps = root / "apps"
    apps.mkdir(parents=True)
    plain = apps / "sops-db.yaml"
    plain.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-db\n  namespace: apps\n"
        f"stringData:\n  password: {canaries['sops']}\n"
    )
    _sops_encrypt(plain, recipient)
    sealed = Sealer(cert.public_key(), cert).seal(  # type: ignore[arg-type]
        "sealed-db", "apps", {"password": canaries["sealed"].encode()}, secret_type="kubernetes.io/basic-auth"
    )
    (apps / "sealed-db.json").write_text(json.dumps(sealed.model_dump(by_alias=True, exclude_none=True)))
    (apps / "external.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: bao-token, namespace: apps}\n"
        f"stringData: {{token: {openbao.token}}}\n---\n"
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: bao, namespace: apps}\n"
        f"spec:\n  provider:\n    vault:\n      server: {openbao.url}\n"
        "      path: secret\n      version: v2\n"
        "      auth:\n        tokenSecretRef: {name: bao-token, key: token}\n---\n"
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
        "metadata: {name: ext-db, namespace: apps}\n"
        "spec:\n  refreshInterval: 1h\n  secretStoreRef: {name: bao, kind: SecretStore}\n"
        "  data:\n  - secretKey: password\n    remoteRef: {key: e2e/db, property: password}\n"
    )
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "secrets"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    return Repo(root, canaries, identity, recipient)


def _sops_encrypt(path: Path, recipient: str) -> None:
    enc = subprocess.run(
        [find_tool("sops"), "-e", "--encrypted-regex", "^(data|stringData)$", "-i", str(path)],
        capture_output=True,
        env={"PATH": os.environ["PATH"], "HOME": str(path.parent), "SOPS_AGE_RECIPIENTS": recipient},
        check=False,
    )
    assert enc.returncode == 0, enc.stderr


def _reconcile(repo: Repo, cluster: Cluster, *extra: str) -> subprocess.CompletedProcess[str]:
    return _cli(
        "reconcile",
        "--once",
        "--repo",
        str(repo.path),
        "--path",
        "apps",
        "--name",
        "e2e",
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--decryption-secret",
        "secretsops-system/sops-age",
        *extra,
    )


def _assert_no_canary(repo: Repo, *texts: str) -> None:
    for text in texts:
        for value in repo.canaries.values():
            assert value not in text


def test_dry_run_plans_all_three_kinds_and_writes_nothing(repo: Repo, cluster: Cluster) -> None:
    """The SecretStore is only in git: the dry run plans to apply it and says the ExternalSecret
    waits for it (a store is used only as the API server holds it, issue 11 row 1)."""
    result = _reconcile(repo, cluster, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would apply 4" in result.stdout
    for name in ("sops-db", "sealed-db", "bao-token"):
        assert f"apply Secret/apps/{name}" in result.stdout
        assert cluster.secret_values("apps", name) is None
    assert "apply SecretStore.external-secrets.io/apps/bao" in result.stdout
    assert "wait ExternalSecret apps/ext-db waits: " in result.stdout
    assert "SecretStore apps/bao is declared in this source but not in the cluster yet" in result.stdout
    assert cluster.secret_values("apps", "ext-db") is None
    configmaps = cluster.core().list_namespaced_config_map("secretsops-system").items
    assert [c.metadata.name for c in configmaps] == []
    assert cluster.core().list_event_for_all_namespaces().items == []
    _assert_no_canary(repo, result.stdout, result.stderr)


def test_once_applies_decrypted_secrets_and_status_reports_ready(repo: Repo, cluster: Cluster) -> None:
    result = _reconcile(repo, cluster)
    assert result.returncode == 0, result.stderr
    assert cluster.secret_values("apps", "sops-db") == {"password": repo.canaries["sops"]}
    assert cluster.secret_values("apps", "sealed-db") == {"password": repo.canaries["sealed"]}
    assert cluster.secret_values("apps", "ext-db") == {"password": repo.canaries["external"]}
    sealed = cluster.core().read_namespaced_secret("sealed-db", "apps")
    assert sealed.type == "kubernetes.io/basic-auth"

    status = _cli("status", "--kubeconfig", str(cluster.kubeconfig), "-o", "json")
    assert status.returncode == 0, status.stderr
    (entry,) = json.loads(status.stdout)
    ready = next(c for c in entry["conditions"] if c["type"] == "Ready")
    assert entry["source"] == "e2e" and ready["status"] == "True"
    assert ready["reason"] == "ReconciliationSucceeded"
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo.path, capture_output=True, text=True, check=True
    )
    assert entry["lastAppliedRevision"] == f"main@sha1:{head.stdout.strip()}"
    table = _cli("status", "--kubeconfig", str(cluster.kubeconfig))
    assert table.returncode == 0 and "e2e" in table.stdout and "True" in table.stdout
    _assert_no_canary(repo, result.stdout, result.stderr, status.stdout, status.stderr, table.stdout)


def test_failed_pass_reports_not_ready_and_applies_nothing(repo: Repo, cluster: Cluster) -> None:
    (repo.path / "apps" / "broken.yaml").write_text("apiVersion: v1\nmetadata:\n  name: lost-kind\n")
    subprocess.run(["git", "add", "."], cwd=repo.path, check=True)
    subprocess.run(
        ["git", "commit", "-qm", "broken"], cwd=repo.path, check=True, env={**os.environ, **GIT_ENV}
    )
    result = _reconcile(repo, cluster)
    assert result.returncode == 1
    assert "e2e: BuildFailed: apps/broken.yaml: Object 'Kind' is missing" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert cluster.secret_values("apps", "sops-db") is None
    status = _cli("status", "--kubeconfig", str(cluster.kubeconfig), "-o", "json")
    (entry,) = json.loads(status.stdout)
    ready = next(c for c in entry["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "BuildFailed"
    _assert_no_canary(repo, result.stdout, result.stderr, status.stdout)


def test_target_namespace_is_the_namespace_sealed_and_external_secrets_resolve_in(
    repo: Repo, cluster: Cluster
) -> None:
    """Namespace-less bases (as kustomize overlays use them): the controller and ESO would see the
    objects in the target namespace, so the strict label, the store, the auth Secret (here itself
    SOPS-encrypted) and ESO's created-by hash are all those of ``apps``."""
    bare = repo.path / "bare"
    bare.mkdir()
    sealed = json.loads((repo.path / "apps" / "sealed-db.json").read_text())
    del sealed["metadata"]["namespace"]
    sealed["spec"]["template"]["metadata"].pop("namespace", None)
    (bare / "sealed-db.json").write_text(json.dumps(sealed))
    token = bare / "bao-token.yaml"
    token.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bao-token\nstringData:\n  token: root\n"
    )
    _sops_encrypt(token, repo.age_recipient)
    external = (repo.path / "apps" / "external.yaml").read_text().split("---\n", 1)[1]
    (bare / "external.yaml").write_text(external.replace(", namespace: apps}", "}"))
    subprocess.run(["git", "add", "."], cwd=repo.path, check=True)
    subprocess.run(["git", "commit", "-qm", "bare"], cwd=repo.path, check=True, env={**os.environ, **GIT_ENV})

    result = _cli(
        "reconcile",
        "--once",
        "--repo",
        str(repo.path),
        "--path",
        "bare",
        "--name",
        "bare",
        "--target-namespace",
        "apps",
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--decryption-secret",
        "secretsops-system/sops-age",
    )
    assert result.returncode == 0, result.stderr
    assert cluster.secret_values("apps", "sealed-db") == {"password": repo.canaries["sealed"]}
    assert cluster.secret_values("apps", "ext-db") == {"password": repo.canaries["external"]}
    labels = cluster.core().read_namespaced_secret("ext-db", "apps").metadata.labels
    created_by = hashlib.sha3_224(b"apps/ext-db").hexdigest()
    assert labels["reconcile.external-secrets.io/created-by"] == created_by
    _assert_no_canary(repo, result.stdout, result.stderr)
