"""The ``vault`` provider against a real OpenBao dev server: ESO's reads, paths and finds."""

from __future__ import annotations

import json

import hvac
import pytest

from secretsops.errors import ExternalError
from secretsops.external.resolve import ANNOTATION_DATA_HASH, LABEL_MANAGED, LABEL_OWNER, object_hash_of_data
from secretsops_devstack.services import Service
from tests.external.manifests import external_secret, secret_values, token_secret, vault_store


def _objs(openbao: Service, es: dict, **store_kw) -> list[dict]:
    return [vault_store(openbao.url, **store_kw), token_secret("vault-token", openbao.token), es]


def test_kv2_property_selects_one_value(bao: hvac.Client, openbao: Service, resolve, uniq: str) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/db", {"username": "app", "password": "s3cret"}, mount_point="secret"
    )
    es = external_secret(
        data=[{"secretKey": "password", "remoteRef": {"key": f"{uniq}/db", "property": "password"}}]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "app-db-secret"
    assert secret["metadata"]["namespace"] == "apps"
    assert secret_values(secret) == {"password": "s3cret"}


def test_kv2_without_property_is_the_whole_secret_as_go_json(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/cfg", {"b": "x<y", "a": 5432, "n": {"k": True}}, mount_point="secret"
    )
    es = external_secret(data=[{"secretKey": "all", "remoteRef": {"key": f"{uniq}/cfg"}}])
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret)["all"] == '{"a":5432,"b":"x\\u003cy","n":{"k":true}}'


