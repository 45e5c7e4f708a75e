"""Baselines: accepted findings, by fingerprint, in a versioned JSON file.

A finding is matched by (rule, path, key, value fingerprint), never by line, so edits above a
finding leave the baseline valid, and a changed value shows up again. The file holds no
values, only 128-bit HMAC fingerprints keyed with the repository's private key (check/fpkey.py).
Older versions are upgraded in order on load. Version 1 held 32-bit fingerprints under a public
salt; they cannot be re-keyed without the values, so a version-1 baseline must be regenerated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.check.model import Finding
from secretsops.errors import CheckError, InputError

BASELINE_VERSION = 2

#: version N -> function upgrading a version-N document to N+1 (none needed yet)
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

Identity = tuple[str, str, str, str]


@dataclass
class Baseline:
    entries: set[Identity] = field(default_factory=set)

    def __contains__(self, finding: Finding) -> bool:
        return finding.identity in self.entries


def load_baseline(path: Path) -> Baseline:
    """Read a baseline; a missing file is an empty baseline, a broken one is an error."""
    if not path.exists():
        return Baseline()
    try:
        doc = yamlio.load_json(yamlio.read_text(path), str(path))
    except InputError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise CheckError(f"{path}: not a secretsops baseline (cannot read JSON: {reason})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), int):
        raise CheckError(f"{path}: not a secretsops baseline (no version)")
    version = doc["version"]
    if version > BASELINE_VERSION:
        raise CheckError(f"{path}: baseline version {version} is newer than this secretsops supports")
    while version < BASELINE_VERSION:
        if version == 1:
            raise CheckError(
                f"{path}: baseline version 1 holds unkeyed 32-bit fingerprints; regenerate it with "
                f"'secretsops check --baseline {path} --update-baseline'"
            )
        if version not in UPGRADES:
            raise CheckError(f"{path}: baseline version {version} cannot be upgraded")
        doc = UPGRADES[version](doc)
        version += 1
    entries: set[Identity] = set()
    for item in doc.get("findings") or []:
        if isinstance(item, dict):
            entries.add(
                (str(item.get("rule", "")), str(item.get("path", "")), str(item.get("key", "")),
                 str(item.get("fingerprint", "")))
            )  # fmt: skip
    return Baseline(entries)


def dump_baseline(findings: Iterable[Finding]) -> str:
    unique = {f.identity: f for f in findings}
    items = [
        {"rule": f.rule, "path": f.path, "key": f.key, "fingerprint": f.fingerprint, "line": f.line}
        for _ident, f in sorted(unique.items())
    ]
    doc = {"version": BASELINE_VERSION, "generator": "secretsops check", "findings": items}
    return json.dumps(doc, indent=2) + "\n"


def write_baseline(path: Path, findings: Iterable[Finding]) -> None:
    try:
        path.write_text(dump_baseline(findings), "utf-8")
    except OSError as exc:
        raise CheckError(f"{path}: cannot write baseline ({exc.strerror})") from None
