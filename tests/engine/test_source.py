"""The git source: real git, private memory-backed checkout, fetch per pass, signatures."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from secretsops.engine.proc import ProcessRunner
from secretsops.engine.source import GitRef, GitSource, Verification
from secretsops.errors import SignatureError, SourceError


def source(repo, runner: ProcessRunner, ref: str = "main", **kw) -> GitSource:  # type: ignore[no-untyped-def]
    return GitSource(repo.url, GitRef.parse(ref), runner, **kw)


def test_first_sync_checks_out_the_branch_tip(git_repo, runner) -> None:
    git_repo.write("a.yaml", "x: 1\n")
    head = git_repo.commit()
    src = source(git_repo, runner)
    try:
        rev = src.sync()
        assert rev.commit == head and str(rev) == f"main@sha1:{head}"
        assert (rev.checkout / "a.yaml").read_text() == "x: 1\n"
    finally:
        src.close()


def test_later_sync_fetches_new_commits_and_removed_files(git_repo, runner) -> None:
    git_repo.write("a.yaml", "x: 1\n")
    git_repo.commit()
    src = source(git_repo, runner)
    try:
        src.sync()
        git_repo.remove("a.yaml")
        git_repo.write("b.yaml", "y: 2\n")
        head = git_repo.commit()
        rev = src.sync()
        assert rev.commit == head and not (rev.checkout / "a.yaml").exists()
    finally:
        src.close()


def test_checkout_is_private_and_memory_backed_when_possible(git_repo, runner) -> None:
    git_repo.commit()
    src = source(git_repo, runner)
    try:
        src.sync()
        workdir = src.directory
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        if Path("/dev/shm").is_dir():
            assert workdir.parent == Path("/dev/shm")
    finally:
        src.close()
    assert not workdir.exists()


def test_tag_and_commit_refs(git_repo, runner) -> None:
    git_repo.write("v.txt", "1")
    first = git_repo.commit()
    git_repo.git("tag", "v1")
    git_repo.write("v.txt", "2")
    git_repo.commit()
    for ref in ("refs/tags/v1", "v1", first):
        src = source(git_repo, runner, ref)
        try:
            rev = src.sync()
            assert rev.commit == first and (rev.checkout / "v.txt").read_text() == "1"
        finally:
            src.close()


def test_unreachable_repository_is_a_temporary_error_without_credentials(tmp_path, runner) -> None:
    url = "https://user:hunter2@127.0.0.1:9/repo.git"  # secretsops:ignore test value
    src = GitSource(url, GitRef(branch="main"), runner, timeout=20)
    try:
        with pytest.raises(SourceError) as err:
            src.sync()
        assert err.value.temporary and "hunter2" not in str(err.value)
    finally:
        src.close()


def test_child_processes_get_no_credentials(git_repo, runner, recorded, monkeypatch) -> None:
    git_repo.commit()
    monkeypatch.setenv("SOPS_AGE_KEY", "AGE-SECRET-KEY-NOPE")
    src = GitSource(
        git_repo.url, GitRef(branch="main"), ProcessRunner.from_environ(__import__("os").environ, recorded)
    )
    try:
        src.sync()
    finally:
        src.close()
    assert recorded.calls and all("SOPS_AGE_KEY" not in env for _, env in recorded.calls)


def _ssh_signing(git_repo, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    key = tmp_path / "signer"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git_repo.git("config", "gpg.format", "ssh")
    git_repo.git("config", "user.signingkey", str(key))
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"tests@secretsops.invalid {(tmp_path / 'signer.pub').read_text()}")
    return signers


def test_ssh_signed_commit_verifies(git_repo, runner, tmp_path) -> None:
    signers = _ssh_signing(git_repo, tmp_path)
    git_repo.git("commit", "-q", "-S", "--allow-empty", "-m", "signed")
    src = source(git_repo, runner, verify=Verification("ssh", signers))
    try:
        assert src.sync().commit == git_repo.git("rev-parse", "HEAD")
    finally:
        src.close()


def test_unsigned_commit_is_refused_permanently(git_repo, runner, tmp_path) -> None:
    signers = _ssh_signing(git_repo, tmp_path)
    git_repo.git("commit", "-q", "--allow-empty", "-m", "unsigned")
    src = source(git_repo, runner, verify=Verification("ssh", signers))
    try:
        with pytest.raises(SignatureError, match="signature not verified") as err:
            src.sync()
        assert not err.value.temporary
    finally:
        src.close()


def test_gpg_signed_commit_verifies_against_the_keyring(git_repo, runner, tmp_path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**__import__("os").environ, "GNUPGHOME": str(home)}
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "secretsops tests <tests@secretsops.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    keyring = tmp_path / "trusted.asc"
    keyring.write_bytes(
        subprocess.run(["gpg", "--armor", "--export"], check=True, capture_output=True, env=env).stdout
    )
    subprocess.run(
        ["git", "commit", "-q", "-S", "--allow-empty", "-m", "signed"],
        cwd=git_repo.path,
        check=True,
        env=env,
        capture_output=True,
    )
    src = source(git_repo, runner, verify=Verification("gpg", keyring))
    try:
        assert src.sync().commit == git_repo.git("rev-parse", "HEAD")
        git_repo.git("commit", "-q", "--allow-empty", "-m", "unsigned")
        with pytest.raises(SignatureError):
            src.sync()
    finally:
        src.close()
        subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False, capture_output=True)


def test_missing_local_repository_reports_gits_reason_not_its_hint(tmp_path, runner) -> None:
    src = GitSource(str(tmp_path / "nope"), GitRef.parse("main"), runner)
    try:
        with pytest.raises(SourceError, match=r"does not appear to be a git repository"):
            src.sync()
    finally:
        src.close()


def test_unknown_commit_says_so(git_repo, runner) -> None:
    git_repo.write("a.yaml", "x: 1\n")
    git_repo.commit()
    src = source(git_repo, runner, ref="0123456789012345678901234567890123456789")
    try:
        with pytest.raises(SourceError, match=r"\(0123456789\d+\): no such commit in the repository"):
            src.sync()
    finally:
        src.close()
