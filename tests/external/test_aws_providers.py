"""The ``aws`` provider (Secrets Manager and Parameter Store) against a real moto_server."""

from __future__ import annotations

import json

import boto3
import pytest

from secretsops.errors import ExternalError, InputError, ProviderUnavailable
from secretsops.external.providers.base import NoSecret
from secretsops_devstack.services import free_port
from tests.external.manifests import external_secret, secret_values, token_secret

REGION = "us-east-1"


def aws_store(
    service: str = "SecretsManager",
    *,
    auth: dict | None = None,
    role: str | None = None,
    name: str = "aws-store",
    region: str | None = REGION,
) -> dict:
    provider: dict = {"service": service}
    if region:
        provider["region"] = region
    if role:
        provider["role"] = role
    if auth is not None:
        provider["auth"] = auth
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"provider": {"aws": provider}},
    }


STATIC_AUTH = {
    "secretRef": {
        "accessKeyIDSecretRef": {"name": "awssm-secret", "key": "access-key"},
        "secretAccessKeySecretRef": {"name": "awssm-secret", "key": "secret-access-key"},
    }
}


def aws_creds() -> dict:
    creds = token_secret("awssm-secret", "testing", key="access-key")
    creds["data"].update(token_secret("x", "testing", key="secret-access-key")["data"])
    return creds


@pytest.fixture
def sm(aws_env):
    return boto3.client("secretsmanager", region_name=REGION, endpoint_url=aws_env["AWS_ENDPOINT_URL"])


@pytest.fixture
def ssm(aws_env):
    return boto3.client("ssm", region_name=REGION, endpoint_url=aws_env["AWS_ENDPOINT_URL"])


@pytest.fixture
def endpoint_only(aws_env) -> dict:
    """The injected environment when credentials come from the store's secretRef."""
    return {"AWS_ENDPOINT_URL": aws_env["AWS_ENDPOINT_URL"]}


def _es(data=None, data_from=None, store="aws-store"):
    return external_secret("aws-app", store=store, data=data, data_from=data_from)


def test_secrets_manager_property_from_json_secret(sm, resolve, uniq, endpoint_only) -> None:
    sm.create_secret(Name=f"{uniq}/db", SecretString=json.dumps({"password": "pw", "conn": {"host": "db"}}))
    es = _es(
        data=[
            {"secretKey": "password", "remoteRef": {"key": f"{uniq}/db", "property": "password"}},
            {"secretKey": "host", "remoteRef": {"key": f"{uniq}/db", "property": "conn.host"}},
            {"secretKey": "raw", "remoteRef": {"key": f"{uniq}/db"}},
        ]
    )
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    values = secret_values(secret)
    assert values["password"] == "pw" and values["host"] == "db"
    assert json.loads(values["raw"]) == {"password": "pw", "conn": {"host": "db"}}


def test_secrets_manager_version_stage_and_uuid(sm, resolve, uniq, endpoint_only) -> None:
    first = sm.create_secret(Name=f"{uniq}/rot", SecretString="one")
    sm.put_secret_value(SecretId=f"{uniq}/rot", SecretString="two")
    es = _es(
        data=[
            {"secretKey": "cur", "remoteRef": {"key": f"{uniq}/rot"}},
            {"secretKey": "prev", "remoteRef": {"key": f"{uniq}/rot", "version": "AWSPREVIOUS"}},
            {
                "secretKey": "byid",
                "remoteRef": {"key": f"{uniq}/rot", "version": f"uuid/{first['VersionId']}"},
            },
        ]
    )
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"cur": "two", "prev": "one", "byid": "one"}


def test_secrets_manager_extract_keeps_non_strings_as_raw_json(sm, resolve, uniq, endpoint_only) -> None:
    sm.create_secret(
        Name=f"{uniq}/cfg", SecretString='{"user": "u", "port": 1.50, "tls": {"on" : true}, "x": null}'
    )
    es = _es(data_from=[{"extract": {"key": f"{uniq}/cfg"}}])
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"user": "u", "port": "1.50", "tls": '{"on" : true}', "x": ""}


def test_secrets_manager_binary_secret(sm, resolve, uniq, endpoint_only) -> None:
    sm.create_secret(Name=f"{uniq}/bin", SecretBinary=b"\x00\x01binary")
    es = _es(data=[{"secretKey": "b", "remoteRef": {"key": f"{uniq}/bin"}}])
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    import base64

    assert base64.b64decode(secret["data"]["b"]) == b"\x00\x01binary"


