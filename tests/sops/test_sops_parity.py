"""Edge cases where secretsops once diverged from sops 3.11: same input, same output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_no_canary, new_canary  # noqa: F401 - used below


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    full = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **env}
    return subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, check=False)


@pytest.fixture
def both(sops_bin, tmp_path, age_key):
    """Run one command line through the real sops and through secretsops, in tmp_path."""
    env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file), "SOPS_AGE_RECIPIENTS": age_key.recipient}

    def run(*args: str) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
        theirs = _run([sops_bin, *args], tmp_path, env)
        mine = _run([sys.executable, "-m", "secretsops", *args], tmp_path, env)
        assert b"Traceback" not in mine.stderr
        return theirs, mine

    return run


def _same(theirs, mine) -> None:
    assert (mine.returncode, mine.stdout) == (theirs.returncode, theirs.stdout), (
        theirs.stderr.decode(errors="replace"),
        mine.stderr.decode(errors="replace"),
    )


def _sops_encrypted(both, tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    theirs, _ = both("encrypt", "--output", "enc." + name, name)
    assert theirs.returncode == 0, theirs.stderr
    return "enc." + name


def test_comment_only_yaml_document_decrypts_to_comment_and_empty_map(both, tmp_path):
    enc = _sops_encrypted(both, tmp_path, "m.yaml", b"# first\na: 1\n---\n# between\n---\nb: 2\n# end\n")
    _same(*both("decrypt", enc))


def test_non_utf8_binary_as_json_escapes_each_bad_byte_as_ufffd(both, tmp_path):
    enc = _sops_encrypted(both, tmp_path, "b.bin", b"a\x08b\x0c\x01<>&\xe2\x80\xa8 \xef\xbf\xbd \xc3\xff\n")
    _same(*both("decrypt", "--output-type", "json", enc))


def test_json_number_beyond_float64_is_refused_like_sops(both, tmp_path):
    (tmp_path / "n.json").write_bytes(b'{"a": 1e400}')
    theirs, mine = both("encrypt", "n.json")
    assert theirs.returncode == mine.returncode == 2
    assert mine.stdout == b""


@pytest.mark.parametrize("fmt", ["dotenv", "ini"])
def test_floats_in_dotenv_and_ini_use_go_G_format(both, tmp_path, fmt):
    enc = _sops_encrypted(
        both,
        tmp_path,
        "f.yaml",
        b"a: 1.5\nb: 1234567.0\nc: 1e21\nd: 0.00001\ne: 100.0\nf: -1.5e-7\ng: 123456.0\nh: 0.0001\n",
    )
    if fmt == "ini":  # INI needs sections
        enc = _sops_encrypted(both, tmp_path, "g.json", b'{"s": {"a": 1234567, "b": 1e-7, "c": 2.5}}')
    _same(*both("decrypt", "--output-type", fmt, enc))
