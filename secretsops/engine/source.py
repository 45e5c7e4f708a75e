"""Pull the declared state from git: clone once, then fetch; ciphertext only, private dir.

Each source gets a 0700 directory (on /dev/shm when present) holding a bare-bones repository.
Every sync fetches just the wanted ref at depth 1 (falling back to a full fetch when a server
refuses a commit id) and checks it out detached. Signatures are verified with
``git verify-commit`` against a gpg keyring or an ssh allowed-signers file when asked.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from secretsops import git
from secretsops.engine.proc import ProcessRunner
from secretsops.engine.workdir import make_private_dir
from secretsops.errors import SignatureError, SourceError, UsageError

_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
#: ``-c`` options of every fetch/checkout: no detached-HEAD advice; file:// remotes allowed
_GIT_CONFIG = {"advice.detachedHead": "false", "protocol.file.allow": "always"}


@dataclass(frozen=True)
class GitRef:
    """Flux's ``ref``: exactly one of branch, tag or commit (branch ``main`` by default)."""

    branch: str = ""
    tag: str = ""
    commit: str = ""

    @classmethod
    def parse(cls, text: str) -> GitRef:
        """``--ref``: a full commit id, ``refs/tags/X``/``tags/X``, or a branch name."""
        text = text.strip()
        if _SHA.match(text):
            return cls(commit=text)
        for prefix in ("refs/tags/", "tags/"):
            if text.startswith(prefix):
                return cls(tag=text[len(prefix) :])
        return cls(branch=text.removeprefix("refs/heads/") or "main")

    @property
    def name(self) -> str:
        return self.branch or self.tag or self.commit

    def refspec(self) -> str:
        if self.commit:
            return self.commit
        if self.tag:
            return f"+refs/tags/{self.tag}:refs/tags/{self.tag}"
        return f"+refs/heads/{self.branch}:refs/remotes/origin/{self.branch}"


@dataclass(frozen=True)
class Verification:
    """``verify``: ``gpg`` with an armored keyring file, or ``ssh`` with an allowed-signers file."""

    mode: str  # "gpg" | "ssh"
    keys: Path

    def __post_init__(self) -> None:
        if self.mode not in ("gpg", "ssh"):
            raise UsageError(f"verify mode must be gpg or ssh, not {self.mode!r}")


@dataclass(frozen=True)
class Revision:
    ref: str
    commit: str
    checkout: Path

    def __str__(self) -> str:
        """Flux's revision format: ``main@sha1:<id>``."""
        return f"{self.ref}@sha1:{self.commit}"


@dataclass
class GitSource:
    url: str
    ref: GitRef
    runner: ProcessRunner
    verify: Verification | None = None
    base_dir: Path | None = None
    timeout: float = 120.0
    _dir: Path | None = field(default=None, init=False)

    @property
    def directory(self) -> Path:
        if self._dir is None:
            self._dir = make_private_dir("secretsops-src-", self.base_dir)
        return self._dir

    def sync(self) -> Revision:
        """Fetch the ref and check it out; raises SourceError (temporary) or SignatureError."""
        repo = self.directory / "repo"
        if not (repo / ".git").is_dir():
            repo.mkdir(mode=0o700, exist_ok=True)
            self._git(repo, "init", "-q")
            self._git(repo, "remote", "add", "origin", self.url)
        commit = self._fetch(repo)
        self._git(repo, "checkout", "-q", "--force", "--detach", commit)
        self._git(repo, "clean", "-q", "-ffdx")
        if self.verify is not None:
            self._verify(repo, commit)
        return Revision(self.ref.name, commit, repo)

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _fetch(self, repo: Path) -> str:
        try:
            self._git(repo, "fetch", "-q", "--depth", "1", "--no-tags", "origin", self.ref.refspec())
        except SourceError:
            if self.ref.branch and self._is_tag(repo):
                # ``--ref v1.2.0``: no such branch, but a tag of that name (kept for later passes)
                self.ref = GitRef(tag=self.ref.branch)
                return self._fetch(repo)
            if not self.ref.commit:
                raise
            # servers without allowReachableSHA1InWant: fetch everything, then look it up
            self._git(repo, "fetch", "-q", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
        target = self.ref.commit or "FETCH_HEAD"
        out = self._git(repo, "rev-parse", "--verify", "-q", f"{target}^{{commit}}")
        return out.strip()

    def _is_tag(self, repo: Path) -> bool:
        try:
            out = self._git(repo, "ls-remote", "--tags", "origin", f"refs/tags/{self.ref.branch}")
        except SourceError:
            return False
        return bool(out.strip())

    def _verify(self, repo: Path, commit: str) -> None:
        assert self.verify is not None
        extra: dict[str, str] = {}
        config: dict[str, str] = {}
        if self.verify.mode == "gpg":
            home = self.directory / "gnupg"
            if not home.is_dir():
                home.mkdir(mode=0o700)
                imported = self.runner.run(
                    ["gpg", "--batch", "--quiet", "--import", str(self.verify.keys)],
                    extra_env={"GNUPGHOME": str(home)},
                )
                if imported.returncode != 0:
                    raise SignatureError(f"{self.verify.keys}: cannot import the gpg keyring")
            extra["GNUPGHOME"] = str(home)
        else:
            config = {"gpg.format": "ssh", "gpg.ssh.allowedSignersFile": str(self.verify.keys)}
        try:
            result = git.run(
                ["verify-commit", commit], cwd=repo, config=config, extra_env=extra, runner=self.runner.run
            )
        except git.GitNotRun as exc:
            raise SourceError(f"{self._safe_url()}@{commit[:12]}: {exc}") from None
        if not result.ok:
            raise SignatureError(
                f"{self.url}@{commit[:12]}: commit signature not verified ({self.verify.mode})"
            )

    def _git(self, repo: Path, *args: str) -> str:
        try:
            result = git.run(
                args,
                cwd=repo,
                config=_GIT_CONFIG,
                extra_env={"GIT_TERMINAL_PROMPT": "0"},
                timeout=self.timeout,
                runner=self.runner.run,
            )
        except git.GitNotRun as exc:
            raise SourceError(f"{self._safe_url()} ({self.ref.name}): {exc}") from None
        if not result.ok:
            why = _strip_userinfo(_git_reason(args[0], result))
            raise SourceError(f"git {args[0]} {self._safe_url()} ({self.ref.name}): {why}")
        return result.text

    def _safe_url(self) -> str:
        return _strip_userinfo(self.url)


def _git_reason(command: str, result: git.GitResult) -> str:
    """git's own reason (``GitResult.reason``); a silent ``rev-parse`` means no such commit."""
    if command == "rev-parse" and not result.stderr.strip():
        return "no such commit in the repository"
    return result.reason()


def _strip_userinfo(text: str) -> str:
    """URLs without user:password, which must not land in status or logs."""
    return re.sub(r"//[^/@\s]*@", "//", text)
