"""Installed plugins: the ``secretsops.*`` entry points of every distribution on ``sys.path``.

Each seam (key sources, formats, decryptors) has one registry, and each registry starts from
here. Why not ``importlib.metadata.entry_points()``: importing it costs ~35 ms (``email``,
``zipfile``, ``csv``, ...) and one scan ~7 ms, which is a whole sops-sized 3-value decrypt. This
reader lists the ``*.dist-info`` / ``*.egg-info`` directories on ``sys.path`` and reads only
their ``entry_points.txt`` files, with the same rule as importlib.metadata when one
distribution is installed twice (the first on ``sys.path`` wins). A ``sys.path`` entry that is
not a plain directory (a zip file) is read through importlib.metadata, so no plugin is missed.

The result is computed once per process, on first use (``installed()``); nothing is read at
import time. This module sits on the start-up path of every command, so it counts instructions:
no regular expressions, no exceptions for the common "no entry points" case, and ``NamedTuple``
rather than a dataclass (whose creation alone costs more than the whole scan).
"""

from __future__ import annotations

import os
import sys
from collections import namedtuple
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import import_module

from secretsops.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

#: only sections of these groups are kept
PREFIX = "secretsops."
_MARKER = b"[" + PREFIX.encode()
#: larger than any entry_points.txt; a bigger one is read in further chunks
_CHUNK = 1 << 16


class EntryPoint(namedtuple("EntryPoint", ["group", "name", "value", "distribution"])):
    """One ``name = module:attr`` line of a distribution's ``entry_points.txt``."""

    __slots__ = ()

    group: str
    name: str
    value: str
    distribution: str

    def load(self) -> Any:
        """Import the module and return the named attribute (ImportError/AttributeError pass up)."""
        module, _, attrs = self.value.partition(":")
        obj: Any = import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def parse_entry_points(text: str, distribution: str, prefix: str = PREFIX) -> list[EntryPoint]:
    """The entries of ``entry_points.txt`` (an INI file) in groups starting with ``prefix``.

    Extras (``value [extra]``) are dropped: they only matter to installers.
    """
    found: list[EntryPoint] = []
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        if not group.startswith(prefix) or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.split("[", 1)[0].strip()
        if name.strip() and value:
            found.append(EntryPoint(group, name.strip(), value, distribution))
    return found


def normalize(name: str) -> str:
    """A distribution name as importlib compares them: ``My.Pkg_x`` → ``my_pkg_x``."""
    out = name.lower().replace("-", "_").replace(".", "_")
    while "__" in out:
        out = out.replace("__", "_")
    return out


def _dist_name(dirname: str) -> str:
    """``My_Pkg-1.0.dist-info`` / ``my.pkg.egg-info`` → ``my_pkg``."""
    stem = dirname.rpartition(".")[0]
    return normalize(stem.partition("-")[0])


def _read(path: str) -> bytes | None:
    """The file's bytes; None when it is missing or unreadable (no exception on the common path)."""
    if not os.access(path, os.R_OK):
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.read(fd, _CHUNK)
        if len(data) == _CHUNK:
            chunks = [data]
            while chunk := os.read(fd, _CHUNK):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    except OSError:
        return None
    finally:
        os.close(fd)


def _metadata_dirs(names: list[str]) -> list[str]:
    """The ``*.dist-info``/``*.egg-info`` names among ``names``, found by C-level string search:
    a Python loop over every file of the stdlib, site-packages and the working directory costs
    more than reading the entry points themselves."""
    blob = "\n" + "\n".join(names) + "\n"
    found: list[str] = []
    for suffix in (".dist-info\n", ".egg-info\n"):
        end = blob.find(suffix)
        while end != -1:
            found.append(blob[blob.rfind("\n", 0, end) + 1 : end + len(suffix) - 1])
            end = blob.find(suffix, end + 1)
    return sorted(found)


def _scan_directory(path: str, seen: set[str]) -> Iterable[EntryPoint]:
    base = path or "."
    try:
        names = _metadata_dirs(os.listdir(base))
    except OSError:
        return
    for name in names:
        dist = _dist_name(name)
        if dist in seen:
            continue
        # a distribution without entry points still shadows later copies of itself
        seen.add(dist)
        data = _read(f"{base}/{name}/entry_points.txt")
        if data and _MARKER in data:
            yield from parse_entry_points(data.decode("utf-8", "replace"), dist)


def _scan_archive(path: str, seen: set[str]) -> Iterable[EntryPoint]:
    """A zip on ``sys.path``: rare enough to pay for importlib.metadata."""
    from importlib.metadata import distributions

    for dist in distributions(path=[path]):
        name = normalize(str(dist.metadata["Name"] or ""))
        if not name or name in seen:
            continue
        seen.add(name)
        text = dist.read_text("entry_points.txt") or ""
        if PREFIX in text:
            yield from parse_entry_points(text, name)


def scan(paths: Sequence[str]) -> tuple[EntryPoint, ...]:
    """Every ``secretsops.*`` entry point of the distributions found on ``paths``, in path order."""
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for path in paths:
        if os.path.isfile(path):
            found.extend(_scan_archive(path, seen))
        else:
            found.extend(_scan_directory(path, seen))
    return tuple(found)


@cache
def installed() -> tuple[EntryPoint, ...]:
    """The entry points of this process's ``sys.path``, scanned once on first use."""
    return scan(tuple(sys.path))


def group(name: str, entry_points: Iterable[EntryPoint] | None = None) -> list[EntryPoint]:
    """The entry points of one group, by name; two distributions claiming one name fail closed.

    Which of two key sources named ``age`` would wrap the data key is not something to guess.
    """
    out: dict[str, EntryPoint] = {}
    for ep in installed() if entry_points is None else entry_points:
        if ep.group != name:
            continue
        other = out.get(ep.name)
        if other is not None and other.value != ep.value:
            raise UsageError(
                f"two installed distributions provide {name} {ep.name!r} "
                f"({other.distribution}, {ep.distribution}): uninstall one"
            )
        out.setdefault(ep.name, ep)
    return list(out.values())
