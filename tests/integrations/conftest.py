"""Fixtures for running secretsops the way Helm, kubectl and Argo CD run it: real tools, real sops."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from secretsops.keysources.age import generate_identity

#: where scripts/install-tools.sh puts helm, kubectl, kustomize (read before HOME is replaced)
TOOLS_BIN = Path(os.environ.get("SECRETSOPS_TOOLS_DIR") or Path.home() / ".cache/secretsops/tools") / "bin"
VENV_BIN = Path(sys.executable).parent


@dataclass
class SopsAge:
    """An age identity and the real sops binary that encrypts for it."""

    sops: str
    identity: str
    recipient: str

    def encrypt(self, path: Path, regex: str | None = "^(data|stringData)$") -> None:
        """Encrypt ``path`` in place with the real sops, as a user would."""
        argv = [self.sops, "--encrypt", "--in-place", "--age", self.recipient]
        if regex:
            argv[2:2] = ["--encrypted-regex", regex]
        env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
        subprocess.run(argv + [str(path)], env=env, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def sops_age(sops_bin: str) -> SopsAge:
    identity, recipient = generate_identity()
    return SopsAge(sops_bin, identity, recipient)


def tool_path(name: str) -> str:
    """A tool built by scripts/install-tools.sh (the test fails, naming the script, when absent)."""
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.fail(f"{name} not found in {TOOLS_BIN}: run scripts/install-tools.sh")
    return str(path)


def child_env(**extra: str) -> dict[str, str]:
    """A small environment with the venv's ``secretsops`` first on PATH."""
    env = {
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "HOME": os.environ["HOME"],
        "HELM_CACHE_HOME": os.path.join(os.environ["HOME"], ".helm-cache"),
        "HELM_CONFIG_HOME": os.path.join(os.environ["HOME"], ".helm-config"),
        "HELM_DATA_HOME": os.path.join(os.environ["HOME"], ".helm-data"),
    }
    env.update(extra)
    return env
