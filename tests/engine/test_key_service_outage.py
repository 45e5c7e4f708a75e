"""Vault transit down: cached data keys keep unchanged files working; new files fail temporarily."""

from __future__ import annotations

import base64

import hvac

from secretsops.keysources.base import KeyContext
from secretsops.keysources.vault import VaultTransitKeySource
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from secretsops_devstack.services import openbao_dev


def outage_flow(harness, tmp_path):  # type: ignore[no-untyped-def]
    """Apply with Vault up; stop Vault; drift, a config-only commit, then a new encrypted file."""
    with openbao_dev(log=tmp_path / "bao.log") as bao:
        client = hvac.Client(url=bao.url, token=bao.token)
        client.sys.enable_secrets_engine("transit", path="transit")
        client.secrets.transit.create_key(name="engine")
        key = VaultTransitKeySource.from_uri(f"{bao.url}/v1/transit/keys/engine")
        ctx = KeyContext(env={"VAULT_TOKEN": bao.token})

        def encrypted(text: str) -> bytes:
            return encrypt_bytes(text.encode(), "dotenv", groups=[[key]], options=EncryptOptions(), ctx=ctx)

        later = encrypted("PASSWORD=new\n")  # encrypted now, committed while Vault is down
        harness.core().patch_namespaced_secret(
            "sops-age",
            "secretsops-system",
            {"data": {"sops.vault-token": base64.b64encode(b"root").decode()}},
        )
        harness.write_app({"A": "1"}, {"cm-a": "1"})
        harness.repo.write("apps/db.env", encrypted("PASSWORD=old\n"))
        harness.repo.commit()
        eng = harness.engine()
        (res,) = eng.run_once()
        assert res.ok, res.error
        metrics = eng.engine.deps.metrics.registry
        labels = {"source": "apps", "key_source": "hc_vault"}
        assert metrics.get_sample_value("secretsops_decrypt_calls_total", labels) == 1
    # Vault is gone from here on.
    assert eng.run_once()[0].ok  # no git change: no render, no decrypt
    harness.core().patch_namespaced_secret("db", "apps", {"data": {"PASSWORD": "ZXZpbA=="}})
    (res,) = eng.run_once()
    assert res.ok and res.healed and harness.secret() == {"PASSWORD": "old"}
    unchanged = harness.repo.path.joinpath("apps/db.env").read_bytes()
    harness.write_app({"A": "1"}, {"cm-a": "2"})
    harness.repo.write("apps/db.env", unchanged)
    harness.repo.commit("config change only")
    (res,) = eng.run_once()
    assert res.ok and harness.configmaps() == {"cm-a": "2"}
    assert metrics.get_sample_value("secretsops_decrypt_calls_total", labels) == 1
    harness.write_app({"A": "1"}, {"cm-a": "3"})
    harness.repo.write("apps/db.env", later)
    harness.repo.commit("new secret value")
    (res,) = eng.run_once()
    assert not res.ok and res.reason == "DecryptionFailed" and "unreachable" in res.error
    assert harness.secret() == {"PASSWORD": "old"} and harness.configmaps() == {"cm-a": "2"}
    assert "new" not in res.error
    return res


def test_cached_data_keys_carry_unchanged_files_through_a_vault_outage(harness, tmp_path) -> None:
    res = outage_flow(harness, tmp_path)
    assert res.error.count("unreachable") >= 1


def test_vault_outage_is_a_temporary_failure(harness, tmp_path) -> None:
    res = outage_flow(harness, tmp_path)
    assert res.temporary
