"""Fixtures for the SOPS tests: an age identity on disk and helpers to run the real sops."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyrage import x25519


@dataclass
class AgeKey:
    recipient: str
    key_file: Path


@pytest.fixture
def age_key(tmp_path: Path) -> AgeKey:
    ident = x25519.Identity.generate()
    f = tmp_path / "age-key.txt"
    f.write_text(f"# test identity\n{ident}\n")
    return AgeKey(str(ident.to_public()), f)


@pytest.fixture
def run_sops(sops_bin: str, tmp_path: Path):
    """Run the real sops binary in tmp_path with only the given environment (plus PATH/HOME)."""

    def run(
        *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        full = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **(env or {})}
        proc = subprocess.run([sops_bin, *args], cwd=tmp_path, env=full, capture_output=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"sops {args} failed: {proc.returncode} {proc.stderr.decode()[-400:]}")
        return proc

    return run
