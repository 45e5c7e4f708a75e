"""Key flags reach the other key sources through the registry (Vault transit on a real OpenBao)."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from secretsops.cli.main import main
from secretsops.keysources.base import KeyContext
from secretsops.sops import api


@pytest.fixture
def transit_uri(openbao, vault_env):
    import hvac

    name = "sops-cli-" + os.urandom(3).hex()
    hvac.Client(url=openbao.url, token=openbao.token).secrets.transit.create_key(name=name)
    return f"{openbao.url}/v1/transit/keys/{name}"


def test_hc_vault_transit_flag_encrypts_a_file_sops_decrypts(
    tmp_path, transit_uri, vault_env, sops_bin, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("token: abc\n")
    assert main(["encrypt", "--hc-vault-transit", transit_uri, "s.yaml", "--output", "e.yaml"]) == 0
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **vault_env}
    out = subprocess.run(
        [sops_bin, "decrypt", "e.yaml"], cwd=tmp_path, env=env, capture_output=True, check=True
    )
    assert out.stdout == b"token: abc\n"


def test_local_age_key_is_tried_before_the_network_service(
    tmp_path, transit_uri, vault_env, age_key, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("token: abc\n")
    assert (
        main(["encrypt", "--hc-vault-transit", transit_uri, "--age", age_key.recipient, "s.yaml", "-i"]) == 0
    )
    ctx = KeyContext.from_environ({**vault_env, "SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    plain = api.decrypt_bytes((tmp_path / "s.yaml").read_bytes(), "yaml", ctx=ctx)
    assert yaml.safe_load(plain) == {"token": "abc"}
    assert ctx.calls == {"age": 1}
    # and with --decryption-order the network key goes first
    ctx2 = KeyContext.from_environ({**vault_env, "SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    api.decrypt_bytes((tmp_path / "s.yaml").read_bytes(), "yaml", ctx=ctx2, decryption_order=["hc_vault"])
    assert ctx2.calls == {"hc_vault": 1}
