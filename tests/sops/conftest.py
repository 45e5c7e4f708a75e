"""Fixtures for the SOPS tests: an age identity on disk and helpers to run the real sops."""

from __future__ import annotations

import os
import subprocess
import sys
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


@dataclass
class Ran:
    """One tool's run: its result and the directory it ran in (with its copy of the files)."""

    proc: subprocess.CompletedProcess[bytes]
    cwd: Path

    @property
    def code(self) -> int:
        return self.proc.returncode

    def file(self, name: str) -> bytes:
        return (self.cwd / name).read_bytes()


@dataclass
class SideBySide:
    """Run one command line through the real sops and through secretsops, each in its own copy
    of the same files, so in-place changes can be compared too."""

    sops_bin: str
    root: Path
    env: dict[str, str]

    def dirs(self, files: dict[str, bytes]) -> tuple[Path, Path]:
        out = []
        for side in ("sops", "secretsops"):
            d = self.root / side
            d.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (d / name).parent.mkdir(parents=True, exist_ok=True)
                (d / name).write_bytes(data)
            out.append(d)
        return out[0], out[1]

    def run(
        self,
        tool: str,
        args: tuple[str, ...],
        cwd: Path,
        *,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> Ran:
        cmd = [self.sops_bin] if tool == "sops" else [sys.executable, "-m", "secretsops"]
        full = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **self.env, **(env or {})}
        proc = subprocess.run(
            [*cmd, *args],
            cwd=cwd,
            env=full,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            check=False,
            timeout=120,
        )
        if tool != "sops":
            assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
        return Ran(proc, cwd)

    def both(
        self,
        *args: str,
        files: dict[str, bytes] | None = None,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> tuple[Ran, Ran]:
        theirs_dir, mine_dir = self.dirs(files or {})
        return (
            self.run("sops", args, theirs_dir, stdin=stdin, env=env),
            self.run("secretsops", args, mine_dir, stdin=stdin, env=env),
        )


def same(theirs: Ran, mine: Ran) -> None:
    """Same exit code and the same standard output."""
    assert (mine.code, mine.proc.stdout) == (theirs.code, theirs.proc.stdout), (
        theirs.proc.stderr.decode(errors="replace"),
        mine.proc.stderr.decode(errors="replace"),
    )


@pytest.fixture
def side_by_side(sops_bin: str, tmp_path: Path, age_key: AgeKey) -> SideBySide:
    """sops and secretsops with the test's age identity and recipient in the environment."""
    env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file), "SOPS_AGE_RECIPIENTS": age_key.recipient}
    return SideBySide(sops_bin, tmp_path / "runs", env)


def sops_encrypt(sops_bin: str, name: str, plain: bytes, recipient: str, *extra: str) -> bytes:
    """Encrypt ``plain`` (format from ``name``) with the real sops for one age recipient."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(plain)
        proc = subprocess.run(
            [sops_bin, "encrypt", "--age", recipient, *extra, str(path)],
            env={"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]},
            capture_output=True,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout
