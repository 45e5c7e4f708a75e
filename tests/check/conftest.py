"""Fixtures for check: real git repos, real sops-encrypted files, kubesealpy SealedSecrets."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from secretsops.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)

    def rules_at(self) -> set[tuple[str, str, int]]:
        return {(f["rule"], f["path"], f["line"]) for f in self.json["findings"]}


@dataclass
class Repo:
    """A real git repository in a temp dir, and ``secretsops check`` run inside it."""

    root: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    env: dict[str, str] = field(default_factory=dict)

    def write(self, path: str, text: str | bytes) -> Path:
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            full.write_bytes(text)
        else:
            full.write_text(text)
        return full

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.root), *args], check=True, capture_output=True, text=True
        ).stdout

    def commit(self, message: str = "change", *paths: str) -> str:
        self.git("add", "-A", *paths)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def check(self, *args: str) -> Result:
        self.monkeypatch.chdir(self.root)
        self.capsys.readouterr()
        code = main(["check", "--no-progress", *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def check_json(self, *args: str) -> Result:
        return self.check("--format", "json", *args)


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Repo:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return Repo(root, capsys, monkeypatch)


@dataclass
class AgeKey:
    identity: str
    recipient: str
    key_file: Path


@pytest.fixture(scope="session")
def age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    key_file = tmp_path_factory.mktemp("age") / "keys.txt"
    key_file.write_text(str(ident) + "\n")
    key_file.chmod(0o600)
    return AgeKey(str(ident), str(ident.to_public()), key_file)


@pytest.fixture
def sops_encrypt(sops_bin: str, age_key: AgeKey) -> Callable[..., None]:
    """Encrypt a file in place with the real sops binary (age recipient), extra flags allowed."""

    def encrypt(path: Path, *flags: str) -> None:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(path.parent), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
        subprocess.run(
            [sops_bin, "encrypt", "-i", "--age", age_key.recipient, *flags, str(path)],
            check=True,
            capture_output=True,
            env=env,
            cwd=path.parent,
        )

    return encrypt


@pytest.fixture(scope="session")
def sealer():
    from cryptography.hazmat.primitives.asymmetric import rsa
    from kubesealpy import Sealer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Sealer(key.public_key())


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode()
