"""Key pairs and helpers for the sealed-secrets tests (RSA-2048 keeps key generation fast)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from secretsops.cli.main import main
from secretsops.sealed.keypairs import SealingKey, cert_pem, generate_key, private_key_pem


class KeyPair:
    def __init__(self, key: rsa.RSAPrivateKey, cert: Any, tmp: Path, name: str) -> None:
        self.key = key
        self.cert = cert
        self.key_path = tmp / f"{name}.key"
        self.cert_path = tmp / f"{name}.crt"
        self.key_path.write_bytes(private_key_pem(key))
        self.cert_path.write_bytes(cert_pem(cert))

    @property
    def public(self) -> rsa.RSAPublicKey:
        return self.key.public_key()

    def sealing_key(self) -> SealingKey:
        return SealingKey(self.key, str(self.key_path), self.cert)


@pytest.fixture(scope="session")
def keypairs(tmp_path_factory: pytest.TempPathFactory) -> list[KeyPair]:
    tmp = tmp_path_factory.mktemp("sealing-keys")
    return [KeyPair(*generate_key(2048), tmp, f"k{i}") for i in range(3)]


@pytest.fixture
def kp(keypairs: list[KeyPair]) -> KeyPair:
    return keypairs[0]


def secret(name: str = "db", namespace: str | None = "shop", **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra.pop("metadata", {}))
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": meta}
    obj.update(extra)
    return obj


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> Callable[..., Any]:
    """Run ``secretsops ARGS`` in-process; returns (exit code, stdout bytes, stderr text)."""

    def run(*argv: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(argv))
        out, err = capsysbinary.readouterr()
        return code, out, err.decode()

    return run
