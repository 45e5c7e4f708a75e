"""Read one input file within the limits: regular files only, never more than ``max_bytes``.

``/dev/zero`` never ends, a FIFO blocks until someone writes, ``/dev/stdin`` in a controller
waits forever: none of them is a manifest (pipe data to standard input instead). A file is
opened with ``O_NONBLOCK`` (so a FIFO cannot hang the open), checked with ``fstat`` on the opened
descriptor (no race with a rename), and read up to one byte past the limit.
"""

from __future__ import annotations

import errno
import os
import stat

from secretsops.errors import FileNotFound, InputError
from secretsops.yamlio.limits import DEFAULT_LIMITS, LimitExceeded, ReadLimits

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import BinaryIO

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def too_large(shown: str, limits: ReadLimits) -> LimitExceeded:
    return LimitExceeded(f"{shown}: larger than {limits.max_bytes} bytes (limit max_bytes)")


def read_bytes(path: Path | str, shown: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file; devices, FIFOs, sockets and over-large files are refused.

    Every failure is an InputError naming ``shown`` (the path as the user should see it;
    defaults to ``path``): FileNotFound when it does not exist, LimitExceeded when refused.
    """
    name = str(path) if shown is None else shown
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        kind = FileNotFound if exc.errno == errno.ENOENT else InputError
        raise kind(f"{name}: cannot read ({exc.strerror or 'error'})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LimitExceeded(f"{name}: is {kind_of(info.st_mode)}, not a regular file (refused as input)")
        if info.st_size > limits.max_bytes:
            raise too_large(name, limits)
        chunks, total = [], 0
        while True:  # st_size may be stale or 0 (procfs): read until EOF, never past the limit
            chunk = os.read(fd, max(info.st_size, 65536) + 1)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limits.max_bytes:
                raise too_large(name, limits)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or 'error'})") from None
    finally:
        os.close(fd)


def read_stream(stream: BinaryIO, shown: str, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """At most ``max_bytes`` of a stream (stdin, a pipe); one byte more is an error."""
    try:
        data = stream.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or 'error'})") from None
    if len(data) > limits.max_bytes:
        raise too_large(shown, limits)
    return data


def read_text(path: Path | str, shown: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    """``read_bytes`` decoded as UTF-8 (a BOM is dropped, as Kubernetes' readers drop it)."""
    name = str(path) if shown is None else shown
    return decode(read_bytes(path, name, limits), name)


def decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
