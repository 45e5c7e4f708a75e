"""CLI commands (filled in by the owning issue)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, keygen_sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    del sub, keygen_sub


def _unused(args: argparse.Namespace) -> int:
    return 0