def test_nested_property_uses_gjson_path(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/conn", {"conn": {"pass": "deep", "ports": [5432, 5433]}}, mount_point="secret"
    )
    es = external_secret(
        data=[
            {"secretKey": "pass", "remoteRef": {"key": f"{uniq}/conn", "property": "conn.pass"}},
            {"secretKey": "port", "remoteRef": {"key": f"{uniq}/conn", "property": "conn.ports.1"}},
            {"secretKey": "conn", "remoteRef": {"key": f"{uniq}/conn", "property": "conn"}},
        ]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {
        "pass": "deep",
        "port": "5433",
        "conn": '{"pass":"deep","ports":[5432,5433]}',
    }


def test_exact_key_with_a_dot_wins_over_the_nested_path(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/dots", {"conn.pass": "flat", "conn": {"pass": "nested"}}, mount_point="secret"
    )
    es = external_secret(
        data=[{"secretKey": "p", "remoteRef": {"key": f"{uniq}/dots", "property": "conn.pass"}}]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"p": "flat"}


def test_kv2_version_reads_an_older_version(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/rot", {"token": "v1-value"}, mount_point="secret")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/rot", {"token": "v2-value"}, mount_point="secret")
    es = external_secret(
        data=[
            {"secretKey": "old", "remoteRef": {"key": f"{uniq}/rot", "property": "token", "version": "1"}},
            {"secretKey": "new", "remoteRef": {"key": f"{uniq}/rot", "property": "token"}},
        ]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"old": "v1-value", "new": "v2-value"}


def test_kv1_mount_reads_without_data_segment(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v1.create_or_update_secret(f"{uniq}/legacy", {"api_key": "k1"}, mount_point="kv1")
    es = external_secret(
        data=[{"secretKey": "key", "remoteRef": {"key": f"{uniq}/legacy", "property": "api_key"}}]
    )
    [secret] = resolve(_objs(openbao, es, path="kv1", version="v1"))
    assert secret_values(secret) == {"key": "k1"}


def test_store_without_path_takes_the_mount_from_the_key(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/nopath", {"v": "ok"}, mount_point="secret")
    es = external_secret(
        data=[{"secretKey": "v", "remoteRef": {"key": f"secret/{uniq}/nopath", "property": "v"}}]
    )
    [secret] = resolve(_objs(openbao, es, path=None))
    assert secret_values(secret) == {"v": "ok"}


def test_key_repeating_the_mount_is_not_doubled(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/dup", {"v": "ok"}, mount_point="secret")
    es = external_secret(
        data=[{"secretKey": "v", "remoteRef": {"key": f"secret/data/{uniq}/dup", "property": "v"}}]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"v": "ok"}


def test_extract_spreads_all_keys_and_data_overwrites(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/app", {"user": "u", "port": 5432, "ratio": 1.5, "tls": {"on": True}}, mount_point="secret"
    )
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/override", {"user": "admin"}, mount_point="secret")
    es = external_secret(
        data_from=[{"extract": {"key": f"{uniq}/app"}}],
        data=[{"secretKey": "user", "remoteRef": {"key": f"{uniq}/override", "property": "user"}}],
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"user": "admin", "port": "5432", "ratio": "1.5", "tls": '{"on":true}'}


def test_later_data_from_entries_overwrite_earlier_ones(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/base", {"a": "1", "b": "1"}, mount_point="secret")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/env", {"b": "2"}, mount_point="secret")
    es = external_secret(
        data_from=[{"extract": {"key": f"{uniq}/base"}}, {"extract": {"key": f"{uniq}/env"}}]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"a": "1", "b": "2"}


def test_find_by_name_keeps_paths_with_slashes_as_underscores(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/svc/one", {"k": "1"}, mount_point="secret")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/svc/deep/two", {"k": "2"}, mount_point="secret")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/other", {"k": "3"}, mount_point="secret")
    es = external_secret(data_from=[{"find": {"path": uniq, "name": {"regexp": "svc/"}}}])
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {f"{uniq}_svc_one": '{"k":"1"}', f"{uniq}_svc_deep_two": '{"k":"2"}'}


def test_find_rewrite_regexp_uses_go_replacement_syntax(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/svc/alpha", {"k": "a"}, mount_point="secret")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/svc/beta", {"k": "b"}, mount_point="secret")
    es = external_secret(
        data_from=[
            {
                "find": {"path": f"{uniq}/svc", "name": {"regexp": ".*"}},
                "rewrite": [{"regexp": {"source": f"{uniq}/svc/(?P<name>.*)", "target": "SVC_${name}"}}],
            }
        ]
    )
    [secret] = resolve(_objs(openbao, es))
    assert set(secret_values(secret)) == {"SVC_alpha", "SVC_beta"}


def test_find_by_custom_metadata_tags(bao, openbao, resolve, uniq) -> None:
    for name, team in (("a", "red"), ("b", "blue")):
        bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/{name}", {"v": name}, mount_point="secret")
        bao.secrets.kv.v2.update_metadata(
            f"{uniq}/{name}", custom_metadata={"team": team}, mount_point="secret"
        )
    es = external_secret(data_from=[{"find": {"path": uniq, "tags": {"team": "red"}}}])
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {f"{uniq}_a": '{"v":"a"}'}


def test_metadata_policy_fetch_returns_custom_metadata(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/meta", {"v": "x"}, mount_point="secret")
    bao.secrets.kv.v2.update_metadata(
        f"{uniq}/meta", custom_metadata={"owner": "team-a"}, mount_point="secret"
    )
    es = external_secret(
        data=[
            {
                "secretKey": "owner",
                "remoteRef": {"key": f"{uniq}/meta", "property": "owner", "metadataPolicy": "Fetch"},
            }
        ]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"owner": "team-a"}


def test_decoding_strategy_base64_decodes_the_value(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/b64", {"cert": "aGVsbG8="}, mount_point="secret")
    es = external_secret(
        data=[
            {
                "secretKey": "c",
                "remoteRef": {"key": f"{uniq}/b64", "property": "cert", "decodingStrategy": "Base64"},
            }
        ]
    )
    [secret] = resolve(_objs(openbao, es))
    assert secret_values(secret) == {"c": "hello"}


def test_eso_markers_and_owner_label_are_set(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/m", {"v": "x"}, mount_point="secret")
    es = external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/m", "property": "v"}}])
    es["metadata"]["uid"] = "1f0c2b9e-0000-4000-8000-000000000001"
    [secret] = resolve(_objs(openbao, es))
    meta = secret["metadata"]
    assert meta["labels"][LABEL_MANAGED] == "true"
    assert len(meta["labels"][LABEL_OWNER]) == 56
    assert meta["annotations"][ANNOTATION_DATA_HASH] == object_hash_of_data({"v": b"x"})
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "name": "app-db",
            "uid": "1f0c2b9e-0000-4000-8000-000000000001",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def test_orphan_policy_sets_no_owner(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/o", {"v": "x"}, mount_point="secret")
    es = external_secret(
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/o", "property": "v"}}],
        target={"name": "orphan", "creationPolicy": "Orphan"},
    )
    es["metadata"]["uid"] = "u-1"
    [secret] = resolve(_objs(openbao, es))
    assert "ownerReferences" not in secret["metadata"]
    assert LABEL_OWNER not in secret["metadata"]["labels"]


def test_creation_policy_none_writes_nothing(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/n", {"v": "x"}, mount_point="secret")
    es = external_secret(
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/n", "property": "v"}}],
        target={"creationPolicy": "None"},
    )
    assert resolve(_objs(openbao, es)) == []


def test_target_name_defaults_to_the_external_secret_name(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/d", {"v": "x"}, mount_point="secret")
    es = external_secret(
        "plain-name", data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/d", "property": "v"}}]
    )
    del es["spec"]["target"]
    [secret] = resolve(_objs(openbao, es))
    assert secret["metadata"]["name"] == "plain-name"
    assert secret["type"] == "Opaque"


def test_one_read_per_path_whatever_the_number_of_properties(bao, openbao, resolve, uniq, counter) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/many", {f"k{i}": str(i) for i in range(5)}, mount_point="secret"
    )
    es = external_secret(
        data=[
            {"secretKey": f"k{i}", "remoteRef": {"key": f"{uniq}/many", "property": f"k{i}"}}
            for i in range(5)
        ],
        data_from=[{"extract": {"key": f"{uniq}/many"}}],
    )
    resolve(_objs(openbao, es))
    assert counter == {"vault.read": 1}


def test_v1beta1_manifests_resolve_unchanged(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/beta", {"v": "x"}, mount_point="secret")
    es = external_secret(
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/beta", "property": "v"}}],
        api="external-secrets.io/v1beta1",
    )
    objs = [
        vault_store(openbao.url, api="external-secrets.io/v1beta1"),
        token_secret("vault-token", openbao.token),
        es,
    ]
    [secret] = resolve(objs)
    assert secret_values(secret) == {"v": "x"}


def test_cluster_secret_store_reads_auth_secret_from_its_named_namespace(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/c", {"v": "x"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        name="global",
        kind="ClusterSecretStore",
        auth={"tokenSecretRef": {"name": "bao-root", "namespace": "platform", "key": "token"}},
    )
    es = external_secret(
        store="global",
        store_kind="ClusterSecretStore",
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/c", "property": "v"}}],
    )
    [secret] = resolve([store, token_secret("bao-root", openbao.token, namespace="platform"), es])
    assert secret_values(secret) == {"v": "x"}


def test_secret_store_cannot_read_auth_secret_from_another_namespace(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/c", {"v": "x"}, mount_point="secret")
    store = vault_store(
        openbao.url, auth={"tokenSecretRef": {"name": "bao-root", "namespace": "platform", "key": "token"}}
    )
    es = external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/c", "property": "v"}}])
    with pytest.raises(ExternalError, match="cannot get Kubernetes secret 'bao-root' from namespace 'apps'"):
        resolve([store, token_secret("bao-root", openbao.token, namespace="platform"), es])


def test_cluster_store_conditions_restrict_namespaces(bao, openbao, resolve, uniq) -> None:
    store = vault_store(
        openbao.url,
        name="global",
        kind="ClusterSecretStore",
        auth={"tokenSecretRef": {"name": "vault-token", "namespace": "apps", "key": "token"}},
    )
    store["spec"]["conditions"] = [{"namespaces": ["payments"]}]
    es = external_secret(
        store="global",
        store_kind="ClusterSecretStore",
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/c", "property": "v"}}],
    )
    with pytest.raises(ExternalError, match="does not allow namespace 'apps'"):
        resolve([store, token_secret("vault-token", openbao.token), es])


def test_whole_secret_json_round_trips_numbers_as_literals(bao, openbao, resolve, uniq) -> None:
    # written through the HTTP API so the literal 1.50 reaches the server as typed
    bao.adapter.post(f"/v1/secret/data/{uniq}/num", json={"data": {"n": 1.5, "i": 10}})
    es = external_secret(data=[{"secretKey": "all", "remoteRef": {"key": f"{uniq}/num"}}])
    [secret] = resolve(_objs(openbao, es))
    assert json.loads(secret_values(secret)["all"]) == {"n": 1.5, "i": 10}


def test_cluster_store_shared_by_namespaces_reads_each_path_once(bao, openbao, uniq) -> None:
    from secretsops.decryptors.base import DecryptContext, run_decryptors
    from secretsops.decryptors.external import ExternalDecryptor
    from secretsops.manifests import SourcedObject

    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/shared", {"v": "x"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        name="global",
        kind="ClusterSecretStore",
        auth={"tokenSecretRef": {"name": "bao-root", "namespace": "platform", "key": "token"}},
    )
    items = [
        SourcedObject(store),
        SourcedObject(token_secret("bao-root", openbao.token, namespace="platform")),
    ]
    for ns in ("team-a", "team-b", "team-c"):
        items.append(
            SourcedObject(
                external_secret(
                    store="global",
                    store_kind="ClusterSecretStore",
                    namespace=ns,
                    data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/shared", "property": "v"}}],
                )
            )
        )
    ctx = DecryptContext()
    out = run_decryptors(items, [ExternalDecryptor()], ctx)
    assert sorted(
        o.obj["metadata"]["namespace"] for o in out if o.obj["metadata"]["name"] == "app-db-secret"
    ) == [
        "team-a",
        "team-b",
        "team-c",
    ]
    assert ctx.calls == {"vault.read": 1}


def test_find_by_path_alone_takes_everything_under_it(bao, openbao, resolve, uniq, counter) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/all/a", {"k": "1"}, mount_point="secret")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/all/b", {"k": "2"}, mount_point="secret")
    es = external_secret(data_from=[{"find": {"path": f"{uniq}/all"}}])
    [secret] = resolve(_objs(openbao, es))
    assert set(secret_values(secret)) == {f"{uniq}_all_a", f"{uniq}_all_b"}
    assert counter == {"vault.list": 1, "vault.read": 2}
