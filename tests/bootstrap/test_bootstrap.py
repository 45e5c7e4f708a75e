"""`secretsops bootstrap` on a fresh cluster: the plan, a first install, the backup it asks for.

The module has its own control plane (a bootstrap installs CRDs, cluster roles and kube-system
keys); the tests run in order on it: a dry run, the first install, then the backup state.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from tests.bootstrap.conftest import Repo, child_env, cli, get, private_cluster, resource_versions
from tests.realkube import ControlPlane

# one story, in order, on one private cluster: each step builds on the one before (`--dist loadfile`
# keeps a module on one worker)
pytestmark = pytest.mark.realkube

KEY_SELECTOR = "labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key%3Dactive"


@dataclass
class Fresh:
    cp: ControlPlane
    kubeconfig: Path
    env: dict[str, str]
    repo: Repo
    work: Path

    def bootstrap(self, *extra: str):  # type: ignore[no-untyped-def]
        args = [
            "bootstrap",
            "--kubeconfig",
            str(self.kubeconfig),
            "--repo",
            str(self.repo.path),
            "--path",
            "apps",
        ]
        return cli(self.env, *args, "--key-size", "2048", *extra)

    def key_secrets(self) -> list[dict]:  # type: ignore[type-arg]
        return (get(self.cp, f"/api/v1/namespaces/kube-system/secrets?{KEY_SELECTOR}") or {"items": []})[
            "items"
        ]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fresh]:
    work = tmp_path_factory.mktemp("fresh")
    repo = Repo.init(work / "origin")
    repo.write("apps/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n")
    repo.commit("apps")
    cp = private_cluster(work / "kubeconfig")
    try:
        yield Fresh(cp, work / "kubeconfig", child_env(work), repo, work)
    finally:
        cp.stop()


def test_a_dry_run_prints_the_plan_and_writes_nothing(fresh: Fresh) -> None:
    before = resource_versions(fresh.cp)
    result = fresh.bootstrap("--dry-run")
    assert result.returncode == 0, result.stderr
    assert resource_versions(fresh.cp) == before
    out = result.stdout
    assert "generate sealing key kube-system/sealed-secrets-key" in out and "fingerprint=SHA256:" in out
    assert "generate decryption Secret secretsops-system/sops-keys" in out
    assert "identity.agekey  age recipients age1" in out
    assert "create    Deployment.apps/secretsops-system/secretsops" in out
    assert "create    CustomResourceDefinition.apiextensions.k8s.io/sealedsecrets.bitnami.com" in out
    assert "dry run: nothing written (27 to create, 0 to update, 0 unchanged)" in out
    assert "AGE-SECRET-KEY" not in out + result.stderr
    assert "PRIVATE KEY" not in out + result.stderr


def test_a_first_install_creates_the_keys_and_asks_for_a_backup(fresh: Fresh) -> None:
    result = fresh.bootstrap()
    assert result.returncode == 0, result.stderr
    assert "bootstrap: 27 change(s)" in result.stdout
    assert "back them up now" in result.stderr
    assert (
        f"secretsops backup --kubeconfig {fresh.kubeconfig} --decryption-secret secretsops-system/sops-keys"
        " --age RECOVERY_RECIPIENT -o cluster-backup.enc.yaml" in result.stderr
    )
    keys = fresh.key_secrets()
    assert len(keys) == 1 and keys[0]["type"] == "kubernetes.io/tls"
    assert get(fresh.cp, "/api/v1/namespaces/secretsops-system/secrets/sops-keys") is not None
    assert "AGE-SECRET-KEY" not in result.stdout + result.stderr


def test_the_installed_deployment_reads_the_sources_written_for_the_flags(fresh: Fresh) -> None:
    deployment = get(fresh.cp, "/apis/apps/v1/namespaces/secretsops-system/deployments/secretsops")
    assert deployment is not None
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "sources")
    cm = get(fresh.cp, f"/api/v1/namespaces/secretsops-system/configmaps/{volume['configMap']['name']}")
    assert cm is not None
    assert f"url: {fresh.repo.path}" in cm["data"]["sources.yaml"]
    assert "path: apps" in cm["data"]["sources.yaml"]


def test_a_second_install_keeps_the_keys_and_changes_nothing(fresh: Fresh) -> None:
    names = {k["metadata"]["name"] for k in fresh.key_secrets()}
    before = resource_versions(fresh.cp)
    result = fresh.bootstrap()
    assert result.returncode == 0, result.stderr
    assert "keep (in the cluster) sealing key" in result.stdout
    assert "back them up now" not in result.stderr
    assert {k["metadata"]["name"] for k in fresh.key_secrets()} == names
    assert resource_versions(fresh.cp) == before


def test_new_keys_are_reported_as_in_no_backup(fresh: Fresh) -> None:
    result = cli(fresh.env, "backup", "--kubeconfig", str(fresh.kubeconfig), "--status")
    assert result.returncode == 1
    assert "backup=in no backup" in result.stdout
    assert "BackedUp=False (NewestKeyNotBackedUp)" in result.stdout


def test_a_backup_records_the_keys_it_holds(fresh: Fresh) -> None:
    _, recipient = generate_identity()
    out = fresh.work / "backup.enc.yaml"
    taken = cli(
        fresh.env,
        "backup",
        "--kubeconfig",
        str(fresh.kubeconfig),
        "--decryption-secret",
        "secretsops-system/sops-keys",
        "--age",
        recipient,
        "-o",
        str(out),
    )
    assert taken.returncode == 0, taken.stderr
    assert "was in no earlier backup: keep this new backup" in taken.stderr
    status = cli(fresh.env, "backup", "--kubeconfig", str(fresh.kubeconfig), "--status")
    assert status.returncode == 0, status.stdout
    assert "BackedUp=True (NewestKeyBackedUp)" in status.stdout
    recorded = fresh.key_secrets()[0]["metadata"]["annotations"]["secretsops.io/backed-up-at"]
    assert f"backup={recorded}" in status.stdout


def test_the_controller_reports_the_newest_key_backed_up_as_a_condition(fresh: Fresh) -> None:
    result = cli(
        fresh.env,
        "controller",
        "--once",
        "--kubeconfig",
        str(fresh.kubeconfig),
        "--controllers",
        "sealedsecrets",
        "--metrics-port",
        "-1",
    )
    assert result.returncode == 0, result.stderr
    cm = get(fresh.cp, "/api/v1/namespaces/secretsops-system/configmaps/secretsops-backup-state")
    assert cm is not None
    status = json.loads(cm["data"]["status.json"])
    condition = status["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "BackedUp",
        "True",
        "NewestKeyBackedUp",
    )
    assert status["newestKey"] == fresh.key_secrets()[0]["metadata"]["name"]


def test_a_renewed_key_makes_the_backup_stale_again(fresh: Fresh) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from secretsops.engine.backup_state import BackupStateReporter
    from secretsops.kube import from_kubeconfig
    from secretsops.sealed.keyring import create_cluster_key

    kube = from_kubeconfig(str(fresh.kubeconfig))
    registry = CollectorRegistry()
    reporter = BackupStateReporter(kube, "kube-system", "secretsops-system", registry)
    assert reporter.refresh().stale is False  # type: ignore[union-attr]
    renewed = create_cluster_key(kube, "kube-system", key_size=2048)
    state = reporter.refresh()
    assert state is not None and state.stale and state.newest_name == renewed
    assert (
        'secretsops_sealing_key_backup_stale{namespace="kube-system"} 1.0'
        in generate_latest(registry).decode()
    )
    cm = get(fresh.cp, "/api/v1/namespaces/secretsops-system/configmaps/secretsops-backup-state")
    assert cm is not None
    condition = json.loads(cm["data"]["status.json"])["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "BackedUp",
        "False",
        "NewestKeyNotBackedUp",
    )
    assert renewed in condition["message"]


def test_the_backup_state_parses_a_key_secret_again_only_when_it_changed(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing an RSA-4096 key costs ≈ 0.3 s of CPU; the reporter refreshes every minute."""
    from prometheus_client import CollectorRegistry

    from secretsops.engine import backup_state
    from secretsops.kube import from_kubeconfig

    parsed: list[str] = []
    real = backup_state.key_from_secret
    def counted(obj: dict, source: str) -> object:
        parsed.append(source)
        return real(obj, source)

    monkeypatch.setattr(backup_state, "key_from_secret", counted)
    kube = from_kubeconfig(str(fresh.kubeconfig))
    reporter = backup_state.BackupStateReporter(kube, "kube-system", "secretsops-system", CollectorRegistry())
    first = reporter.refresh()
    assert first is not None and len(parsed) == len(fresh.key_secrets()) >= 1
    parsed.clear()
    again = reporter.refresh()
    assert again == first and parsed == []


