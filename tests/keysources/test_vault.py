"""Vault/OpenBao transit key source against a real OpenBao dev server."""

from __future__ import annotations

import time
import uuid

import pytest

from secretsops.errors import InputError, KeySourceError, TemporaryKeySourceError
from secretsops.keysources.base import KeyContext
from secretsops.keysources.vault import VaultTransitKeySource
from secretsops_devstack.services import Service, free_port

DATA_KEY = bytes(range(100, 132))


def test_wrap_then_unwrap_returns_the_data_key(vault_env, openbao: Service, transit_key):
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    key.wrap(DATA_KEY, KeyContext(env=vault_env))
    assert key.enc.startswith("vault:v1:")
    again = VaultTransitKeySource.from_metadata(key.to_metadata())
    assert again.unwrap(KeyContext(env=vault_env)) == DATA_KEY


def test_stanza_has_sops_field_order():
    key = VaultTransitKeySource(
        "https://v:8200", "transit", "k", enc="vault:v1:x", created_at="2024-01-01T00:00:00Z"
    )
    assert list(key.to_metadata()) == ["vault_address", "engine_path", "key_name", "created_at", "enc"]


def test_uri_splits_address_engine_path_and_key_name():
    (key,) = VaultTransitKeySource.from_cli("https://vault.example.com:8200/v1/transit/keys/app", {})
    assert (key.vault_address, key.engine_path, key.key_name) == (  # type: ignore[attr-defined]
        "https://vault.example.com:8200",
        "transit",
        "app",
    )
    assert key.identifier == "https://vault.example.com:8200/v1/transit/keys/app"


def test_engine_paths_may_contain_slashes():
    (key,) = VaultTransitKeySource.from_rule(["http://127.0.0.1:8200/v1/team/a/transit/keys/app"])
    assert key.engine_path == "team/a/transit" and key.key_name == "app"  # type: ignore[attr-defined]


def test_several_uris_are_comma_separated():
    keys = VaultTransitKeySource.from_cli("http://a:1/v1/transit/keys/x,http://b:2/v1/t2/keys/y", {})
    assert [k.identifier for k in keys] == ["http://a:1/v1/transit/keys/x", "http://b:2/v1/t2/keys/y"]


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("vault.example.com/v1/transit/keys/x", "missing scheme"),
        ("https://vault.example.com/prefix/v1/transit/keys/x", "prefixed URL"),
        ("https://vault.example.com/v1/transit", "not seem to be formatted"),
    ],
)
def test_malformed_uris_are_rejected_like_sops(uri, reason):
    with pytest.raises(InputError, match=reason):
        VaultTransitKeySource.from_uri(uri)


def test_nested_engine_path_round_trips(vault_env, openbao: Service):
    import hvac

    client = hvac.Client(url=openbao.url, token=openbao.token)
    mount = f"team/{uuid.uuid4().hex[:6]}/transit"
    client.sys.enable_secrets_engine("transit", path=mount)
    client.secrets.transit.create_key(name="app", mount_point=mount)
    (key,) = VaultTransitKeySource.from_cli(f"{openbao.url}/v1/{mount}/keys/app", {})
    key.wrap(DATA_KEY, KeyContext(env=vault_env))
    assert key.unwrap(KeyContext(env=vault_env)) == DATA_KEY


def test_the_keys_own_address_wins_over_vault_addr(openbao: Service, transit_key):
    env = {"VAULT_ADDR": f"http://127.0.0.1:{free_port()}", "VAULT_TOKEN": openbao.token}
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    key.wrap(DATA_KEY, KeyContext(env=env))
    assert key.unwrap(KeyContext(env=env)) == DATA_KEY


def test_token_is_read_from_home_vault_token_file(openbao: Service, transit_key, tmp_path):
    (tmp_path / ".vault-token").write_text(openbao.token + "\n")
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    key.wrap(DATA_KEY, KeyContext(env={"HOME": str(tmp_path)}))
    assert key.unwrap(KeyContext(env={"HOME": str(tmp_path)})) == DATA_KEY


def test_bad_token_is_permission_denied(openbao: Service, transit_key):
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    with pytest.raises(KeySourceError, match="permission denied") as err:
        key.wrap(DATA_KEY, KeyContext(env={"VAULT_TOKEN": "not-a-token"}))
    assert transit_key in str(err.value)


def test_missing_token_says_where_tokens_come_from(openbao: Service, transit_key, tmp_path):
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    with pytest.raises(KeySourceError, match="VAULT_TOKEN"):
        key.wrap(DATA_KEY, KeyContext(env={"HOME": str(tmp_path)}))


def test_token_without_transit_policy_is_denied(vault_env, openbao: Service, transit_key):
    import hvac

    client = hvac.Client(url=openbao.url, token=openbao.token)
    client.sys.create_or_update_policy("nothing", 'path "secret/*" { capabilities = ["read"] }')
    token = client.auth.token.create(policies=["nothing"], no_default_policy=True)["auth"]["client_token"]
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    key.wrap(DATA_KEY, KeyContext(env=vault_env))
    with pytest.raises(KeySourceError, match="permission denied"):
        key.unwrap(KeyContext(env={"VAULT_TOKEN": token}))


def test_wrong_transit_key_cannot_unwrap(vault_env, openbao: Service, transit_key):
    import hvac

    hvac.Client(url=openbao.url, token=openbao.token).secrets.transit.create_key(name="other-" + transit_key)
    key = VaultTransitKeySource(openbao.url, "transit", transit_key)
    key.wrap(DATA_KEY, KeyContext(env=vault_env))
    wrong = VaultTransitKeySource(openbao.url, "transit", "other-" + transit_key, enc=key.enc)
    with pytest.raises(KeySourceError) as err:
        wrong.unwrap(KeyContext(env=vault_env))
    assert "other-" + transit_key in str(err.value)


def test_missing_transit_key_is_reported_with_the_key(vault_env, openbao: Service):
    key = VaultTransitKeySource(openbao.url, "transit", "does-not-exist", enc="vault:v1:AAAA")
    with pytest.raises(KeySourceError, match="does-not-exist"):
        key.unwrap(KeyContext(env=vault_env))


def test_server_down_fails_fast_as_temporary():
    key = VaultTransitKeySource(f"http://127.0.0.1:{free_port()}", "transit", "k")
    start = time.monotonic()
    with pytest.raises(TemporaryKeySourceError, match="unreachable"):
        key.wrap(DATA_KEY, KeyContext(env={"VAULT_TOKEN": "t"}))
    assert time.monotonic() - start < 30


def test_one_client_per_server_address(vault_env, openbao: Service, transit_key):
    ctx = KeyContext(env=vault_env)
    for _ in range(3):
        key = VaultTransitKeySource(openbao.url, "transit", transit_key)
        key.wrap(DATA_KEY, ctx)
        key.unwrap(ctx)
    assert list(ctx.clients) == [("hc_vault", openbao.url)]
