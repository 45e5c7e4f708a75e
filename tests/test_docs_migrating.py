"""docs/migrating.md names the tests that prove each step: every one it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ``tests/x/test_y.py::test_z`` or a bare ``::test_z`` (in the file named last before it)
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(test_\w+))?`")


def test_every_test_the_migration_guide_names_exists() -> None:
    text = (ROOT / "docs/migrating.md").read_text()
    current = ""
    missing: list[str] = []
    named = 0
    for found in REFERENCE.finditer(text):
        path, name = found.group(1), found.group(2)
        if path:
            current = path
            if not (ROOT / path).is_file():
                missing.append(path)
                continue
        if name:
            named += 1
            if not re.search(rf"^def {name}\(", (ROOT / current).read_text(), re.MULTILINE):
                missing.append(f"{current}::{name}")
    assert named > 20
    assert missing == []
