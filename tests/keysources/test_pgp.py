"""PGP key source through the real gpg binary."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from secretsops.errors import KeySourceError
from secretsops.keysources.base import KeyContext
from secretsops.keysources.pgp import PgpKeySource, short_fingerprint

DATA_KEY = bytes(range(200, 232))


def test_wrap_then_unwrap_returns_the_data_key(gpg_home):
    key = PgpKeySource(gpg_home.fingerprint)
    key.wrap(DATA_KEY, KeyContext(env=gpg_home.env()))
    assert key.enc.startswith("-----BEGIN PGP MESSAGE-----") and key.enc.endswith("-----END PGP MESSAGE-----")
    again = PgpKeySource.from_metadata(key.to_metadata())
    assert again.unwrap(KeyContext(env=gpg_home.env())) == DATA_KEY


def test_stanza_has_sops_field_order():
    key = PgpKeySource("ABCD", enc="x", created_at="2024-01-01T00:00:00Z")
    assert list(key.to_metadata()) == ["created_at", "enc", "fp"]


def test_fingerprints_are_kept_as_given_without_spaces():
    keys = PgpKeySource.from_cli("AAAA BBBB CCCC, dddd", {})
    assert [k.identifier for k in keys] == ["AAAABBBBCCCC", "dddd"]


def test_short_fingerprint_matches_sops():
    fp = "85D77543B3D624B63CEA9E6DBC17301B491B3F21"
    assert short_fingerprint(fp) == "BC17301B491B3F21"
    assert short_fingerprint(fp + "!") == "BC17301B491B3F21!"
    assert short_fingerprint("ABCD") == "ABCD"


def test_keyring_without_the_secret_key_cannot_unwrap(gpg_home, other_gpg_home):
    key = PgpKeySource(gpg_home.fingerprint)
    key.wrap(DATA_KEY, KeyContext(env=gpg_home.env()))
    with pytest.raises(KeySourceError) as err:
        key.unwrap(KeyContext(env=other_gpg_home.env()))
    assert gpg_home.fingerprint in str(err.value) and "decryption failed" in str(err.value)


def test_unknown_recipient_cannot_wrap(gpg_home):
    fp = "0" * 40
    with pytest.raises(KeySourceError, match=fp):
        PgpKeySource(fp).wrap(DATA_KEY, KeyContext(env=gpg_home.env()))


def test_missing_gpg_binary_is_a_clear_error(gpg_home):
    env = dict(gpg_home.env(), SOPS_GPG_EXEC="no-such-gpg-binary")
    with pytest.raises(KeySourceError, match="SOPS_GPG_EXEC"):
        PgpKeySource(gpg_home.fingerprint).wrap(DATA_KEY, KeyContext(env=env))


def test_data_key_never_reaches_gpg_argv_or_environment(gpg_home, tmp_path, canary):
    log = tmp_path / "gpg-calls.log"
    wrapper = tmp_path / "gpg-wrapper"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}"\nenv >> "{log}"\nexec gpg "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    env = dict(gpg_home.env(), SOPS_GPG_EXEC=str(wrapper), SOPS_CANARY_VALUE=canary)
    key = PgpKeySource(gpg_home.fingerprint)
    key.wrap(DATA_KEY, KeyContext(env=env))
    assert key.unwrap(KeyContext(env=env)) == DATA_KEY
    seen = log.read_bytes()
    assert b"--batch" in seen
    for form in (DATA_KEY, DATA_KEY.hex().encode(), base64.b64encode(DATA_KEY), canary.encode()):
        assert form not in seen


def test_child_environment_is_minimal(gpg_home, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "parent-secret")
    log = tmp_path / "env.log"
    wrapper = tmp_path / "gpg-env"
    wrapper.write_text(f'#!/bin/sh\nenv > "{log}"\nexec gpg "$@"\n')
    wrapper.chmod(0o755)
    env = dict(gpg_home.env(), SOPS_GPG_EXEC=str(wrapper), AWS_SECRET_ACCESS_KEY="ctx-secret")
    PgpKeySource(gpg_home.fingerprint).wrap(DATA_KEY, KeyContext(env=env))
    names = {line.split("=", 1)[0] for line in log.read_text().splitlines() if "=" in line}
    assert "AWS_SECRET_ACCESS_KEY" not in names
    assert names <= {"PATH", "HOME", "GNUPGHOME", "LC_ALL", "PWD", "SHLVL", "_", "OLDPWD"}
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "parent-secret"
