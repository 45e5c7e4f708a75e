"""The one registry of SOPS stores (file formats): CLI choices, extension mapping, ``stores:``.

A store is a ``Store`` subclass registered under the entry-point group ``secretsops.formats``,
named by its ``name``. ``--input-type``/``--output-type`` offer the registered names (read
without importing any store); a file is given the format whose class lists its suffix or name,
and anything no format claims is ``binary``, as in sops.

Stores are imported only when needed: picking the format of ``x.yaml`` imports the store named
like the suffix first (``yaml``) and stops there when it claims the file. Two stores claiming
one suffix: the one named like it wins, else the first by name. ``formats()`` builds
the registry once per process, on first use.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from secretsops import entrypoints
from secretsops.errors import UsageError
from secretsops.sops.formats.base import Store

GROUP = "secretsops.formats"
#: sops' rule: a file no format claims is encrypted as a whole (the binary store)
FALLBACK = "binary"


def name_and_suffix(path: str) -> tuple[str, str]:
    """``PurePosixPath(path).name`` and its ``.suffix``, without importing pathlib (a decrypt
    needs nothing else from it): the last component ignoring empty and ``.`` ones; the suffix
    from its last dot, unless that dot starts or ends the name."""
    parts = [p for p in path.split("/") if p and p != "."]
    name = parts[-1] if parts else ""
    dot = name.rfind(".")
    return name, name[dot:] if 0 < dot < len(name) - 1 else ""


class FormatRegistry:
    """Store classes by name, loaded lazily from their entry points (a plain class: it is built on
    every start, and a dataclass costs more to create than a decrypt spends here)."""

    def __init__(self, entry_points: list[entrypoints.EntryPoint]) -> None:
        self.entry_points = entry_points
        self._loaded: dict[str, type[Store]] = {}

    @classmethod
    def from_entry_points(cls, found: Iterable[entrypoints.EntryPoint] | None = None) -> FormatRegistry:
        return cls(entrypoints.group(GROUP, found))

    def names(self) -> list[str]:
        """Every registered format name (the CLI's choices), without importing any store."""
        return sorted(ep.name for ep in self.entry_points)

    def get(self, name: str) -> type[Store]:
        """The store class for ``name``; ``UsageError`` naming the known formats when unknown."""
        if name not in self._loaded:
            ep = next((e for e in self.entry_points if e.name == name), None)
            if ep is None:
                raise UsageError(f"unknown format {name!r} (known: {', '.join(self.names())})")
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Store)):
                raise UsageError(f"format {name!r} from {ep.distribution} is not a Store class")
            self._loaded[name] = cls
        return self._loaded[name]

    def store(self, name: str, indent: int | None = None) -> Store:
        return self.get(name)(indent)

    def for_path(self, path: str) -> str:
        """The format sops picks for a file name: by suffix or whole name, else ``binary``."""
        name, suffix = name_and_suffix(path)
        suffix = suffix.lower()
        for fmt in sorted(self.names(), key=lambda n: _likeness(n, suffix[1:] or name)):
            cls = self.get(fmt)
            if suffix in cls.extensions or name in cls.file_names:
                return fmt
        return FALLBACK

    def config_section(self, name: str) -> str:
        """The ``.sops.yaml`` ``stores:`` key for ``name`` ("" when the format has none)."""
        return self.get(name).config_section


def _likeness(fmt: str, hint: str) -> int:
    """Order of trying formats: named like the suffix (``yaml``), then similar (``yml``, ``env``
    → ``dotenv``), then the rest. Only saves imports; the classes' declarations decide."""
    if fmt == hint:
        return 0
    return 1 if hint and (fmt[0] == hint[0] or hint.strip(".") in fmt) else 2


@cache
def formats() -> FormatRegistry:
    """This process's formats (the installed entry points), built on first use."""
    return FormatRegistry.from_entry_points()
