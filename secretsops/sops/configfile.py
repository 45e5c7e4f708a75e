"""Finding ``.sops.yaml``: kept apart from ``rules`` so a decrypt without one imports nothing else."""

from __future__ import annotations

from pathlib import Path

CONFIG_NAME = ".sops.yaml"
MAX_DEPTH = 100


def find_config(start: Path) -> Path | None:
    """``.sops.yaml`` in ``start`` or the nearest parent directory (at most 100 levels, as sops)."""
    d = start.absolute()
    for _ in range(MAX_DEPTH):
        cand = d / CONFIG_NAME
        if cand.is_file():
            return cand
        if d.parent == d:
            break
        d = d.parent
    return None
