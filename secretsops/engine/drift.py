"""Drift detection: live vs desired by keyed fingerprints, never by kept values.

After a pass applies an object, we remember, for every field path we declare, an HMAC of the
value the API server stored (the apply response, so server-side normalisation is not drift).
The HMAC key is random per process and never leaves memory, so a fingerprint cannot be
brute-forced offline and nothing kept across passes reveals a value. Fields we do not declare
(defaults, other managers' fields) are not ours and are not compared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secretsops.manifests import Obj, ObjectId

#: metadata we declare but the server owns or rewrites
SKIPPED_METADATA = frozenset(
    {"creationTimestamp", "resourceVersion", "uid", "managedFields", "generation", "selfLink"}
)
_MISSING = object()

Path = tuple[str | int, ...]


def leaf_paths(obj: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every declared leaf; lists also contribute their length (an extra item is drift)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if prefix == ("metadata",) and key in SKIPPED_METADATA:
                continue
            if not prefix and key == "status":
                continue
            yield from leaf_paths(value, (*prefix, str(key)))
        if not obj and prefix:
            yield prefix
    elif isinstance(obj, list):
        yield (*prefix, "#len")
        for index, value in enumerate(obj):
            yield from leaf_paths(value, (*prefix, index))
    else:
        yield prefix


def value_at(obj: Any, path: Path) -> Any:
    current = obj
    for part in path:
        if part == "#len":
            return len(current) if isinstance(current, list) else _MISSING
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return _MISSING
            current = current[part]
        else:
            if not isinstance(current, dict) or part not in current:
                return _MISSING
            current = current[part]
    if isinstance(current, dict) and not current:
        return {}
    return current


def show_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "#len":
            out += ".length"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class ObjectPrint:
    """Field path → HMAC of the value (short hex); ``None`` means the field was absent."""

    api_version: str
    kind: str
    fields: dict[Path, str | None]


@dataclass
class Drift:
    id: ObjectId
    missing: bool = False
    changed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.missing:
            return f"{self.id}: deleted from the cluster"
        return f"{self.id}: changed {', '.join(self.changed)}"


@dataclass
class Fingerprinter:
    key: bytes = field(default_factory=lambda: os.urandom(32))

    def digest(self, value: Any) -> str | None:
        if value is _MISSING:
            return None
        canon = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
        return hmac.new(self.key, canon, hashlib.sha256).hexdigest()[:16]

    def print_of(self, desired: Obj, stored: Obj | None = None) -> ObjectPrint:
        """Fingerprint ``stored`` (the server's copy, default: desired) on desired's paths."""
        source = stored if stored is not None else desired
        fields = {p: self.digest(value_at(source, p)) for p in leaf_paths(desired)}
        return ObjectPrint(str(desired.get("apiVersion")), str(desired.get("kind")), fields)

    def compare(self, oid: ObjectId, expected: ObjectPrint, live: Obj | None) -> Drift | None:
        if live is None:
            return Drift(oid, missing=True)
        changed = [
            f"{show_path(p)} (fp {(fp or '-')[:6]}…→{(now or '-')[:6]}…)"
            for p, fp in expected.fields.items()
            if (now := self.digest(value_at(live, p))) != fp
        ]
        return Drift(oid, changed=changed) if changed else None