def test_secrets_manager_find_by_tags_and_name(sm, resolve, uniq, endpoint_only) -> None:
    sm.create_secret(Name=f"{uniq}-a", SecretString="A", Tags=[{"Key": "team", "Value": uniq}])
    sm.create_secret(Name=f"{uniq}-b", SecretString="B", Tags=[{"Key": "team", "Value": uniq}])
    sm.create_secret(Name=f"{uniq}-c", SecretString="C")
    by_tag = _es(data_from=[{"find": {"tags": {"team": uniq}}}])
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), by_tag], env=endpoint_only)
    assert secret_values(secret) == {f"{uniq}-a": "A", f"{uniq}-b": "B"}
    by_name = _es(data_from=[{"find": {"name": {"regexp": f"^{uniq}-[bc]$"}}}])
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), by_name], env=endpoint_only)
    assert secret_values(secret) == {f"{uniq}-b": "B", f"{uniq}-c": "C"}


def test_secrets_manager_missing_secret_and_property(sm, resolve, uniq, endpoint_only) -> None:
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/absent"}}])
    with pytest.raises(NoSecret, match=f"remote key '{uniq}/absent'"):
        resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    sm.create_secret(Name=f"{uniq}/p", SecretString='{"a": "1"}')
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/p", "property": "b"}}])
    with pytest.raises(ExternalError, match=f"key b does not exist in secret {uniq}/p"):
        resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)


def test_secrets_manager_batches_distinct_keys(sm, resolve, uniq, endpoint_only, counter) -> None:
    for i in range(25):
        sm.create_secret(Name=f"{uniq}/k{i}", SecretString=f"v{i}")
    data = [{"secretKey": f"k{i}", "remoteRef": {"key": f"{uniq}/k{i}"}} for i in range(25)]
    data += [{"secretKey": "again", "remoteRef": {"key": f"{uniq}/k0"}}]
    from secretsops.external import ObjectLookup, ProviderSettings, Resolver
    from secretsops.external.resources import ExternalSecret

    objs = [aws_store(auth=STATIC_AUTH), aws_creds(), _es(data=data)]
    resolver = Resolver(
        ObjectLookup(objs),
        ProviderSettings(env=endpoint_only),
        count=lambda w, n: counter.__setitem__(w, counter.get(w, 0) + n),
    )
    resolver.prefetch([ExternalSecret.parse(objs[2])])
    [secret] = resolver.resolve(objs[2])
    assert secret_values(secret)["k24"] == "v24" and secret_values(secret)["again"] == "v0"
    assert counter == {"aws.secretsmanager.batch": 2}


def test_default_chain_from_injected_environment(sm, resolve, uniq, aws_env) -> None:
    sm.create_secret(Name=f"{uniq}/env", SecretString="from-env")
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/env"}}])
    [secret] = resolve([aws_store(), es], env=aws_env)
    assert secret_values(secret) == {"v": "from-env"}


def test_assume_role_goes_through_sts(sm, resolve, uniq, endpoint_only, counter) -> None:
    sm.create_secret(Name=f"{uniq}/role", SecretString="assumed")
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/role"}}])
    store = aws_store(auth=STATIC_AUTH, role="arn:aws:iam::123456789012:role/eso-reader")
    [secret] = resolve([store, aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"v": "assumed"}
    assert counter["aws.sts"] == 1


def test_missing_region_is_an_input_error(resolve, uniq, endpoint_only) -> None:
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/x"}}])
    with pytest.raises(InputError, match="region is required"):
        resolve(
            [aws_store(auth=STATIC_AUTH, region=None), aws_creds(), es], env=endpoint_only, check_schema=False
        )


def test_unreachable_endpoint_is_temporary(resolve, uniq) -> None:
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/x"}}])
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    with pytest.raises(ProviderUnavailable, match="cannot connect"):
        resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=env, timeout=2.0, retries=0)


