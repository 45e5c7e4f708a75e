"""sops' KMS flag rules on the encrypt command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops.cli.main import main


def test_encryption_context_with_two_colons_is_refused_like_sops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    code = main([
        "encrypt", "--kms", "arn:aws:kms:us-east-1:111122223333:key/k",
        "--encryption-context", "a:b:c", str(f),
    ])
    assert code == 6
    assert capsys.readouterr().out == ""


def test_aws_profile_flag_is_written_into_the_kms_stanza(
    tmp_path: Path, moto, aws_env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    import boto3

    arn = boto3.client("kms", endpoint_url=moto.url).create_key()["KeyMetadata"]["Arn"]
    f = tmp_path / "s.yaml"
    f.write_text("a: b\n")
    creds = tmp_path / "credentials"
    creds.write_text("[team]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    assert main(["encrypt", "--kms", arn, "--aws-profile", "team", str(f)]) == 0
    assert "aws_profile: team" in capsys.readouterr().out
