"""Find key sources through the ``secretsops.keysources`` entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

from secretsops.keysources.base import MasterKey

GROUP = "secretsops.keysources"


def load_keysources() -> dict[str, type[MasterKey]]:
    """Map metadata kind (``age``, ``kms``, ...) to its MasterKey class, sorted by priority."""
    found: dict[str, type[MasterKey]] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        found[ep.name] = cls
    return dict(sorted(found.items(), key=lambda item: (item[1].priority, item[0])))
