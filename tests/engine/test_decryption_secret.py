"""Flux's decryption Secret becomes sops' own variables, in memory."""

from __future__ import annotations

import base64

import pytest

from secretsops.engine.decryption_secret import key_context
from secretsops.errors import EngineError


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_flux_secret_keys_map_to_sops_variables() -> None:
    secret = {
        "data": {
            "a.agekey": b64("AGE-SECRET-KEY-1AAA\n"),
            "b.agekey": b64("AGE-SECRET-KEY-1BBB"),
            "sops.vault-token": b64("s.token\n"),
            "sops.aws-kms": b64("aws_access_key_id: AK\naws_secret_access_key: SK\n"),
        }
    }
    env = key_context({"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_TOKEN": "old"}, secret, "ns/keys").env
    assert env["SOPS_AGE_KEY"] == "AGE-SECRET-KEY-1AAA\nAGE-SECRET-KEY-1BBB\n"
    assert env["VAULT_TOKEN"] == "s.token" and env["VAULT_ADDR"] == "http://127.0.0.1:1"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AK", "SK")


def test_environment_alone_works_without_a_secret() -> None:
    assert key_context({"SOPS_AGE_KEY": "k"}, None).env == {"SOPS_AGE_KEY": "k"}


def test_undecodable_entry_names_the_key_not_the_value() -> None:
    with pytest.raises(EngineError, match="'x.agekey'") as err:
        key_context({}, {"data": {"x.agekey": "%%%not-base64-CANARY"}}, "ns/keys")
    assert "CANARY" not in str(err.value)
