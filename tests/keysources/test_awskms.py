"""AWS KMS key source against a real moto_server."""

from __future__ import annotations

import os
import time

import pytest

from secretsops.errors import InvalidKmsEncryptionContext, KeySourceError, TemporaryKeySourceError
from secretsops.keysources.awskms import (
    KmsKeySource,
    context_to_string,
    parse_encryption_context,
    sts_session_name,
)
from secretsops.keysources.base import KeyContext
from secretsops_devstack.services import Service, free_port

DATA_KEY = bytes(range(32))
ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ROLE = "arn:aws:iam::123456789012:role/sops-decrypt"


def ctx_for(env: dict[str, str]) -> KeyContext:
    return KeyContext.from_environ(env)


def boto_kms(aws_env: dict[str, str]):
    import boto3

    return boto3.client("kms", region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"])


def test_wrap_then_unwrap_returns_the_data_key(aws_env, kms_arn):
    key = KmsKeySource(kms_arn)
    key.wrap(DATA_KEY, ctx_for(aws_env))
    assert key.enc and DATA_KEY.hex() not in key.enc
    again = KmsKeySource.from_metadata(key.to_metadata())
    assert again.unwrap(ctx_for(aws_env)) == DATA_KEY


def test_stanza_has_sops_field_order_with_role_and_context():
    key = KmsKeySource(ARN, ROLE, {"b": "2", "a": "1"}, "prod", enc="Zm9v", created_at="2024-01-01T00:00:00Z")
    stanza = key.to_metadata()
    assert list(stanza) == ["arn", "role", "context", "created_at", "enc", "aws_profile"]
    assert list(stanza["context"]) == ["a", "b"]


def test_stanza_always_writes_aws_profile_and_omits_empty_role_and_context():
    stanza = KmsKeySource(ARN, enc="Zm9v", created_at="2024-01-01T00:00:00Z").to_metadata()
    assert stanza == {"arn": ARN, "created_at": "2024-01-01T00:00:00Z", "enc": "Zm9v", "aws_profile": ""}


def test_cli_value_splits_arns_and_roles_and_applies_context_and_profile():
    keys = KmsKeySource.from_cli(
        f"{ARN}+{ROLE}, {ARN}", {"encryption_context": "app:web,env:prod", "aws_profile": "dev"}
    )
    assert [(k.arn, k.role, k.context, k.aws_profile) for k in keys] == [  # type: ignore[attr-defined]
        (ARN, ROLE, {"app": "web", "env": "prod"}, "dev"),
        (ARN, "", {"app": "web", "env": "prod"}, "dev"),
    ]


def test_malformed_encryption_context_is_sops_exit_code_6():
    with pytest.raises(InvalidKmsEncryptionContext) as err:
        parse_encryption_context("a:b,c")
    assert err.value.exit_code == 6


def test_encryption_context_string_round_trips_like_sops():
    assert parse_encryption_context("") is None
    assert context_to_string(parse_encryption_context("z:1,a:2")) == "a:2,z:1"


def test_key_group_entries_are_mappings_with_role_context_and_profile():
    keys = KmsKeySource.from_rule([{"arn": ARN, "role": ROLE, "context": {"team": "x"}, "aws_profile": "p"}])
    k = keys[0]
    assert (k.arn, k.role, k.context, k.aws_profile) == (ARN, ROLE, {"team": "x"}, "p")  # type: ignore[attr-defined]


def test_creation_rule_string_uses_profile_and_context_from_options():
    keys = KmsKeySource.from_rule(f"{ARN},", {"aws_profile": "p", "encryption_context": "a:b"})
    assert len(keys) == 1 and keys[0].aws_profile == "p" and keys[0].context == {"a": "b"}  # type: ignore[attr-defined]


def test_sts_session_name_is_sanitised_and_truncated_like_sops():
    assert sts_session_name("my host!#") == "sops@myhost"
    assert len(sts_session_name("h" * 100)) == 64


def test_encryption_context_mismatch_is_rejected(aws_env, kms_arn):
    key = KmsKeySource(kms_arn, context={"env": "prod"})
    key.wrap(DATA_KEY, ctx_for(aws_env))
    wrong = KmsKeySource(kms_arn, context={"env": "dev"}, enc=key.enc)
    with pytest.raises(KeySourceError) as err:
        wrong.unwrap(ctx_for(aws_env))
    assert kms_arn in str(err.value) and "encryption context" in str(err.value)


def test_unwrap_with_a_different_key_is_access_denied(aws_env, kms_arn):
    other = boto_kms(aws_env).create_key()["KeyMetadata"]["Arn"]
    key = KmsKeySource(kms_arn)
    key.wrap(DATA_KEY, ctx_for(aws_env))
    with pytest.raises(KeySourceError) as err:
        KmsKeySource(other, enc=key.enc).unwrap(ctx_for(aws_env))
    msg = str(err.value)
    assert other in msg and "access denied" in msg and DATA_KEY.hex() not in msg


def test_missing_key_says_not_found(aws_env):
    arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    with pytest.raises(KeySourceError, match="not found"):
        KmsKeySource(arn).wrap(DATA_KEY, ctx_for(aws_env))


def test_invalid_arn_is_rejected_before_any_call(aws_env):
    with pytest.raises(KeySourceError, match="no valid ARN"):
        KmsKeySource("not-an-arn").wrap(DATA_KEY, ctx_for(aws_env))


def test_unreachable_endpoint_fails_fast_as_temporary(aws_env):
    env = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    start = time.monotonic()
    with pytest.raises(TemporaryKeySourceError, match="unreachable"):
        KmsKeySource(ARN).wrap(DATA_KEY, ctx_for(env))
    assert time.monotonic() - start < 30


def test_endpoint_and_credentials_come_from_the_context_not_os_environ(moto: Service, monkeypatch):
    import boto3

    arn = boto3.client(
        "kms",
        region_name="us-east-1",
        endpoint_url=moto.url,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    ).create_key()["KeyMetadata"]["Arn"]
    assert "AWS_ENDPOINT_URL" not in os.environ
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    key = KmsKeySource(arn)
    key.wrap(DATA_KEY, KeyContext(env=env))
    assert key.unwrap(KeyContext(env=env)) == DATA_KEY


def test_no_credentials_is_a_clear_error(moto: Service):
    with pytest.raises(KeySourceError, match="no AWS credentials"):
        KmsKeySource(ARN).wrap(DATA_KEY, KeyContext(env={"AWS_ENDPOINT_URL": moto.url}))


def test_named_profile_is_read_from_the_config_files(moto: Service, hermetic_env, kms_arn):
    creds = hermetic_env / "credentials"
    creds.write_text("[team]\naws_access_key_id = p\naws_secret_access_key = q\n")
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_SHARED_CREDENTIALS_FILE": str(creds)}
    key = KmsKeySource(kms_arn, aws_profile="team")
    key.wrap(DATA_KEY, KeyContext(env=env))
    assert key.unwrap(KeyContext(env=env)) == DATA_KEY


def test_unknown_profile_names_the_profile(moto: Service, hermetic_env):
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_SHARED_CREDENTIALS_FILE": str(hermetic_env / "none")}
    with pytest.raises(KeySourceError, match="'ghost'"):
        KmsKeySource(ARN, aws_profile="ghost").wrap(DATA_KEY, KeyContext(env=env))


def test_role_is_assumed_through_sts_before_calling_kms(aws_env, kms_arn):
    ctx = ctx_for(aws_env)
    key = KmsKeySource(kms_arn, role=ROLE)
    key.wrap(DATA_KEY, ctx)
    assert key.unwrap(ctx) == DATA_KEY
    (client,) = [c for k, c in ctx.clients.items() if k[0] == "kms"]
    assumed = client._request_signer._credentials.get_frozen_credentials()
    assert assumed.access_key != "testing" and assumed.token


def test_one_client_per_region_role_profile_and_endpoint(aws_env, kms_arn):
    ctx = ctx_for(aws_env)
    for _ in range(3):
        key = KmsKeySource(kms_arn)
        key.wrap(DATA_KEY, ctx)
        key.unwrap(ctx)
    assert [k[0] for k in ctx.clients] == ["aws-session", "kms"]


def test_corrupt_enc_is_rejected_without_a_call(aws_env, kms_arn):
    with pytest.raises(KeySourceError, match="base64"):
        KmsKeySource(kms_arn, enc="%%%").unwrap(ctx_for(aws_env))
