"""Files the real sops binary writes with KMS, Vault transit and PGP keys open in secretsops, and back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from secretsops.keysources.awskms import KmsKeySource
from secretsops.keysources.base import KeyContext, MasterKey
from secretsops.keysources.pgp import PgpKeySource
from secretsops.keysources.vault import VaultTransitKeySource
from secretsops.sops.api import EncryptOptions, decrypt_bytes, encrypt_bytes
from secretsops_devstack.services import Service
from tests.helpers import assert_no_canary

ROLE = "arn:aws:iam::123456789012:role/sops-interop"


def run_sops(
    sops_bin: str, args: list[str], env: dict[str, str], cwd: Path, stdin: bytes | None = None
) -> bytes:
    full_env = {"PATH": os.environ["PATH"], "HOME": str(cwd), **env}
    proc = subprocess.run(
        [sops_bin, *args], env=full_env, cwd=cwd, capture_output=True, input=stdin, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def sops_encrypts(sops_bin: str, flags: list[str], env: dict[str, str], tmp_path: Path, plain: str) -> bytes:
    src = tmp_path / "plain.yaml"
    src.write_text(plain)
    try:
        return run_sops(sops_bin, ["encrypt", *flags, str(src)], env, tmp_path)
    finally:
        src.unlink()


def sops_decrypts(sops_bin: str, env: dict[str, str], tmp_path: Path, data: bytes) -> str:
    f = tmp_path / "secret.enc.yaml"
    f.write_bytes(data)
    return run_sops(sops_bin, ["decrypt", str(f)], env, tmp_path).decode()


def secretsops_encrypts(keys: list[MasterKey], env: dict[str, str], plain: str) -> bytes:
    return encrypt_bytes(
        plain.encode(), "yaml", groups=[keys], options=EncryptOptions(), ctx=KeyContext(env=env)
    )


def secretsops_decrypts(env: dict[str, str], data: bytes) -> str:
    return decrypt_bytes(data, "yaml", ctx=KeyContext(env=env)).decode()


def stanzas(data: bytes, kind: str) -> list[dict]:
    return yaml.safe_load(data)["sops"][kind]


def plain_text(canary: str) -> str:
    return f"db:\n    password: {canary}\n    port: 5432\n"


# --- AWS KMS (moto) ---------------------------------------------------------------------------


def test_sops_kms_file_with_role_and_context_decrypts_in_secretsops(
    sops_bin, aws_env, kms_arn, tmp_path, canary
):
    data = sops_encrypts(
        sops_bin,
        ["--kms", f"{kms_arn}+{ROLE}", "--encryption-context", "team:db,env:prod"],
        aws_env,
        tmp_path,
        plain_text(canary),
    )
    (stanza,) = stanzas(data, "kms")
    assert list(stanza) == ["arn", "role", "context", "created_at", "enc", "aws_profile"]
    assert list(KmsKeySource.from_metadata(stanza).to_metadata().items()) == list(stanza.items())
    assert secretsops_decrypts(aws_env, data) == plain_text(canary)


def test_secretsops_kms_file_decrypts_in_sops(sops_bin, aws_env, kms_arn, tmp_path, canary):
    keys = KmsKeySource.from_cli(f"{kms_arn}+{ROLE}", {"encryption_context": "app:web"})
    data = secretsops_encrypts(keys, aws_env, plain_text(canary))
    assert sops_decrypts(sops_bin, aws_env, tmp_path, data) == plain_text(canary)


def test_sops_rejects_what_secretsops_rejects_context_mismatch(sops_bin, aws_env, kms_arn, tmp_path, canary):
    data = secretsops_encrypts([KmsKeySource(kms_arn, context={"env": "prod"})], aws_env, plain_text(canary))
    tampered = data.replace(b"env: prod", b"env: dev")
    f = tmp_path / "t.enc.yaml"
    f.write_bytes(tampered)
    proc = subprocess.run(
        [sops_bin, "decrypt", str(f)],
        env={"PATH": os.environ["PATH"], **aws_env},
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 128
    from secretsops.errors import NoKeyRetrieved

    with pytest.raises(NoKeyRetrieved) as err:
        secretsops_decrypts(aws_env, tampered)
    assert "encryption context" in str(err.value)
    assert_no_canary(canary, str(err.value))


# --- Vault / OpenBao transit ------------------------------------------------------------------


def test_sops_vault_file_decrypts_in_secretsops(
    sops_bin, vault_env, openbao: Service, transit_key, tmp_path, canary
):
    uri = f"{openbao.url}/v1/transit/keys/{transit_key}"
    data = sops_encrypts(sops_bin, ["--hc-vault-transit", uri], vault_env, tmp_path, plain_text(canary))
    (stanza,) = stanzas(data, "hc_vault")
    assert list(stanza) == ["vault_address", "engine_path", "key_name", "created_at", "enc"]
    assert list(VaultTransitKeySource.from_metadata(stanza).to_metadata().items()) == list(stanza.items())
    assert secretsops_decrypts(vault_env, data) == plain_text(canary)


def test_secretsops_vault_file_decrypts_in_sops(
    sops_bin, vault_env, openbao: Service, transit_key, tmp_path, canary
):
    keys = VaultTransitKeySource.from_cli(f"{openbao.url}/v1/transit/keys/{transit_key}", {})
    data = secretsops_encrypts(keys, vault_env, plain_text(canary))
    assert sops_decrypts(sops_bin, vault_env, tmp_path, data) == plain_text(canary)


def test_sops_and_secretsops_agree_on_nested_engine_paths(
    sops_bin, vault_env, openbao: Service, tmp_path, canary
):
    import hvac

    client = hvac.Client(url=openbao.url, token=openbao.token)
    mount = "apps/prod/transit"
    if f"{mount}/" not in client.sys.list_mounted_secrets_engines()["data"]:
        client.sys.enable_secrets_engine("transit", path=mount)
    client.secrets.transit.create_key(name="web", mount_point=mount)
    uri = f"{openbao.url}/v1/{mount}/keys/web"
    data = sops_encrypts(sops_bin, ["--hc-vault-transit", uri], vault_env, tmp_path, plain_text(canary))
    assert stanzas(data, "hc_vault")[0]["engine_path"] == mount
    assert VaultTransitKeySource.from_cli(uri, {})[0].to_metadata()["engine_path"] == mount
    assert secretsops_decrypts(vault_env, data) == plain_text(canary)


# --- PGP (gpg) --------------------------------------------------------------------------------


def test_sops_pgp_file_decrypts_in_secretsops(sops_bin, gpg_home, tmp_path, canary):
    data = sops_encrypts(
        sops_bin, ["--pgp", gpg_home.fingerprint], gpg_home.env(), tmp_path, plain_text(canary)
    )
    (stanza,) = stanzas(data, "pgp")
    assert list(stanza) == ["created_at", "enc", "fp"] and stanza["fp"] == gpg_home.fingerprint
    assert list(PgpKeySource.from_metadata(stanza).to_metadata().items()) == list(stanza.items())
    assert secretsops_decrypts(gpg_home.env(), data) == plain_text(canary)


def test_secretsops_pgp_file_decrypts_in_sops(sops_bin, gpg_home, tmp_path, canary):
    data = secretsops_encrypts(
        PgpKeySource.from_cli(gpg_home.fingerprint, {}), gpg_home.env(), plain_text(canary)
    )
    assert sops_decrypts(sops_bin, gpg_home.env(), tmp_path, data) == plain_text(canary)


def test_all_three_key_sources_in_one_file_round_trip(
    sops_bin, aws_env, kms_arn, vault_env, openbao: Service, transit_key, gpg_home, tmp_path, canary
):
    env = {**aws_env, **vault_env, **gpg_home.env()}
    keys: list[MasterKey] = [
        KmsKeySource(kms_arn),
        VaultTransitKeySource(openbao.url, "transit", transit_key),
        PgpKeySource(gpg_home.fingerprint),
    ]
    data = secretsops_encrypts(keys, env, plain_text(canary))
    assert sops_decrypts(sops_bin, env, tmp_path, data) == plain_text(canary)
    ctx = KeyContext(env=env)
    assert decrypt_bytes(data, "yaml", ctx=ctx).decode() == plain_text(canary)
    assert ctx.calls.get("kms", 0) == 0 and ctx.calls.get("hc_vault", 0) == 0  # local pgp tried first


def test_sops_kms_file_with_aws_profile_uses_that_profile(sops_bin, moto: Service, kms_arn, tmp_path, canary):
    creds = tmp_path / "credentials"
    creds.write_text("[team]\naws_access_key_id = team-key\naws_secret_access_key = team-secret\n")
    env = {
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_SHARED_CREDENTIALS_FILE": str(creds),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    data = sops_encrypts(
        sops_bin, ["--kms", kms_arn, "--aws-profile", "team"], env, tmp_path, plain_text(canary)
    )
    assert stanzas(data, "kms")[0]["aws_profile"] == "team"
    assert secretsops_decrypts(env, data) == plain_text(canary)
    keys = KmsKeySource.from_cli(kms_arn, {"aws_profile": "team"})
    assert sops_decrypts(
        sops_bin, env, tmp_path, secretsops_encrypts(keys, env, plain_text(canary))
    ) == plain_text(canary)
