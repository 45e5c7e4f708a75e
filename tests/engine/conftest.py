"""Fixtures for the engine: real git repositories, age keys, SOPS files, recorded children."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from secretsops.engine.proc import ProcessRunner
from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, encrypt_bytes


@dataclass
class GitRepo:
    """A real git repository with helpers that read like the tests' intent."""

    path: Path

    def git(self, *args: str) -> str:
        out = subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def write(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
        return target

    def remove(self, rel: str) -> None:
        self.git("rm", "-q", "-r", rel)

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def revert(self, commit: str = "HEAD") -> str:
        self.git("revert", "--no-edit", commit)
        return self.git("rev-parse", "HEAD")

    @property
    def url(self) -> str:
        return str(self.path)


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    path = tmp_path / "origin"
    path.mkdir()
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    return repo


@dataclass
class AgeKey:
    identity: str
    recipient: str

    def encrypt(self, text: str, fmt: str = "yaml", regex: str = "^(data|stringData)$") -> bytes:
        opts = EncryptOptions(encrypted_regex=regex) if regex else EncryptOptions()
        return encrypt_bytes(
            text.encode(), fmt, groups=[[AgeKeySource(self.recipient)]], options=opts, ctx=KeyContext()
        )

    @property
    def env(self) -> dict[str, str]:
        return {"SOPS_AGE_KEY": self.identity}


@pytest.fixture(scope="session")
def age_key() -> AgeKey:
    return AgeKey(*generate_identity())


@dataclass
class Recorded:
    calls: list[tuple[list[str], dict[str, str]]] = field(default_factory=list)

    def __call__(self, argv: list[str], env: dict[str, str]) -> None:
        self.calls.append((argv, env))


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def runner(recorded: Recorded) -> ProcessRunner:
    return ProcessRunner.from_environ(os.environ, recorder=recorded)
