"""`secretsops backup` against the real kube-apiserver: one encrypted file, listed without values."""

from __future__ import annotations

import base64
import stat

import pytest
import yaml
from kubernetes.client import CoreV1Api
from pyrage import x25519

from secretsops.sealed.keypairs import key_secret
from tests.helpers import assert_no_canary

from .conftest import store_key

pytestmark = pytest.mark.realkube  # runs against the real kube-apiserver (tests/realkube.py)


@pytest.fixture
def engine_identity():
    """The engine's age identity (what its decryption Secret holds): (identity text, recipient)."""
    ident = x25519.Identity.generate()
    return str(ident), str(ident.to_public())


@pytest.fixture
def cluster(kubeapi, keypairs, engine_identity, canary):
    """Two sealing keys in kube-system; a Flux decryption Secret (age identity + canary) in flux-system."""
    api = kubeapi.api_client()
    store_key(api, keypairs[0], "sealed-secrets-key-old")
    store_key(api, keypairs[1], "sealed-secrets-key-new")
    core = CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "flux-system"}})
    core.create_namespaced_secret(
        "flux-system",
        {
            "metadata": {"name": "sops-age"},
            "stringData": {"identity.agekey": f"{engine_identity[0]}\n", "sops.vault-token": canary},
        },
    )
    return kubeapi


@pytest.fixture
def sources(tmp_path, canary):
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n- name: shop\n  url: https://git.example.org/shop.git?token={canary}\n")
    return path


def _backup(run_cli, cluster, recovery, out, *extra):
    return run_cli(
        "backup",
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--decryption-secret",
        "flux-system/sops-age",
        "--age",
        recovery.recipient,
        "-o",
        str(out),
        *extra,
        env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)},
    )


def _secret_bytes(*values):
    """Each value as itself and as it appears in a Secret's data (base64)."""
    return [form for v in values for form in (v, base64.b64encode(v.encode()).decode())]


def test_backup_is_one_sops_file_0600_without_plaintext(
    run_cli, cluster, recovery, sources, canary, tmp_path
):
    out = tmp_path / "backup.enc.yaml"
    code, stdout, stderr = _backup(run_cli, cluster, recovery, out, "--sources", str(sources))
    assert code == 0, stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "sops" in yaml.safe_load(out.read_text())
    for needle in _secret_bytes(canary):
        assert_no_canary(needle, stdout, stderr, out)


def test_backup_holds_no_sealing_private_key_in_the_clear(run_cli, cluster, recovery, keypairs, tmp_path):
    out = tmp_path / "backup.enc.yaml"
    assert _backup(run_cli, cluster, recovery, out)[0] == 0
    stored = CoreV1Api(cluster.api_client()).read_namespaced_secret("sealed-secrets-key-new", "kube-system")
    assert stored.data["tls.key"][:64] not in out.read_text()


def test_verify_lists_keys_fingerprints_dates_and_secret_names_never_values(
    run_cli, cluster, recovery, sources, keypairs, engine_identity, canary, tmp_path
):
    out = tmp_path / "backup.enc.yaml"
    assert _backup(run_cli, cluster, recovery, out, "--sources", str(sources))[0] == 0
    code, stdout, stderr = run_cli(
        "backup", "--verify", str(out), env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)}
    )
    assert code == 0, stderr
    text = stdout.decode()
    for name, kp in zip(("sealed-secrets-key-old", "sealed-secrets-key-new"), keypairs, strict=True):
        assert name in text
        assert kp.fingerprint in text
        assert kp.cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ") in text
    assert "flux-system/sops-age  keys: identity.agekey, sops.vault-token" in text
    assert "sources: sources.yaml" in text
    for needle in _secret_bytes(canary, engine_identity[0]):
        assert_no_canary(needle, stdout, stderr)


def test_verify_names_the_age_recipient_of_each_agekey_entry(
    run_cli, cluster, recovery, engine_identity, tmp_path
):
    out = tmp_path / "backup.enc.yaml"
    assert _backup(run_cli, cluster, recovery, out)[0] == 0
    _, stdout, _ = run_cli("backup", "--verify", str(out), env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)})
    assert f"identity.agekey: age recipients {engine_identity[1]}" in stdout.decode()


def test_the_legacy_key_secret_is_backed_up_and_a_compromised_key_is_not(
    run_cli, kubeapi, recovery, keypairs, tmp_path
):
    api = kubeapi.api_client()
    legacy = key_secret(keypairs[0].key, keypairs[0].cert, "kube-system", name="sealed-secrets-key")
    CoreV1Api(api).create_namespaced_secret("kube-system", legacy)
    store_key(api, keypairs[1], "sealed-secrets-key-leaked", label="compromised")
    out = tmp_path / "backup.enc.yaml"
    code, _, stderr = run_cli(
        "backup", "--kubeconfig", str(kubeapi.kubeconfig), "--age", recovery.recipient, "-o", str(out)
    )
    assert code == 0, stderr
    _, stdout, _ = run_cli("backup", "--verify", str(out), env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)})
    text = stdout.decode()
    assert "sealing keys (kube-system): 1" in text
    assert "sealed-secrets-key  " in text
    assert "sealed-secrets-key-leaked" not in text