def test_parameter_store_reads_secure_string_and_version(ssm, resolve, uniq, endpoint_only) -> None:
    name = f"/{uniq}/db/password"
    ssm.put_parameter(Name=name, Value="first", Type="SecureString")
    ssm.put_parameter(Name=name, Value="second", Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name=f"/{uniq}/db/json", Value='{"a": {"b": "nested"}}', Type="String")
    es = _es(
        data=[
            {"secretKey": "cur", "remoteRef": {"key": name}},
            {"secretKey": "v1", "remoteRef": {"key": name, "version": "1"}},
            {"secretKey": "nested", "remoteRef": {"key": f"/{uniq}/db/json", "property": "a.b"}},
        ]
    )
    [secret] = resolve([aws_store("ParameterStore", auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"cur": "second", "v1": "first", "nested": "nested"}


def test_parameter_store_find_by_path_and_name(ssm, resolve, uniq, endpoint_only) -> None:
    ssm.put_parameter(Name=f"/{uniq}/app/one", Value="1", Type="String")
    ssm.put_parameter(Name=f"/{uniq}/app/two", Value="2", Type="SecureString")
    es = _es(
        data_from=[
            {
                "find": {"path": f"/{uniq}/app", "name": {"regexp": ".*"}},
                "rewrite": [{"regexp": {"source": f"/{uniq}/app/(.*)", "target": "$1"}}],
            }
        ]
    )
    [secret] = resolve([aws_store("ParameterStore", auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"one": "1", "two": "2"}


def test_parameter_store_missing_parameter(ssm, resolve, uniq, endpoint_only) -> None:
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"/{uniq}/nope"}}])
    with pytest.raises(NoSecret, match="does not exist"):
        resolve([aws_store("ParameterStore", auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)


def test_parameter_store_batches_reads(ssm, uniq, endpoint_only, counter) -> None:
    from secretsops.external import ObjectLookup, ProviderSettings, Resolver
    from secretsops.external.resources import ExternalSecret

    for i in range(12):
        ssm.put_parameter(Name=f"/{uniq}/p{i}", Value=f"v{i}", Type="String")
    es = _es(data=[{"secretKey": f"p{i}", "remoteRef": {"key": f"/{uniq}/p{i}"}} for i in range(12)])
    objs = [aws_store("ParameterStore", auth=STATIC_AUTH), aws_creds(), es]
    resolver = Resolver(
        ObjectLookup(objs),
        ProviderSettings(env=endpoint_only),
        count=lambda w, n: counter.__setitem__(w, counter.get(w, 0) + n),
    )
    resolver.prefetch([ExternalSecret.parse(es)])
    [secret] = resolver.resolve(es)
    assert secret_values(secret)["p11"] == "v11"
    assert counter == {"aws.ssm.batch": 2}


def test_no_value_reaches_debug_logs(sm, resolve, uniq, endpoint_only, canary, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    sm.create_secret(Name=f"{uniq}/logged", SecretString=json.dumps({"pw": canary}))
    caplog.clear()
    es = _es(data=[{"secretKey": "pw", "remoteRef": {"key": f"{uniq}/logged", "property": "pw"}}])
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"pw": canary}
    assert canary not in caplog.text


def test_web_identity_from_injected_environment(sm, resolve, uniq, aws_env, tmp_path, counter) -> None:
    sm.create_secret(Name=f"{uniq}/irsa", SecretString="via-web-identity")
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2ln")
    env = {
        "AWS_ENDPOINT_URL": aws_env["AWS_ENDPOINT_URL"],
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa",
    }
    es = _es(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/irsa"}}])
    [secret] = resolve([aws_store(), es], env=env)
    assert secret_values(secret) == {"v": "via-web-identity"}
    assert counter["aws.sts"] == 1


def test_metadata_policy_fetch_returns_tags_as_json(sm, resolve, uniq, endpoint_only) -> None:
    sm.create_secret(Name=f"{uniq}/tagged", SecretString="x", Tags=[{"Key": "team", "Value": "red"}])
    es = _es(
        data=[
            {
                "secretKey": "team",
                "remoteRef": {"key": f"{uniq}/tagged", "property": "team", "metadataPolicy": "Fetch"},
            },
            {"secretKey": "tags", "remoteRef": {"key": f"{uniq}/tagged", "metadataPolicy": "Fetch"}},
        ]
    )
    [secret] = resolve([aws_store(auth=STATIC_AUTH), aws_creds(), es], env=endpoint_only)
    assert secret_values(secret) == {"team": "red", "tags": '{"team":"red"}'}


def test_source_ref_mixes_stores_in_one_external_secret(
    sm, bao, openbao, resolve, uniq, endpoint_only
) -> None:
    from tests.external.manifests import vault_store

    sm.create_secret(Name=f"{uniq}/aws-part", SecretString="from-aws")
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/vault-part", {"v": "from-vault"}, mount_point="secret")
    es = external_secret(
        "mixed",
        data=[
            {"secretKey": "a", "remoteRef": {"key": f"{uniq}/vault-part", "property": "v"}},
            {
                "secretKey": "b",
                "remoteRef": {"key": f"{uniq}/aws-part"},
                "sourceRef": {"storeRef": {"name": "aws-store", "kind": "SecretStore"}},
            },
        ],
    )
    objs = [
        vault_store(openbao.url),
        token_secret("vault-token", openbao.token),
        aws_store(auth=STATIC_AUTH),
        aws_creds(),
        es,
    ]
    [secret] = resolve(objs, env=endpoint_only)
    assert secret_values(secret) == {"a": "from-vault", "b": "from-aws"}
