"""Vault/OpenBao auth methods and fail-closed behaviour against real servers."""

from __future__ import annotations

import time

import hvac
import pytest

from secretsops.errors import ExternalError, InputError, ProviderUnavailable
from secretsops.external.providers.base import NoSecret
from secretsops.external.resolve import ExternalCache
from secretsops_devstack.services import free_port, openbao_dev
from tests.external.manifests import external_secret, secret_values, token_secret, vault_store
from tests.helpers import assert_no_canary


@pytest.fixture(scope="module")
def approle(bao: hvac.Client) -> tuple[str, str]:
    bao.auth.approle.create_or_update_approle("eso", token_policies=["read-all"], token_ttl="1h")
    role_id = bao.auth.approle.read_role_id("eso")["data"]["role_id"]
    secret_id = bao.auth.approle.generate_secret_id("eso")["data"]["secret_id"]
    return role_id, secret_id


def _one_key(uniq: str) -> dict:
    return external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/x", "property": "v"}}])


def test_approle_with_inline_role_id(bao, openbao, resolve, uniq, approle, counter) -> None:
    role_id, secret_id = approle
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "via-approle"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        auth={
            "appRole": {
                "path": "approle",
                "roleId": role_id,
                "secretRef": {"name": "approle", "key": "secret-id"},
            }
        },
    )
    [secret] = resolve([store, token_secret("approle", secret_id, key="secret-id"), _one_key(uniq)])
    assert secret_values(secret) == {"v": "via-approle"}
    assert counter["vault.login"] == 1


def test_approle_with_role_ref(bao, openbao, resolve, uniq, approle) -> None:
    role_id, secret_id = approle
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "ok"}, mount_point="secret")
    creds = token_secret("approle", secret_id, key="secret-id")
    creds["data"].update(token_secret("r", role_id, key="role-id")["data"])
    store = vault_store(
        openbao.url,
        auth={
            "appRole": {
                "path": "approle",
                "roleRef": {"name": "approle", "key": "role-id"},
                "secretRef": {"name": "approle", "key": "secret-id"},
            }
        },
    )
    [secret] = resolve([store, creds, _one_key(uniq)])
    assert secret_values(secret) == {"v": "ok"}


def test_login_token_is_reused_across_passes(bao, openbao, resolve, uniq, approle, counter) -> None:
    role_id, secret_id = approle
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "ok"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        auth={
            "appRole": {
                "roleId": role_id,
                "path": "approle",
                "secretRef": {"name": "approle", "key": "secret-id"},
            }
        },
    )
    objs = [store, token_secret("approle", secret_id, key="secret-id"), _one_key(uniq)]
    cache = ExternalCache()
    for _ in range(3):
        cache.begin_pass()
        resolve(objs, cache=cache)
    assert counter == {"vault.login": 1, "vault.read": 3}


def test_revoked_login_token_triggers_one_fresh_login(bao, openbao, resolve, uniq, approle, counter) -> None:
    role_id, secret_id = approle
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "ok"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        auth={
            "appRole": {
                "roleId": role_id,
                "path": "approle",
                "secretRef": {"name": "approle", "key": "secret-id"},
            }
        },
    )
    objs = [store, token_secret("approle", secret_id, key="secret-id"), _one_key(uniq)]
    cache = ExternalCache()
    resolve(objs, cache=cache)
    login = next(
        v for k, v in cache.connections.items() if isinstance(k, str) and k.startswith("vault-login:")
    )
    bao.auth.token.revoke(login.token)
    cache.begin_pass()
    [secret] = resolve(objs, cache=cache)
    assert secret_values(secret) == {"v": "ok"}
    assert counter["vault.login"] == 2


def test_userpass_login(bao, openbao, resolve, uniq) -> None:
    bao.auth.userpass.create_or_update_user("eso-user", "pw-123", policies=["read-all"])
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "up"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        auth={
            "userPass": {
                "path": "userpass",
                "username": "eso-user",
                "secretRef": {"name": "up", "key": "password"},
            }
        },
    )
    [secret] = resolve([store, token_secret("up", "pw-123", key="password"), _one_key(uniq)])
    assert secret_values(secret) == {"v": "up"}


def test_openbao_provider_key_reads_relative_to_its_mount(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "bao"}, mount_point="kv")
    store = vault_store(openbao.url, provider_key="openBao", path=None)
    [secret] = resolve([store, token_secret("vault-token", openbao.token), _one_key(uniq)])
    assert secret_values(secret) == {"v": "bao"}


def test_openbao_provider_does_not_follow_nested_paths(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"conn": {"pass": "p"}}, mount_point="kv")
    store = vault_store(openbao.url, provider_key="openBao", path="kv")
    es = external_secret(
        data=[{"secretKey": "p", "remoteRef": {"key": f"{uniq}/x", "property": "conn.pass"}}]
    )
    with pytest.raises(ExternalError, match="cannot find secret data for key: 'conn.pass'"):
        resolve([store, token_secret("vault-token", openbao.token), es])


def test_wrong_token_fails_naming_es_store_and_key(bao, openbao, resolve, uniq, canary) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": canary}, mount_point="secret")
    objs = [vault_store(openbao.url), token_secret("vault-token", "not-a-token"), _one_key(uniq)]
    with pytest.raises(ExternalError) as err:
        resolve(objs)
    msg = str(err.value)
    assert "ExternalSecret apps/app-db" in msg and "SecretStore apps/vault-backend" in msg
    assert f"{uniq}/x" in msg and "permission denied" in msg
    assert_no_canary(canary, msg)
    assert_no_canary("not-a-token", msg)


