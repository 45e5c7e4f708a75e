"""The few git plumbing calls check needs, with failures turned into one-line CheckErrors.

Blob contents are streamed through one ``git cat-file --batch`` process, so scanning history
costs one process however many blobs there are.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from secretsops.errors import CheckError


def git(root: Path, *args: str, check: bool = True) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError:
        raise CheckError("git is not installed or cannot be run") from None
    if check and proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise CheckError(f"git {args[0]} failed: {first[0] if first else 'exit ' + str(proc.returncode)}")
    return proc.stdout


def toplevel(path: Path) -> Path | None:
    """The work tree root containing ``path``, or None outside a git repository."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip())


def has_head(root: Path) -> bool:
    return bool(git(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip())


def cat_blobs(root: Path, oids: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """(oid, content) for each oid, in order; None for objects git cannot find."""
    proc = subprocess.Popen(
        ["git", "-C", str(root), "cat-file", "--batch"],
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
