"""Shared assertions for the tests."""

from __future__ import annotations

import os
from pathlib import Path

CANARY_PREFIX = "CANARY-5ecre7-"


def new_canary() -> str:
    """A unique plaintext value that must never show up where plaintext must not go."""
    return CANARY_PREFIX + os.urandom(6).hex()


def assert_no_canary(canary: str, *places: Path | str | bytes) -> None:
    """Fail if the canary appears in any given text, bytes, file, or file under a directory."""
    needle = canary.encode()
    for place in places:
        if isinstance(place, bytes):
            assert needle not in place
        elif isinstance(place, str) and not os.path.exists(place):
            assert canary not in place
        else:
            root = Path(place)
            files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
            for f in files:
                try:
                    assert needle not in f.read_bytes(), f"canary found in {f}"
                except OSError:
                    continue