def test_token_without_policy_is_denied(bao, openbao, resolve, uniq) -> None:
    token = bao.auth.token.create(policies=["nothing"], ttl="10m")["auth"]["client_token"]
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "x"}, mount_point="secret")
    with pytest.raises(ExternalError, match="permission denied"):
        resolve([vault_store(openbao.url), token_secret("vault-token", token), _one_key(uniq)])


def test_missing_path_fails_with_retain(openbao, resolve, uniq) -> None:
    with pytest.raises(
        NoSecret, match=rf"spec.data\[0\] \(remote key '{uniq}/x' property 'v'\).*does not exist"
    ):
        resolve([vault_store(openbao.url), token_secret("vault-token", openbao.token), _one_key(uniq)])


def test_missing_property_fails(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"other": "x"}, mount_point="secret")
    with pytest.raises(ExternalError, match="cannot find secret data for key: 'v'"):
        resolve([vault_store(openbao.url), token_secret("vault-token", openbao.token), _one_key(uniq)])


def test_missing_path_with_deletion_policy_delete_drops_the_secret(openbao, resolve, uniq) -> None:
    es = _one_key(uniq)
    es["spec"]["target"]["deletionPolicy"] = "Delete"
    assert resolve([vault_store(openbao.url), token_secret("vault-token", openbao.token), es]) == []


def test_missing_auth_secret_is_named(openbao, resolve, uniq) -> None:
    with pytest.raises(ExternalError, match="cannot get Kubernetes secret 'vault-token'"):
        resolve([vault_store(openbao.url), _one_key(uniq)])


def test_missing_store_is_named(openbao, resolve, uniq) -> None:
    with pytest.raises(ExternalError, match="SecretStore 'vault-backend' not found in namespace 'apps'"):
        resolve([token_secret("vault-token", openbao.token), _one_key(uniq)])


def test_server_down_is_temporary_and_bounded(resolve, uniq) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="cannot connect") as err:
        resolve(
            [vault_store(url), token_secret("vault-token", "root"), _one_key(uniq)],
            timeout=2.0,
            retries=1,
            backoff=0.05,
        )
    assert time.monotonic() - start < 10
    assert err.value.temporary


def test_sealed_server_is_temporary(resolve, uniq, tmp_path) -> None:
    with openbao_dev(log=tmp_path / "bao.log") as svc:
        hvac.Client(url=svc.url, token=svc.token).sys.seal()
        with pytest.raises(ProviderUnavailable, match="sealed"):
            resolve([vault_store(svc.url), token_secret("vault-token", svc.token), _one_key(uniq)])


def test_no_value_or_token_reaches_debug_logs(bao, openbao, resolve, uniq, approle, canary, caplog) -> None:
    import logging

    role_id, secret_id = approle
    caplog.set_level(logging.DEBUG)
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": canary}, mount_point="secret")
    store = vault_store(
        openbao.url,
        auth={
            "appRole": {"path": "approle", "roleId": role_id, "secretRef": {"name": "a", "key": "secret-id"}}
        },
    )
    caplog.clear()
    [secret] = resolve([store, token_secret("a", secret_id, key="secret-id"), _one_key(uniq)])
    assert secret_values(secret) == {"v": canary}
    assert canary not in caplog.text and secret_id not in caplog.text


def test_slow_server_times_out_as_temporary(resolve, uniq) -> None:
    import socket

    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(ProviderUnavailable, match="did not answer within 1s"):
            resolve(
                [vault_store(url), token_secret("vault-token", "root"), _one_key(uniq)],
                timeout=1.0,
                retries=1,
            )
        assert time.monotonic() - start < 8


def test_store_namespace_reads_inside_an_openbao_namespace(bao, openbao, resolve, uniq) -> None:
    bao.adapter.post(f"/v1/sys/namespaces/{uniq}", json={})
    inside = hvac.Client(url=openbao.url, token=openbao.token, namespace=uniq)
    inside.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    inside.secrets.kv.v2.create_or_update_secret(f"{uniq}/x", {"v": "in-namespace"}, mount_point="secret")
    store = vault_store(openbao.url)
    store["spec"]["provider"]["vault"]["namespace"] = uniq
    [secret] = resolve([store, token_secret("vault-token", openbao.token), _one_key(uniq)])
    assert secret_values(secret) == {"v": "in-namespace"}


def test_openbao_provider_find_by_name_lists_one_level(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/app-a", {"k": "a"}, mount_point="kv")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/app-b", {"k": "b"}, mount_point="kv")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/other", {"k": "o"}, mount_point="kv")
    store = vault_store(openbao.url, provider_key="openBao", path="kv")
    es = external_secret(data_from=[{"find": {"path": uniq, "name": {"regexp": "^app-"}}}])
    [secret] = resolve([store, token_secret("vault-token", openbao.token), es])
    assert secret_values(secret) == {"app-a": '{"k":"a"}', "app-b": '{"k":"b"}'}


def test_openbao_provider_refuses_versions_on_kv1(openbao, resolve, uniq) -> None:
    store = vault_store(openbao.url, provider_key="openBao", path="kv1", version="v1")
    es = external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/x", "version": "2"}}])
    with pytest.raises(InputError, match="KVv1 secrets do not support versioning"):
        resolve([store, token_secret("vault-token", openbao.token), es])