def test_verify_lists_the_newest_sealing_key_first(run_cli, cluster, recovery, tmp_path):
    out = tmp_path / "backup.enc.yaml"
    assert _backup(run_cli, cluster, recovery, out)[0] == 0
    _, stdout, _ = run_cli("backup", "--verify", str(out), env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)})
    text = stdout.decode()
    assert text.index("sealed-secrets-key-new") < text.index("sealed-secrets-key-old")


def test_real_sops_opens_the_backup(run_cli, cluster, recovery, sources, canary, run_sops, tmp_path):
    out = tmp_path / "backup.enc.yaml"
    assert _backup(run_cli, cluster, recovery, out, "--sources", str(sources))[0] == 0
    proc = run_sops("-d", str(out), env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)})
    assert proc.returncode == 0, proc.stderr.decode()[-400:]
    doc = yaml.safe_load(proc.stdout)
    assert doc["kind"] == "SecretsopsBackup"
    assert {s["metadata"]["name"] for s in doc["sealingKeys"]} == {
        "sealed-secrets-key-new",
        "sealed-secrets-key-old",
    }
    assert base64.b64decode(doc["decryptionSecrets"][0]["data"]["sops.vault-token"]).decode() == canary
    assert doc["sources"]["content"] == sources.read_text()


def test_a_wrong_identity_fails_with_a_one_line_error(run_cli, cluster, recovery, stranger, canary, tmp_path):
    out = tmp_path / "backup.enc.yaml"
    assert _backup(run_cli, cluster, recovery, out)[0] == 0
    code, stdout, stderr = run_cli(
        "backup", "--verify", str(out), env={"SOPS_AGE_KEY_FILE": str(stranger.key_file)}
    )
    assert code != 0
    assert stdout == b""
    assert len(stderr.strip().splitlines()) == 1
    assert str(out) in stderr
    for needle in _secret_bytes(canary):
        assert_no_canary(needle, stderr)


def test_backup_warns_when_the_newest_sealing_key_is_not_in_the_previous_backup(
    run_cli, cluster, recovery, keypairs, tmp_path
):
    api = cluster.api_client()
    CoreV1Api(api).delete_namespaced_secret("sealed-secrets-key-new", "kube-system")
    first = tmp_path / "first.enc.yaml"
    assert _backup(run_cli, cluster, recovery, first)[0] == 0
    store_key(api, keypairs[1], "sealed-secrets-key-renewed")
    code, _, stderr = _backup(
        run_cli,
        cluster,
        recovery,
        tmp_path / "second.enc.yaml",
        "--previous",
        str(first),
    )
    assert code == 0, stderr
    assert "warning: the newest sealing key sealed-secrets-key-renewed" in stderr
    assert keypairs[1].fingerprint in stderr


def test_backup_does_not_warn_when_the_previous_backup_holds_the_newest_key(
    run_cli, cluster, recovery, tmp_path
):
    first = tmp_path / "first.enc.yaml"
    assert _backup(run_cli, cluster, recovery, first)[0] == 0
    code, _, stderr = _backup(
        run_cli, cluster, recovery, tmp_path / "second.enc.yaml", "--previous", str(first)
    )
    assert code == 0
    assert "warning" not in stderr


def test_a_missing_decryption_secret_is_named_in_a_one_line_error(run_cli, kubeapi, recovery, tmp_path):
    out = tmp_path / "backup.enc.yaml"
    code, _, stderr = run_cli(
        "backup",
        "--kubeconfig",
        str(kubeapi.kubeconfig),
        "--decryption-secret",
        "flux-system/absent",
        "--age",
        recovery.recipient,
        "-o",
        str(out),
    )
    assert code != 0
    assert stderr.strip() == "secretsops: decryption Secret flux-system/absent not found"
    assert not out.exists()


def test_a_pgp_recovery_key_works_with_real_gpg(run_cli, kubeapi, keypairs, gpg_recovery, tmp_path):
    store_key(kubeapi.api_client(), keypairs[0], "sealed-secrets-key-old")
    out = tmp_path / "backup.enc.yaml"
    env = {"GNUPGHOME": str(gpg_recovery.path)}
    code, _, stderr = run_cli(
        "backup",
        "--kubeconfig",
        str(kubeapi.kubeconfig),
        "--pgp",
        gpg_recovery.fingerprint,
        "-o",
        str(out),
        env=env,
    )
    assert code == 0, stderr
    code, stdout, stderr = run_cli("backup", "--verify", str(out), env=env)
    assert code == 0, stderr
    assert keypairs[0].fingerprint in stdout.decode()
