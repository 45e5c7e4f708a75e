"""sprig's date functions: Go layouts, time.Duration formatting and parsing.

Non-deterministic by nature (``now``, ``ago``); ESO users mostly format ``now`` for
annotations. Times are timezone-aware datetimes; the controller's local zone is UTC.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .funcs import ANY, STRING, FuncError
from .funcs_sprig import reg
from .values import Int64

_UNITS = {
    "ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9,
}


def parse_duration(s: str) -> int:
    """time.ParseDuration → nanoseconds."""
    orig = s
    neg = s.startswith("-")
    s = s.lstrip("+-") if s[:1] in "+-" else s
    if s == "0":
        return 0
    if not s:
        raise ValueError(f"time: invalid duration {orig!r}")
    total = 0
    pos = 0
    rx = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
    while pos < len(s):
        m = rx.match(s, pos)
        if not m:
            raise ValueError("time: invalid duration")
        total += int(float(m.group(1)) * _UNITS[m.group(2)])
        pos = m.end()
    return -total if neg else total


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    digits = ""
    printed = False
    for _ in range(prec):
        d = v % 10
        printed = printed or d != 0
        if printed:
            digits = str(d) + digits
        v //= 10
    return ("." + digits if printed else ""), v


def format_duration(ns: int) -> str:
    """time.Duration.String: 1h2m3.5s, 1.5ms, 0s."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < 10**9:
        if u < 1000:
            out = f"{u}ns"
        elif u < 10**6:
            frac, whole = _fmt_frac(u, 3)
            out = f"{whole}{frac}µs"
        else:
            frac, whole = _fmt_frac(u, 6)
            out = f"{whole}{frac}ms"
    else:
        frac, secs = _fmt_frac(u, 9)
        out = f"{secs % 60}{frac}s"
        mins = secs // 60
        if mins > 0:
            out = f"{mins % 60}m" + out
            hours = mins // 60
            if hours > 0:
                out = f"{hours}h" + out
    return "-" + out if neg else out


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@reg("duration", ANY)
def _duration(v: Any) -> str:
    from .funcs_sprig import to_int64

    return format_duration(to_int64(v) * 10**9)


@reg("durationRound", ANY)
def _duration_round(v: Any) -> str:
    if isinstance(v, str):
        try:
            ns = parse_duration(v)
        except ValueError:
            ns = 0
    elif isinstance(v, Int64):
        ns = int(v)
    elif isinstance(v, datetime.datetime):
        ns = int((_now() - v).total_seconds() * 10**9)
    else:
        ns = 0
    u = abs(ns)
    sec = 10**9
    for size, unit in ((365 * 86400 * sec, "y"), (30 * 86400 * sec, "mo"), (86400 * sec, "d"),
                       (3600 * sec, "h"), (60 * sec, "m"), (sec, "s")):
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


@reg("ago", ANY)
def _ago(v: Any) -> str:
    from .funcs_sprig import _as_time

    delta = _now() - _as_time(v)
    return format_duration(int(delta.total_seconds()) * 10**9)


def _modify(fmt: str, t: datetime.datetime) -> datetime.datetime:
    return t + datetime.timedelta(microseconds=parse_duration(fmt) // 1000)


@reg("dateModify", STRING, ANY)
def _date_modify(fmt: str, t: Any) -> Any:
    from .funcs_sprig import _as_time

    try:
        return _modify(fmt, _as_time(t))
    except ValueError:
        return _as_time(t)


reg("date_modify", STRING, ANY)(_date_modify)


@reg("mustDateModify", STRING, ANY)
def _must_date_modify(fmt: str, t: Any) -> Any:
    from .funcs_sprig import _as_time

    try:
        return _modify(fmt, _as_time(t))
    except ValueError:
        raise FuncError("time: invalid duration") from None


reg("must_date_modify", STRING, ANY)(_must_date_modify)

_STRPTIME = [
    ("2006", "%Y"), ("01", "%m"), ("02", "%d"), ("15", "%H"), ("04", "%M"), ("05", "%S"), ("Jan", "%b"),
    ("Mon", "%a"), ("MST", "%Z"), ("Z07:00", "%z"), ("-07:00", "%z"), ("-0700", "%z"), ("06", "%y"),
    ("January", "%B"), ("Monday", "%A"), ("PM", "%p"), ("03", "%I"),
]


def _layout_to_strptime(layout: str) -> str:
    out = []
    i = 0
    toks = sorted(_STRPTIME, key=lambda kv: -len(kv[0]))
    while i < len(layout):
        for tok, fmt in toks:
            if layout.startswith(tok, i):
                out.append(fmt)
                i += len(tok)
                break
        else:
            out.append("%%" if layout[i] == "%" else layout[i])
            i += 1
    return "".join(out)


def _to_date(layout: str, s: str) -> datetime.datetime:
    text = s[:-1] + "+00:00" if s.endswith("Z") and "Z07:00" in layout else s
    t = datetime.datetime.strptime(text, _layout_to_strptime(layout))  # noqa: DTZ007 - zone set below
    return t if t.tzinfo else t.replace(tzinfo=datetime.UTC)


@reg("toDate", STRING, STRING)
def _to_date_lenient(layout: str, s: str) -> datetime.datetime:
    try:
        return _to_date(layout, s)
    except ValueError:
        return datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)


@reg("mustToDate", STRING, STRING)
def _must_to_date(layout: str, s: str) -> datetime.datetime:
    try:
        return _to_date(layout, s)
    except ValueError:
        raise FuncError("parsing time: cannot parse") from None  # layout and input can be data


@reg("htmlDateInZone", ANY, STRING)
def _html_date_in_zone(t: Any, zone: str) -> str:
    from .funcs_sprig import _date_in_zone

    return _date_in_zone("2006-01-02", t, zone)


def _register_aliases() -> None:
    from .funcs_sprig import SPRIG_FUNCS

    SPRIG_FUNCS["date_in_zone"] = SPRIG_FUNCS["dateInZone"]


_register_aliases()
