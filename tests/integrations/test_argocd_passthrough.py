"""The Argo CD plugin's safer mode (SECRETSOPS_MODE=passthrough), run as argocd-cmp-server runs it:
nothing is decrypted, no key is present in the sidecar, SOPS Secrets leave as SopsSecrets carrying
the file sops wrote, SealedSecrets and ExternalSecrets as they are; the one emit guard passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from secretsops.decryptors.guard import guard_objects
from secretsops.sealed.keypairs import cert_pem, generate_key, private_key_pem
from tests.integrations.conftest import SopsAge
from tests.integrations.test_argocd_cmp import SECRET, generate, seal

EXTERNAL = (
    "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: api\nspec:\n"
    "  secretStoreRef: {name: vault, kind: SecretStore}\n  target: {name: api}\n"
    "  data:\n  - secretKey: token\n    remoteRef: {key: shop/api, property: token}\n"
)


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sealing cert `seal` uses; the private key stays out of the sidecar in this mode."""
    path = tmp_path_factory.mktemp("keys")
    key, cert = generate_key(2048)
    (path / "cert.pem").write_bytes(cert_pem(cert))
    (path.parent / "not-mounted.sealing.key").write_bytes(private_key_pem(key))
    return path


def passthrough(repo: Path, app: str, tmp_path: Path, keys_dir: Path, **env: str):  # type: ignore[no-untyped-def]
    return generate(repo, app, tmp_path, keys_dir, ARGOCD_ENV_SECRETSOPS_MODE="passthrough", **env)


def docs(stdout: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(stdout) if d]


def test_a_sops_secret_leaves_as_a_sops_secret_carrying_the_file_sops_wrote(
    tmp_path, keys_dir, sops_age: SopsAge
):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    enc = app / "db.yaml"
    enc.write_text(SECRET.format(value="pa55-never-in-argo"))
    sops_age.encrypt(enc)
    out = passthrough(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_APP_NAMESPACE="shop")
    assert out.returncode == 0, out.stderr
    (obj,) = docs(out.stdout)
    assert (obj["apiVersion"], obj["kind"], obj["metadata"]) == (
        "secretsops.io/v1",
        "SopsSecret",
        {"name": "db", "namespace": "shop"},
    )
    assert obj["spec"] == {"format": "yaml", "sops": enc.read_text()}
    assert "pa55-never-in-argo" not in out.stdout + out.stderr


def test_sealed_and_external_secrets_pass_as_they_are(tmp_path, keys_dir, sops_age: SopsAge):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    sealed = seal(keys_dir, SECRET.format(value="sealed-value"), "shop")
    (app / "db.sealed.json").write_text(json.dumps(sealed))
    (app / "api.yaml").write_text(EXTERNAL)
    out = passthrough(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_APP_NAMESPACE="shop")
    assert out.returncode == 0, out.stderr
    by_kind = {d["kind"]: d for d in docs(out.stdout)}
    assert by_kind["SealedSecret"]["spec"]["encryptedData"] == sealed["spec"]["encryptedData"]
    assert by_kind["ExternalSecret"]["spec"]["data"][0]["remoteRef"]["key"] == "shop/api"
    assert {d["metadata"]["namespace"] for d in by_kind.values()} == {"shop"}


def test_the_output_passes_the_one_emit_guard(tmp_path, keys_dir, sops_age: SopsAge):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    enc = app / "db.json"
    enc.write_text(json.dumps(yaml.safe_load(SECRET.format(value="x"))))
    sops_age.encrypt(enc)
    out = passthrough(tmp_path / "repo", "shop", tmp_path, keys_dir)
    assert out.returncode == 0, out.stderr
    objs = docs(out.stdout)
    guard_objects(objs)  # SopsSecret spec.sops is the one carrier of ciphertext it lets through
    assert objs[0]["spec"]["format"] == "json" and "ENC[AES256_GCM," in objs[0]["spec"]["sops"]


def test_a_sops_secret_from_a_base_keeps_its_origin_file_and_takes_the_overlays_namespace(
    tmp_path, keys_dir, sops_age: SopsAge
):
    repo = tmp_path / "repo"
    (repo / "base").mkdir(parents=True)
    (repo / "overlays" / "prod").mkdir(parents=True)
    enc = repo / "base" / "db.yaml"
    enc.write_text(SECRET.format(value="from-base"))
    sops_age.encrypt(enc)
    (repo / "base" / "kustomization.yaml").write_text("resources: [db.yaml]\n")
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(
        "namespace: prod\nresources: [../../base]\nlabels:\n- pairs: {team: shop}\n"
    )
    out = passthrough(repo, "overlays/prod", tmp_path, keys_dir)
    assert out.returncode == 0, out.stderr
    (obj,) = docs(out.stdout)
    assert obj["metadata"] == {"name": "db", "namespace": "prod", "labels": {"team": "shop"}}
    assert obj["spec"]["sops"] == enc.read_text()


def test_a_sops_secret_generator_cannot_pass_through_and_nothing_is_emitted(
    tmp_path, keys_dir, sops_age: SopsAge
):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    env = app / "db.env"
    env.write_text("PASSWORD=gen-secret\n")
    sops_age.encrypt(env, regex=None)
    (app / "kustomization.yaml").write_text("secretGenerator:\n- name: db\n  envs: [db.env]\n")
    out = passthrough(tmp_path / "repo", "shop", tmp_path, keys_dir)
    assert out.returncode != 0 and out.stdout == ""
    assert "secretGenerator inputs: passthrough mode cannot carry them" in out.stderr


def test_a_renamed_sops_secret_is_refused_because_its_mac_binds_the_name(
    tmp_path, keys_dir, sops_age: SopsAge
):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    enc = app / "db.yaml"
    enc.write_text(SECRET.format(value="x"))
    sops_age.encrypt(enc)
    (app / "kustomization.yaml").write_text("namePrefix: prod-\nresources: [db.yaml]\n")
    out = passthrough(tmp_path / "repo", "shop", tmp_path, keys_dir)
    assert out.returncode != 0 and out.stdout == ""
    assert "kustomize changed the SOPS Secret's name from db to prod-db" in out.stderr


def test_an_unknown_mode_is_a_usage_error(tmp_path, keys_dir):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    (app / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_ENV_SECRETSOPS_MODE="plaintext")
    assert out.returncode == 2 and out.stdout == ""
    assert "SECRETSOPS_MODE must be decrypt or passthrough: plaintext" in out.stderr


def test_a_sops_encrypted_config_map_cannot_pass_through(tmp_path, keys_dir, sops_age: SopsAge):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    enc = app / "settings.yaml"
    enc.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: prod\n")
    sops_age.encrypt(enc, regex="^data$")
    out = passthrough(tmp_path / "repo", "shop", tmp_path, keys_dir)
    assert out.returncode != 0 and out.stdout == ""
    assert "not a v1 Secret cannot pass through" in out.stderr
