"""When an ExternalSecret is read again: ``refreshInterval`` (a Go duration) and ``refreshPolicy``.

The engine asks ``refresh_due`` each pass so a store is not hit more often than its
ExternalSecrets ask for; ``"0"``/``"0s"`` and the CreatedOnce/OnChange policies mean "only when
the ExternalSecret itself changes", which the engine detects by its own spec hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from secretsops.errors import InputError

DEFAULT_REFRESH_INTERVAL = timedelta(hours=1)

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5
    "μs": 1e-6,  # U+03BC
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> timedelta:
    """Go's ``time.ParseDuration`` (``"1h30m"``, ``"90s"``, ``"1.5h"``, ``"0"``)."""
    s = str(text).strip()
    orig = s
    if not s:
        raise InputError(f"invalid duration {orig!r}")
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return timedelta(0)
    if not s:
        raise InputError(f"invalid duration {orig!r}")
    total = 0.0
    pos = 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m:
            raise InputError(f"invalid duration {orig!r}: expected a number and a unit (ns, us, ms, s, m, h)")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return timedelta(seconds=sign * total)


def refresh_interval(es: dict[str, Any]) -> timedelta | None:
    """The period between reads, or None when the ExternalSecret is never refreshed on a timer."""
    spec = es.get("spec") or {}
    if not isinstance(spec, dict):
        name = (es.get("metadata") or {}).get("name") if isinstance(es.get("metadata"), dict) else None
        raise InputError(f"ExternalSecret {name or ''}: spec: expected a mapping")
    policy = spec.get("refreshPolicy") or "Periodic"
    if policy in ("CreatedOnce", "OnChange"):
        return None
    raw = spec.get("refreshInterval")
    interval = DEFAULT_REFRESH_INTERVAL if raw in (None, "") else parse_duration(str(raw))
    if interval <= timedelta(0):
        return None
    return interval


def refresh_due(es: dict[str, Any], last_resolved_at: datetime | None, now: datetime) -> bool:
    """True when the ExternalSecret should be resolved again in this pass."""
    if last_resolved_at is None:
        return True
    interval = refresh_interval(es)
    if interval is None:
        return False
    return now - last_resolved_at >= interval


def next_refresh_at(objects: Iterable[dict[str, Any]], last_resolved_at: datetime) -> datetime | None:
    """When the earliest ExternalSecret among ``objects`` is due again (None: none on a timer).

    For the engine: a source whose commit did not change still needs a full pass at this time,
    or its ExternalSecrets would never refresh.
    """
    from secretsops.external.resources import EXTERNAL_SECRET, is_eso

    intervals = [refresh_interval(o) for o in objects if is_eso(o, EXTERNAL_SECRET)]
    timed = [i for i in intervals if i is not None]
    return last_resolved_at + min(timed) if timed else None
