"""Vault over TLS: ``caBundle`` and ``caProvider`` trust a private CA without touching disk."""

from __future__ import annotations

import base64
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from secretsops.errors import ExternalError
from secretsops_devstack.services import find_tool, free_port
from tests.external.manifests import external_secret, secret_values, token_secret, vault_store


@pytest.fixture(scope="module")
def tls_bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, bytes]]:
    """``bao server -dev -dev-tls`` on loopback: (https URL, CA PEM)."""
    certs = tmp_path_factory.mktemp("bao-tls")
    port = free_port()
    log = open(certs / "bao.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            find_tool("bao"),
            "server",
            "-dev",
            "-dev-tls",
            f"-dev-tls-cert-dir={certs}",
            f"-dev-listen-address=127.0.0.1:{port}",
            "-dev-root-token-id=root",
            "-dev-no-store-token",
        ],
        stdout=log,
        stderr=log,
        env={"PATH": "/usr/bin:/bin", "HOME": str(certs), "BAO_DISABLE_MLOCK": "true"},
    )
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ctx = ssl.create_default_context(cafile=str(certs / "vault-ca.pem"))
                with urllib.request.urlopen(f"{url}/v1/sys/health", context=ctx, timeout=2):  # noqa: S310
                    break
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, (certs / "vault-ca.pem").read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _seed(url: str, ca: bytes, tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_bytes(ca)  # the test's own client needs a file; secretsops does not
    client = hvac.Client(url=url, token="root", verify=str(tmp_path / "ca.pem"))
    client.secrets.kv.v2.create_or_update_secret("tls/db", {"v": "over-tls"}, mount_point="secret")


def _es() -> dict:
    return external_secret(data=[{"secretKey": "v", "remoteRef": {"key": "tls/db", "property": "v"}}])


def test_ca_bundle_trusts_the_private_ca(tls_bao, resolve, tmp_path) -> None:
    url, ca = tls_bao
    _seed(url, ca, tmp_path)
    store = vault_store(url)
    store["spec"]["provider"]["vault"]["caBundle"] = base64.b64encode(ca).decode()
    [secret] = resolve([store, token_secret("vault-token", "root"), _es()])
    assert secret_values(secret) == {"v": "over-tls"}


def test_ca_provider_reads_the_ca_from_a_configmap(tls_bao, resolve, tmp_path) -> None:
    url, ca = tls_bao
    _seed(url, ca, tmp_path)
    store = vault_store(url)
    store["spec"]["provider"]["vault"]["caProvider"] = {
        "type": "ConfigMap",
        "name": "bao-ca",
        "key": "ca.crt",
    }
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "bao-ca", "namespace": "apps"},
        "data": {"ca.crt": ca.decode()},
    }
    [secret] = resolve([store, token_secret("vault-token", "root"), cm, _es()])
    assert secret_values(secret) == {"v": "over-tls"}


def test_unknown_ca_is_a_clear_permanent_error(tls_bao, resolve) -> None:
    url, _ca = tls_bao
    with pytest.raises(ExternalError, match="TLS verification .* failed") as err:
        resolve([vault_store(url), token_secret("vault-token", "root"), _es()])
    assert not err.value.temporary
