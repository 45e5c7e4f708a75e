"""libyaml-backed parsing for the hot path (a source may hold thousands of manifests).

Same rules as ``manifests.parse_documents`` (safe loader, timestamps stay strings, JSON files
as JSON). Anything unusual — no libyaml, a parse error, non-UTF-8 — returns ``None`` so the
caller falls back to the shared loader, whose error messages are the ones users see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

_CLoader: Any = getattr(yaml, "CSafeLoader", None)

if _CLoader is not None:

    class _FastLoader(_CLoader):  # type: ignore[misc,valid-type]
        """CSafeLoader that keeps timestamps as strings, like the shared loader."""

    _FastLoader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load_all(path: Path) -> list[Any] | None:
    """Documents of one file, or None when the caller should use the shared (slower) loader."""
    if _CLoader is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".json") and text.lstrip().startswith(("{", "[")):
            return [json.loads(text)]
        return [d for d in yaml.load_all(text, Loader=_FastLoader) if d is not None]  # noqa: S506
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
