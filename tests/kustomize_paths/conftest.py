"""Kustomize layouts as users have them, every encrypted file written by the real sops binary.

Plaintext reaches sops on stdin (``--filename-override`` picks the store), never a file. kustomize
is the standalone binary from ``scripts/install-tools.sh`` (pinned v5.7.1), put first on PATH so
``render`` and ``kustomize build --enable-alpha-plugins --enable-exec`` use it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.keysources.age import generate_identity
from tests.realkube import INSTALL_HINT, TOOLS_BIN

VENV_BIN = Path(sys.executable).parent
PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "kustomize"


@dataclass
class Env:
    """What a user's shell has: sops, kustomize and secretsops on PATH, an age key file."""

    sops: str
    kustomize: str
    key_file: Path
    recipient: str
    environ: dict[str, str]

    def encrypt(self, path: Path, plaintext: str, *, regex: str | None = "^(data|stringData)$") -> Path:
        """``sops encrypt`` of ``plaintext`` (stdin) into ``path``, store chosen by its name."""
        argv = [self.sops, "encrypt", "--age", self.recipient, "--filename-override", path.name]
        if regex is not None and path.suffix in (".yaml", ".yml", ".json"):
            argv += ["--encrypted-regex", regex]
        done = subprocess.run(
            [*argv, "/dev/stdin"],
            input=plaintext.encode(),
            capture_output=True,
            env=self.environ,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(done.stdout)
        return path

    def run(self, argv: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=cwd, env=self.environ, input=stdin, capture_output=True, text=True, check=False
        )

    def render(self, target: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return self.run([sys.executable, "-m", "secretsops", "render", target], cwd)

    def build(self, target: Path, *, exec_plugins: bool = True) -> subprocess.CompletedProcess[str]:
        flags = ["--enable-alpha-plugins", "--enable-exec"] if exec_plugins else ["--enable-alpha-plugins"]
        return self.run([self.kustomize, "build", *flags, str(target)], target)


@pytest.fixture
def env(tmp_path_factory: pytest.TempPathFactory, sops_bin: str) -> Env:
    kustomize = TOOLS_BIN / "kustomize"
    if not kustomize.exists():
        pytest.fail(f"kustomize not found in {TOOLS_BIN}: {INSTALL_HINT}")
    identity, recipient = generate_identity()
    keys = tmp_path_factory.mktemp("keys") / "age.txt"
    keys.write_text(identity + "\n")
    keys.chmod(0o600)
    environ = {
        "PATH": os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), "/usr/bin", "/bin"]),
        "HOME": os.environ["HOME"],
        "SOPS_AGE_KEY_FILE": str(keys),
    }
    return Env(sops_bin, str(kustomize), keys, recipient, environ)


def secret(name: str, value: str, *, key: str = "PASSWORD", namespace: str | None = None) -> str:
    ns = f"  namespace: {namespace}\n" if namespace else ""
    head = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n{ns}"
    return head + f"type: Opaque\nstringData:\n  {key}: {value}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def objects(stdout: str) -> dict[str, dict[str, Any]]:
    """Rendered objects by ``Kind/name``."""
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(stdout) if d}


def decoded(obj: dict[str, Any]) -> dict[str, str]:
    import base64

    out = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
    out.update(obj.get("stringData") or {})
    return out


Writer = Callable[[Path, str], Path]
