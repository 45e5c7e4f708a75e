"""The one registry of decryptors, read from the ``secretsops.decryptors`` entry points.

Every pipeline (render, the engine, the KRM function, refresh) gets its decryptors here, in
pipeline ``order``. ``decryptors()`` builds the registry once per process, on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from secretsops import entrypoints
from secretsops.decryptors.base import Decryptor

GROUP = "secretsops.decryptors"


class DecryptorRegistry:
    """Decryptor classes from their entry points, instantiated per pipeline."""

    def __init__(self, entry_points: list[entrypoints.EntryPoint]) -> None:
        self.entry_points = entry_points

    @classmethod
    def from_entry_points(cls, found: Iterable[entrypoints.EntryPoint] | None = None) -> DecryptorRegistry:
        return cls(entrypoints.group(GROUP, found))

    def names(self) -> list[str]:
        return [ep.name for ep in self.entry_points]

    def load(
        self,
        only: list[str] | None = None,
        *,
        unavailable: Callable[[str, ImportError], None] | None = None,
    ) -> list[Decryptor]:
        """Instantiate every decryptor (or the named ones), in pipeline order.

        One that cannot be imported fails the call, unless ``unavailable`` is given: it is then
        told the name and skipped (the engine logs it and runs without).
        """
        found: list[Decryptor] = []
        for ep in self.entry_points:
            if only is not None and ep.name not in only:
                continue
            try:
                cls = ep.load()
            except ImportError as exc:
                if unavailable is None:
                    raise
                unavailable(ep.name, exc)
                continue
            found.append(cls())
        return sorted(found, key=lambda d: d.order)


@cache
def decryptors() -> DecryptorRegistry:
    """This process's decryptors (the installed entry points), built on first use."""
    return DecryptorRegistry.from_entry_points()


def load_decryptors(only: list[str] | None = None) -> list[Decryptor]:
    """Instantiate every registered decryptor (or the named ones), in pipeline order."""
    return decryptors().load(only)
