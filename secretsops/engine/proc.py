"""The one place the engine starts child processes (git, kustomize, kubectl kustomize).

Children get a small allow-listed environment: no credentials (``SOPS_*``, ``VAULT_*``,
``AWS_*``) and no decrypted value ever reaches their argv or environment. Because every
process goes through ``ProcessRunner``, a test can record exactly what was started.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: variables a child may inherit; none of them is a credential
INHERITED_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "GNUPGHOME",
    "SSH_AUTH_SOCK",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_GLOBAL",
    "GIT_SSH_COMMAND",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
)

Recorder = Callable[[list[str], dict[str, str]], None]


@dataclass
class ProcessRunner:
    """Run child processes with a filtered environment; optionally record argv and env."""

    env: dict[str, str] = field(default_factory=dict)
    recorder: Recorder | None = None
    timeout: float = 300.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], recorder: Recorder | None = None) -> ProcessRunner:
        """Snapshot the allow-listed variables (called at the edge: CLI, engine start-up)."""
        return cls({k: v for k, v in environ.items() if k in INHERITED_ENV}, recorder)

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run to completion, capturing output; the caller decides what a non-zero exit means."""
        env = {**self.env, **(extra_env or {})}
        args = [str(a) for a in argv]
        if self.recorder is not None:
            self.recorder(list(args), dict(env))
        return subprocess.run(  # noqa: S603 - argv is built by the engine, never from values
            args,
            cwd=str(cwd) if cwd else None,
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout or self.timeout,
            check=False,
        )


def default_runner() -> ProcessRunner:
    """A runner for library callers that did not inject one (e.g. ``secretsops render``)."""
    import os

    return ProcessRunner.from_environ(os.environ)