def test_a_backup_that_does_not_open_fails_in_one_line_before_the_cluster_is_asked(fresh: Fresh) -> None:
    _, recipient = generate_identity()
    stranger, _ = generate_identity()
    stranger_file = fresh.work / "stranger.agekey"
    stranger_file.write_text(f"{stranger}\n")
    backup = fresh.work / "other.enc.yaml"
    backup.write_bytes(
        encrypt_bytes(
            b"kind: SecretsopsBackup\nversion: 1\nsealingKeys: []\ndecryptionSecrets: []\n",
            "yaml",
            groups=[[AgeKeySource(recipient)]],
            options=EncryptOptions(),
            ctx=KeyContext(),
        )
    )
    result = cli(
        fresh.env,
        "bootstrap",
        "--kubeconfig",
        str(fresh.work / "absent"),
        "--repo",
        str(fresh.repo.path),
        "--backup",
        str(backup),
        "--identity",
        str(stranger_file),
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(backup) in lines[0]


def test_bootstrap_without_a_repository_or_sources_in_a_backup_is_refused(fresh: Fresh) -> None:
    result = cli(fresh.env, "bootstrap", "--kubeconfig", str(fresh.kubeconfig))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "secretsops: bootstrap needs --repo URL (or a --backup that holds the sources configuration)"
    )


def test_an_age_identity_text_never_reaches_argv_or_output(fresh: Fresh) -> None:
    secret = get(fresh.cp, "/api/v1/namespaces/secretsops-system/secrets/sops-keys")
    assert secret is not None
    identity = base64.b64decode(secret["data"]["identity.agekey"]).decode()
    result = fresh.bootstrap("--dry-run")
    assert result.returncode == 0
    assert identity.strip().splitlines()[-1] not in result.stdout + result.stderr
