"""Issue 11 row 9: ``decrypt --output`` writes through FIFOs, symlinks and /dev/stdout, as sops does.

The attack: a user points ``--output`` at a pipe to a consumer (a FIFO, ``/dev/stdout``) or at a
symlink; replacing the target with a regular file would leave the plaintext on disk.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from secretsops.keysources.age import generate_identity

PLAIN = "password: CANARY-row9-s3cr3t\n"


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    identity, recipient = generate_identity()
    key_file = tmp_path / "age.txt"
    key_file.write_text(identity + "\n")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "SOPS_AGE_KEY_FILE": str(key_file)}
    f = tmp_path / "s.yaml"
    f.write_text(PLAIN)
    _cli(["encrypt", "--age", recipient, "-i", str(f)], env)
    assert "CANARY" not in f.read_text()
    return f, env


def _cli(args: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "secretsops", *args],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
        **kw,
    )  # type: ignore[call-overload]
    assert proc.returncode == 0, proc.stderr
    return proc


def test_output_to_a_fifo_feeds_the_reader_and_leaves_the_fifo(encrypted, tmp_path: Path) -> None:
    f, env = encrypted
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o600)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    _cli(["decrypt", "--output", str(fifo), str(f)], env)
    reader.join(timeout=30)
    assert got == [PLAIN.encode()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_to_dev_stdout_goes_down_the_pipe(encrypted) -> None:
    f, env = encrypted
    proc = _cli(["decrypt", "--output", "/dev/stdout", str(f)], env)
    assert proc.stdout == PLAIN.encode()
    assert os.path.islink("/dev/stdout")  # not replaced by a regular file (we may run as root)


def test_output_to_a_symlink_writes_its_target_and_keeps_the_link(encrypted, tmp_path: Path) -> None:
    f, env = encrypted
    target = tmp_path / "real.yaml"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    _cli(["decrypt", "--output", str(link), str(f)], env)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == PLAIN and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_new_output_file_is_created_0600_whatever_the_umask(encrypted, tmp_path: Path) -> None:
    f, env = encrypted
    out = tmp_path / "new.yaml"
    _cli(["decrypt", "--output", str(out), str(f)], env, preexec_fn=lambda: os.umask(0o022))
    assert out.read_text() == PLAIN and stat.S_IMODE(out.stat().st_mode) == 0o600


def test_an_existing_regular_file_is_replaced_atomically_keeping_its_mode(encrypted, tmp_path: Path) -> None:
    f, env = encrypted
    out = tmp_path / "existing.yaml"
    out.write_text("old\n")
    out.chmod(0o640)
    before = out.stat().st_ino
    _cli(["decrypt", "--output", str(out), str(f)], env)
    assert out.read_text() == PLAIN and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.stat().st_ino != before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
