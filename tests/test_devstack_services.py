"""The embedded stack starts the real servers on loopback."""

from __future__ import annotations

import socket

import boto3
import hvac
import pytest

from secretsops_devstack import services
from secretsops_devstack.services import Service


def test_openbao_dev_server_answers_with_transit_enabled(openbao: Service) -> None:
    client = hvac.Client(url=openbao.url, token=openbao.token)
    assert openbao.url.startswith("http://127.0.0.1:")
    assert "transit/" in client.sys.list_mounted_secrets_engines()["data"]


def test_moto_server_serves_kms_on_loopback(moto: Service, aws_env: dict[str, str]) -> None:
    kms = boto3.client("kms", endpoint_url=moto.url, region_name="us-east-1")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    assert moto.url.startswith("http://127.0.0.1:")
    assert key.startswith("arn:aws:kms:us-east-1:")


def test_openbao_root_token_is_not_in_the_servers_argv(openbao: Service) -> None:
    args = [str(a) for a in openbao.process.args]
    assert not any(a.startswith("-dev-root-token-id") for a in args)
    assert openbao.token not in args


def test_a_server_whose_port_was_taken_meanwhile_starts_again_on_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # free_port() can only say a port is free now; another process may bind it before the server does
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken_port = taken.getsockname()[1]
        ports = iter([taken_port])
        real_free_port = services.free_port
        monkeypatch.setattr(services, "free_port", lambda: next(ports, None) or real_free_port())
        with services.openbao_dev() as bao:
            assert bao.port != taken_port
            assert hvac.Client(url=bao.url, token=bao.token).sys.is_initialized()
