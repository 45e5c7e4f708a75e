"""Issue 11 row 12: ``check`` fingerprints cannot be used to confirm a guessed password offline.

The attack: take a report or a committed baseline, hash a dictionary of likely passwords the way
secretsops does, and look for a match. With a public salt and 32 bits this confirmed a weak
password among 100k guesses in 0.25 s; keyed per repository with a private key, it cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
import subprocess
from pathlib import Path

import pytest

from secretsops.cli.main import main

WEAK = "Summer2024!"
LEAK = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {WEAK}\n"
GUESSES = [f"Summer{y}{s}" for y in range(1990, 2031) for s in ("", "!", "?", "#", "1")]


def _repo(path: Path) -> Path:
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "s.yaml").write_text(LEAK)
    return path


def _check(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> dict:
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["check", "--no-progress", "--format", "json", *args])
    assert code == 1
    return json.loads(capsys.readouterr().out)


def _fp(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_a_dictionary_of_guesses_under_the_old_public_salt_confirms_nothing(
    tmp_path, capsys, monkeypatch
) -> None:
    report = _check(_repo(tmp_path / "r"), capsys, monkeypatch)
    fps = {f["fingerprint"] for f in report["findings"]}
    assert WEAK in GUESSES
    for salt in (b"secretsops-check-fingerprint-v1", b"", b"secretsops"):
        hashed = {_fp(salt, g)[: len(fp)] for g in GUESSES for fp in fps}
        assert not hashed & fps


def test_the_key_is_private_to_the_repository_and_never_in_scanned_content(
    tmp_path, capsys, monkeypatch
) -> None:
    root = _repo(tmp_path / "r")
    report = _check(root, capsys, monkeypatch)
    key_file = root / ".git" / "secretsops-check.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain"], check=True, capture_output=True, text=True
    )
    assert status.stdout.split() == ["??", "s.yaml"]
    key = key_file.read_bytes().strip()
    assert [f["fingerprint"] for f in report["findings"]] == [_fp(key, WEAK)[:32]]


def test_fingerprints_are_128_bits_and_stable_within_a_repository(tmp_path, capsys, monkeypatch) -> None:
    root = _repo(tmp_path / "r")
    first = _check(root, capsys, monkeypatch)["findings"][0]["fingerprint"]
    again = _check(root, capsys, monkeypatch)["findings"][0]["fingerprint"]
    assert first == again and len(first) == 32 and int(first, 16) >= 0


def test_the_same_secret_in_two_repositories_has_unrelated_fingerprints(
    tmp_path, capsys, monkeypatch
) -> None:
    a = _check(_repo(tmp_path / "a"), capsys, monkeypatch)["findings"][0]["fingerprint"]
    b = _check(_repo(tmp_path / "b"), capsys, monkeypatch)["findings"][0]["fingerprint"]
    assert a != b


def test_ci_with_the_key_file_matches_a_baseline_written_locally(tmp_path, capsys, monkeypatch) -> None:
    local = _repo(tmp_path / "local")
    monkeypatch.chdir(local)
    assert main(["check", "--no-progress", "--baseline", "b.json", "--update-baseline"]) == 0
    ci = _repo(tmp_path / "ci")  # a fresh clone: no .git/secretsops-check.key of its own
    (ci / "b.json").write_text((local / "b.json").read_text())
    monkeypatch.chdir(ci)
    assert main(["check", "--no-progress", "--baseline", "b.json"]) == 1
    key = str(local / ".git" / "secretsops-check.key")
    assert main(["check", "--no-progress", "--baseline", "b.json", "--fingerprint-key-file", key]) == 0


def test_a_version_1_baseline_with_public_fingerprints_must_be_regenerated(
    tmp_path, capsys, monkeypatch
) -> None:
    root = _repo(tmp_path / "r")
    old_fp = _fp(b"secretsops-check-fingerprint-v1", WEAK)[:8]
    doc = {
        "version": 1,
        "findings": [{"rule": "k8s-secret-plaintext", "path": "s.yaml", "key": "pw", "fingerprint": old_fp}],
    }
    (root / "b.json").write_text(json.dumps(doc))
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["check", "--no-progress", "--baseline", "b.json"]) == 2
    err = capsys.readouterr().err
    assert "regenerate" in err and err.count("\n") == 1
