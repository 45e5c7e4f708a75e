"""Finding ``.sops.yaml``: kept apart from ``rules`` so a decrypt without one imports nothing else."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)


if TYPE_CHECKING:
    from pathlib import Path

CONFIG_NAME = ".sops.yaml"
MAX_DEPTH = 100


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """``.sops.yaml`` in ``start`` or the nearest parent directory (at most 100 levels, as sops).

    Walked with ``os.path``: a decrypt without a config (the usual case) never imports pathlib."""
    d = os.path.abspath(start)
    for _ in range(MAX_DEPTH):
        cand = os.path.join(d, CONFIG_NAME)
        if os.path.isfile(cand):
            from pathlib import Path

            return Path(cand)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return None
