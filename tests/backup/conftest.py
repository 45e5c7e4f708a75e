"""Fixtures for the backup tests: sealing key pairs, age identities, the CLI run in-process, real sops."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from kubernetes.client import CoreV1Api
from pyrage import x25519

from secretsops.cli.main import main
from secretsops.sealed.keypairs import KEY_LABEL, fingerprint, generate_key, key_secret
from tests.keysources.conftest import GpgHome, kill_agent, make_gpg_home


@dataclass
class KeyPair:
    key: rsa.RSAPrivateKey
    cert: Any

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key.public_key())


@dataclass
class AgeKey:
    recipient: str
    key_file: Path


@pytest.fixture(scope="session")
def keypairs() -> list[KeyPair]:
    """Two sealing keys, the second issued a day after the first (RSA-2048 keeps this fast)."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    return [KeyPair(*generate_key(2048, now=start + dt.timedelta(days=i))) for i in range(2)]


def _age_key(path: Path) -> AgeKey:
    ident = x25519.Identity.generate()
    path.write_text(f"# test identity\n{ident}\n")
    return AgeKey(str(ident.to_public()), path)


@pytest.fixture
def recovery(tmp_path: Path) -> AgeKey:
    """The recovery holder's age identity."""
    return _age_key(tmp_path / "recovery.agekey")


@pytest.fixture
def stranger(tmp_path: Path) -> AgeKey:
    """An age identity the backup was not encrypted to."""
    return _age_key(tmp_path / "stranger.agekey")


def store_key(
    api: Any, kp: KeyPair, name: str, namespace: str = "kube-system", label: str = "active"
) -> None:
    """A Bitnami-shaped key Secret (kubernetes.io/tls, labelled) as the controller writes it."""
    body = key_secret(kp.key, kp.cert, namespace, name=name)
    body["metadata"]["labels"] = {KEY_LABEL: label}
    CoreV1Api(api).create_namespaced_secret(namespace, body)


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> Callable[..., tuple[int, bytes, str]]:
    """Run ``secretsops ARGS`` in-process with extra environment; (exit code, stdout, stderr)."""

    def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
        try:
            code = main(list(argv))
        finally:
            for name in env or {}:
                monkeypatch.delenv(name, raising=False)
        out, err = capsysbinary.readouterr()
        return code, out, err.decode()

    return run


@pytest.fixture
def run_sops(sops_bin: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """The real sops binary with only the given environment (plus PATH/HOME)."""

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
        full = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **env}
        return subprocess.run([sops_bin, *args], cwd=tmp_path, env=full, capture_output=True, check=False)

    return run


@pytest.fixture(scope="session")
def gpg_recovery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GpgHome]:
    """A recovery holder with a PGP key instead (the real gpg)."""
    home = make_gpg_home(tmp_path_factory.mktemp("gnupg") / "home", "recovery <dr@secretsops.invalid>")
    yield home
    kill_agent(home.path)
