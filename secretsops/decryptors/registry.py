"""Find decryptors through the ``secretsops.decryptors`` entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

from secretsops.decryptors.base import Decryptor

GROUP = "secretsops.decryptors"


def load_decryptors(only: list[str] | None = None) -> list[Decryptor]:
    """Instantiate every registered decryptor (or the named ones), in pipeline order."""
    found: list[Decryptor] = []
    for ep in entry_points(group=GROUP):
        if only is not None and ep.name not in only:
            continue
        found.append(ep.load()())
    return sorted(found, key=lambda d: d.order)
