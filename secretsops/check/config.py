"""Settings for a scan: the ``check:`` section of ``.secretsops.yaml`` plus command-line flags.

Exclude globs follow .gitignore's shape: a pattern without ``/`` matches a file or directory
name at any depth (``vendor``, ``*.png``); one with ``/`` is anchored at the repo root
(``docs/examples/**``); ``**`` spans directories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from secretsops import yamlio
from secretsops.errors import CheckError, InputError

CONFIG_FILE = ".secretsops.yaml"


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.strip("/")
    body = pattern.strip("/")
    out, i = [], 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + "".join(out) + "(?:/.*)?$")


@dataclass
class Excludes:
    patterns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rx = [glob_to_regex(p) for p in self.patterns if p]

    def match(self, path: str) -> bool:
        return any(rx.match(path) for rx in self._rx)


def load_check_config(text: str | None) -> dict[str, Any]:
    """The ``check`` mapping of .secretsops.yaml ({} when absent)."""
    if text is None:
        return {}
    try:
        doc = yamlio.load_one(text, CONFIG_FILE) or {}
    except InputError as exc:
        raise CheckError(str(exc)) from None
    section = doc.get("check") if isinstance(doc, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise CheckError(f"{CONFIG_FILE}: 'check' must be a mapping")
    exclude = section.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise CheckError(f"{CONFIG_FILE}: check.exclude must be a list of glob strings")
    return section
