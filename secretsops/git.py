"""The one module that runs git (the engine's source, ``check``'s history scan, the sops drivers).

Every git child process starts here, so what git may be asked to do, and with which
environment, is visible in one place (a test greps the package for any other ``"git"``
command line). Callers keep their own error types: this module reports what git said
(``GitResult``), or raises ``GitNotRun`` when git could not start or did not finish.

The engine passes its ``ProcessRunner.run`` as ``runner`` so git inherits only the engine's
allow-listed environment and is recorded like every other child; library callers without a
runner (``check``, the sops merge/diff drivers run by git itself) use a plain subprocess with
the caller's environment, as git hands it to them.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

GIT = "git"


class Runner(Protocol):
    """``engine.proc.ProcessRunner.run``'s shape: run to completion, capture output."""

    def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[bytes]: ...


class GitNotRun(Exception):
    """git could not be started (not installed) or did not finish in time; the message says which."""


@dataclass(frozen=True)
class GitResult:
    """What one git command returned."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def reason(self, limit: int = 300) -> str:
        """git's own reason: its first ``fatal:``/``error:`` line (hints follow it), else the last line."""
        lines = [ln.strip() for ln in self.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        causes = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
        if causes:
            return causes[0][:limit]
        if lines:
            return lines[-1][:limit]
        return f"exit {self.returncode}"


def command(args: Sequence[str], config: Mapping[str, str] | None = None) -> list[str]:
    """The argv of ``git [-c k=v ...] args``."""
    argv = [GIT]
    for key, value in (config or {}).items():
        argv += ["-c", f"{key}={value}"]
    return [*argv, *args]


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    config: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    runner: Runner | None = None,
) -> GitResult:
    """Run ``git args`` to completion (stdin closed); a non-zero exit is the caller's to judge."""
    argv = command(args, config)
    try:
        if runner is not None:
            proc = runner(argv, cwd=cwd, extra_env=extra_env, timeout=timeout)
        else:
            proc = subprocess.run(  # noqa: S603 - argv is built here, never from secret values
                argv,
                cwd=str(cwd) if cwd else None,
                env={**os.environ, **extra_env} if extra_env else None,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
    except subprocess.TimeoutExpired as exc:
        raise GitNotRun(f"git {args[0] if args else ''} did not finish in {exc.timeout:g}s") from None
    except OSError as exc:
        raise GitNotRun(
            f"git is not installed or cannot be run ({exc.strerror or type(exc).__name__})"
        ) from None
    return GitResult(proc.returncode, proc.stdout, proc.stderr)


def toplevel(path: Path) -> Path | None:
    """The work tree root containing ``path``, or None outside a git repository (or without git)."""
    try:
        result = run(["-C", str(path), "rev-parse", "--show-toplevel"])
    except GitNotRun:
        return None
    if not result.ok:
        return None
    return Path(result.text.strip())


def cat_blobs(root: Path, oids: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """(oid, content) for each oid, in order; None for objects git cannot find.

    One ``git cat-file --batch`` process streams every blob, so scanning history costs one
    process however many blobs there are; a thread feeds the ids so neither pipe fills up.
    """
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        command(["-C", str(root), "cat-file", "--batch"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout
    wanted = list(oids)

    def feed() -> None:
        try:
            for oid in wanted:
                stdin.write(oid.encode() + b"\n")
            stdin.close()
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for oid in wanted:
            header = stdout.readline().split()
            if len(header) < 3 or header[-1] == b"missing":
                yield oid, None
                continue
            size = int(header[2])
            data = stdout.read(size)
            stdout.read(1)  # the newline after each object
            yield oid, data
    finally:
        writer.join(timeout=5)
        proc.stdout.close()
        proc.wait()
