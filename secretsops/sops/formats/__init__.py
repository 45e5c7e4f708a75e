"""SOPS stores (file formats), found through the ``secretsops.formats`` entry points.

The registry (``formats.registry``) is the one place that knows which formats exist; these two
functions are what most callers need.
"""

from __future__ import annotations

from secretsops.sops.formats.base import Store
from secretsops.sops.formats.registry import formats


def format_for_path(path: str) -> str:
    """The store sops picks from a file name: by extension, anything else is binary."""
    return formats().for_path(path)


def get_store(fmt: str, indent: int | None = None) -> Store:
    """Instantiate the store for ``fmt`` (``UsageError`` naming the known formats if unknown)."""
    return formats().store(fmt, indent)
