"""Where age identities come from, as sops reads them: SSH keys (sops 3.10+), the key command
(told the recipient, sops 3.12+), and explicit keys before the project's ``keys/`` directory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pyrage import x25519

from tests.sops.conftest import same, sops_encrypt

PLAIN = b"a: secret\nb: two\n"


def _ssh_keygen(directory: Path, kind: str, name: str, passphrase: str = "") -> tuple[Path, str]:
    if shutil.which("ssh-keygen") is None:
        pytest.fail("ssh-keygen (OpenSSH) is required for the SSH identity tests")
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / name
    extra = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, *extra, "-N", passphrase, "-C", "test", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key, key.with_suffix(".pub").read_text().strip()


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_ssh_private_key_file_from_the_environment_decrypts(side_by_side, sops_bin, tmp_path, kind):
    key, pub = _ssh_keygen(tmp_path / "k", kind, f"id_{kind}")
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, pub)
    side_by_side.env.pop("SOPS_AGE_KEY_FILE")
    env = {"SOPS_AGE_SSH_PRIVATE_KEY_FILE": str(key)}
    theirs, mine = side_by_side.both("decrypt", "s.yaml", files={"s.yaml": enc}, env=env)
    same(theirs, mine)
    assert mine.proc.stdout == PLAIN


@pytest.mark.parametrize("name", ["id_ed25519", "id_rsa"])
def test_default_ssh_keys_in_home_decrypt(side_by_side, sops_bin, tmp_path, name):
    home = tmp_path / "home"
    _, pub = _ssh_keygen(home / ".ssh", name.removeprefix("id_"), name)
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, pub)
    side_by_side.env.pop("SOPS_AGE_KEY_FILE")
    theirs, mine = side_by_side.both("decrypt", "s.yaml", files={"s.yaml": enc}, env={"HOME": str(home)})
    same(theirs, mine)
    assert mine.proc.stdout == PLAIN


def test_passphrase_protected_ssh_key_is_a_one_line_error(side_by_side, sops_bin, tmp_path):
    key, pub = _ssh_keygen(tmp_path / "k", "ed25519", "id_ed25519", passphrase="pw-123456")
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, pub)
    side_by_side.env.pop("SOPS_AGE_KEY_FILE")
    _, d = side_by_side.dirs({"s.yaml": enc})
    env = {"SOPS_AGE_SSH_PRIVATE_KEY_FILE": str(key)}
    mine = side_by_side.run("secretsops", ("decrypt", "s.yaml"), d, env=env)
    assert mine.code == 128
    assert b"passphrase" in mine.proc.stderr and len(mine.proc.stderr.strip().splitlines()) == 1


def test_an_explicit_wrong_key_wins_over_the_keys_directory(side_by_side, sops_bin, age_key, tmp_path):
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, age_key.recipient)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(f"{x25519.Identity.generate()}\n")
    files = {"s.yaml": enc, "keys/age.txt": age_key.key_file.read_bytes()}
    theirs, mine = side_by_side.both("decrypt", "s.yaml", files=files, env={"SOPS_AGE_KEY_FILE": str(wrong)})
    assert theirs.code == mine.code == 128
    assert mine.proc.stdout == b""


@pytest.mark.parametrize("variable", ["SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD"])
def test_other_explicit_identities_also_win_over_the_keys_directory(
    side_by_side, sops_bin, age_key, tmp_path, variable
):
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, age_key.recipient)
    wrong = str(x25519.Identity.generate())
    value = wrong if variable == "SOPS_AGE_KEY" else f"echo {wrong}"
    side_by_side.env.pop("SOPS_AGE_KEY_FILE")
    files = {"s.yaml": enc, "keys/age.txt": age_key.key_file.read_bytes()}
    theirs, mine = side_by_side.both("decrypt", "s.yaml", files=files, env={variable: value})
    assert theirs.code == mine.code == 128


def test_the_keys_directory_is_used_when_no_key_is_given(side_by_side, sops_bin, age_key):
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, age_key.recipient)
    side_by_side.env.pop("SOPS_AGE_KEY_FILE")
    _, d = side_by_side.dirs({"s.yaml": enc, "keys/age.txt": age_key.key_file.read_bytes()})
    mine = side_by_side.run("secretsops", ("decrypt", "s.yaml"), d)
    assert mine.code == 0 and mine.proc.stdout == PLAIN


def test_key_command_is_told_the_recipient_and_gets_no_other_secrets(
    side_by_side, sops_bin, age_key, tmp_path
):
    other = x25519.Identity.generate()
    enc = sops_encrypt(sops_bin, "s.yaml", PLAIN, f"{other.to_public()},{age_key.recipient}")
    log = tmp_path / "cmd.log"
    cmd = tmp_path / "key-cmd.sh"
    cmd.write_text(
        "#!/bin/sh\n"
        f'echo "recipient=$SOPS_AGE_RECIPIENT aws=${{AWS_SECRET_ACCESS_KEY:-none}}" >> "{log}"\n'
        f'[ "$SOPS_AGE_RECIPIENT" = "{age_key.recipient}" ] && cat "{age_key.key_file}"\n'
        "exit 0\n"
    )
    cmd.chmod(0o755)
    side_by_side.env.pop("SOPS_AGE_KEY_FILE")
    _, d = side_by_side.dirs({"s.yaml": enc})
    env = {"SOPS_AGE_KEY_CMD": str(cmd), "AWS_SECRET_ACCESS_KEY": "not-for-the-key-command"}
    mine = side_by_side.run("secretsops", ("decrypt", "s.yaml"), d, env=env)
    assert mine.code == 0 and mine.proc.stdout == PLAIN, mine.proc.stderr
    calls = log.read_text().splitlines()
    assert f"recipient={age_key.recipient} aws=none" in calls
    assert all(c.startswith("recipient=age1") and c.endswith("aws=none") for c in calls)
