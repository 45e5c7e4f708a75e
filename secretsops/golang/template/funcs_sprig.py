"""The sprig v3 functions ESO users reach for, with sprig's exact (often lenient) semantics.

sprig swallows most errors (``atoi "x"`` is 0, ``fromJson "{"`` is nil, ``b64dec`` of junk
returns the decoder's error text); the ``must*`` variants and a few functions (``fail``,
``regexReplaceAll`` on a bad pattern) fail the template, as in Go.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import math
import posixpath
import re
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from secretsops.golang import encoding_json
from secretsops.golang.strconv import quote as go_quote

from .fmt import sprintf
from .funcs import ANY, BOOL, FLOAT64, INT, STRING, FuncError, FuncMap, gobytes, gofunc, gostr
from .parser import _parse_go_int
from .values import MISSING, Int64, StringList, StringMap, go_type_name, json_default, wrap_int64

SPRIG_FUNCS: FuncMap = {}


def reg(name: str, *params: str, variadic: bool = False) -> Callable[..., Any]:
    return gofunc(SPRIG_FUNCS, name, *params, variadic=variadic)


# --- conversions (sprig's strval and spf13/cast) -----------------------------------------------


def strval(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bytes | bytearray):
        return gostr(bytes(v))
    if v is MISSING:
        v = None
    return sprintf("%v", v)


def _trim_zero_decimal(s: str) -> str:
    m = re.fullmatch(r"([+-]?\d+)\.0*", s)
    return m.group(1) if m and "." in s else s


def to_int64(v: Any) -> int:
    """cast.ToInt64: numbers truncate, strings parse with Go's base-0 rules, else 0."""
    if v is None or v is MISSING:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return wrap_int64(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return -(1 << 63)
        return wrap_int64(int(v))
    if isinstance(v, str):
        n = _parse_go_int(_trim_zero_decimal(v)) if v else None
        if n is None or not -(1 << 63) <= n < (1 << 63):
            return 0
        return n
    return 0


def to_float64(v: Any) -> float:
    """cast.ToFloat64."""
    if v is None or v is MISSING:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            if "_" in v or v.strip() != v:
                return 0.0
            return float(v)
        except ValueError:
            return 0.0
    return 0.0


def empty(v: Any) -> bool:
    """sprig's empty: nil, false, 0, "" and empty collections are empty."""
    if v is None or v is MISSING:
        return True
    if isinstance(v, bool):
        return not v
    if isinstance(v, int | float):
        return v == 0
    if isinstance(v, str | bytes | bytearray | list | tuple | dict):
        return len(v) == 0
    return False


def strslice(v: Any) -> list[str]:
    if v is None or v is MISSING:
        return []
    if isinstance(v, StringList):
        return list(v)
    if isinstance(v, list | tuple):
        return [strval(x) for x in v if x is not None and x is not MISSING]
    return [strval(v)]


def _listish(v: Any, fn: str) -> list[Any]:
    if isinstance(v, list | tuple):
        return list(v)
    raise FuncError(f"Cannot find {fn} on type {go_type_name(v)}")


# --- strings ------------------------------------------------------------------------------------

def _per_rune(s: str, conv: Callable[[str], str]) -> str:
    """Go maps case rune by rune; Python's special casing (ß → SS) does not apply."""
    return "".join(c2 if len(c2 := conv(c)) == 1 else c for c in s)


reg("upper", STRING)(lambda s: _per_rune(s, str.upper))
reg("lower", STRING)(lambda s: _per_rune(s, str.lower))
reg("trim", STRING)(lambda s: s.strip(_UNICODE_SPACE))
reg("trimAll", STRING, STRING)(lambda cut, s: s.strip(cut))
reg("trimSuffix", STRING, STRING)(lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s)
reg("trimPrefix", STRING, STRING)(lambda pre, s: s[len(pre) :] if s.startswith(pre) else s)
reg("contains", STRING, STRING)(lambda sub, s: sub in s)
reg("hasPrefix", STRING, STRING)(lambda pre, s: s.startswith(pre))
reg("hasSuffix", STRING, STRING)(lambda suf, s: s.endswith(suf))
reg("replace", STRING, STRING, STRING)(lambda old, new, s: _go_replace(s, old, new))
reg("nospace", STRING)(lambda s: "".join(c for c in s if not c.isspace()))
reg("toString", ANY)(strval)
reg("hello")(lambda: "Hello!")

_UNICODE_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
                 "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _go_replace(s: str, old: str, new: str) -> str:
    if old == "":  # strings.Replace with empty old inserts new around every rune
        return new + new.join(s) + new if s else new
    return s.replace(old, new)


def _is_separator(c: str) -> bool:
    if c.isascii():
        return not (c.isalnum() or c == "_")
    if c.isalpha() or c.isdigit():
        return False
    return c.isspace()


@reg("title", STRING)
def _title(s: str) -> str:
    out, prev = [], " "
    for c in s:
        out.append(c.upper() if len(c.upper()) == 1 and _is_separator(prev) else c)
        prev = c
    return "".join(out)


@reg("untitle", STRING)
def _untitle(s: str) -> str:
    out, prev = [], " "
    for c in s:
        out.append(c.lower() if _is_separator(prev) else c)
        prev = c
    return "".join(out)


@reg("quote", ANY, variadic=True)
def _quote(*args: Any) -> str:
    return " ".join(go_quote(strval(a)) for a in args if a is not None and a is not MISSING)


@reg("squote", ANY, variadic=True)
def _squote(*args: Any) -> str:
    return " ".join("'" + strval(a) + "'" for a in args if a is not None and a is not MISSING)


@reg("cat", ANY, variadic=True)
def _cat(*args: Any) -> str:
    vals = [a for a in args if a is not None and a is not MISSING]
    return sprintf(" ".join(["%v"] * len(vals)), *vals)


@reg("indent", INT, STRING)
def _indent(n: int, s: str) -> str:
    if n < 0:
        raise FuncError("strings: negative Repeat count")
    pad = " " * n
    return pad + s.replace("\n", "\n" + pad)


@reg("nindent", INT, STRING)
def _nindent(n: int, s: str) -> str:
    return "\n" + _indent(n, s)


@reg("repeat", INT, STRING)
def _repeat(n: int, s: str) -> str:
    if n < 0:
        raise FuncError("strings: negative Repeat count")
    return s * n


@reg("substr", INT, INT, STRING)
def _substr(start: int, end: int, s: str) -> str:
    b = gobytes(s)
    if start < 0:
        lo, hi = 0, end
    elif end < 0 or end > len(b):
        lo, hi = start, len(b)
    else:
        lo, hi = start, end
    if lo > len(b) or hi > len(b) or hi < 0 or lo > hi:
        raise FuncError("runtime error: slice bounds out of range")  # bounds: data-derived
    return gostr(b[lo:hi])


@reg("trunc", INT, STRING)
def _trunc(c: int, s: str) -> str:
    b = gobytes(s)
    if c < 0 and len(b) + c > 0:
        return gostr(b[len(b) + c :])
    if c >= 0 and len(b) > c:
        return gostr(b[:c])
    return s


@reg("abbrev", INT, STRING)
def _abbrev(width: int, s: str) -> str:
    if width < 4:
        return s
    return s if len(s) <= width else s[: width - 3] + "..."


@reg("initials", STRING)
def _initials(s: str) -> str:
    return "".join(w[0] for w in s.split())


@reg("plural", STRING, STRING, INT)
def _plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


@reg("wrap", INT, STRING)
def _wrap(width: int, s: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(s, width, break_long_words=False)) if s else s


reg("swapcase", STRING)(lambda s: _per_rune(s, str.swapcase))


@reg("snakecase", STRING)
def _snakecase(s: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", s)
    return re.sub(r"[-\s]+", "_", s).lower()


@reg("kebabcase", STRING)
def _kebabcase(s: str) -> str:
    return _snakecase(s).replace("_", "-")


@reg("camelcase", STRING)
def _camelcase(s: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\s-]+", s) if p)


@reg("split", STRING, STRING)
def _split(sep: str, s: str) -> StringMap:
    parts = _go_split(s, sep)
    return StringMap({f"_{i}": p for i, p in enumerate(parts)})


@reg("splitn", STRING, INT, STRING)
def _splitn(sep: str, n: int, s: str) -> StringMap:
    parts = _go_split(s, sep, n)
    return StringMap({f"_{i}": p for i, p in enumerate(parts)})


def _go_split(s: str, sep: str, n: int = -1) -> list[str]:
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            return chars[: n - 1] + ["".join(chars[n - 1 :])]
        return chars
    return s.split(sep, n - 1) if n > 0 else s.split(sep)


@reg("splitList", STRING, STRING)
def _split_list(sep: str, s: str) -> StringList:
    return StringList(_go_split(s, sep))


@reg("join", STRING, ANY)
def _join(sep: str, v: Any) -> str:
    return sep.join(strslice(v))


@reg("toStrings", ANY)
def _to_strings(v: Any) -> StringList:
    return StringList(strslice(v))


@reg("sortAlpha", ANY)
def _sort_alpha(v: Any) -> StringList:
    if isinstance(v, list | tuple):
        return StringList(sorted(strval(x) for x in v))
    return StringList([strval(v)])


# --- encoding & hashing -------------------------------------------------------------------------


@reg("b64enc", STRING)
def _b64enc(s: str) -> str:
    return base64.b64encode(gobytes(s)).decode()


@reg("b64dec", STRING)
def _b64dec(s: str) -> str:
    try:
        return gostr(_strict_b64(s))
    except ValueError as e:
        return str(e)


def _strict_b64(s: str) -> bytes:
    """base64.StdEncoding.DecodeString: strict padding; \\r and \\n are ignored."""
    for i, c in enumerate(s):
        if not (c.isascii() and (c.isalnum() or c in "+/=\r\n")):
            raise ValueError(f"illegal base64 data at input byte {i}")
    data = s.replace("\r", "").replace("\n", "")
    if len(data) % 4 != 0:
        raise ValueError(f"illegal base64 data at input byte {len(data) - len(data) % 4}")
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        idx = data.find("=")
        raise ValueError(f"illegal base64 data at input byte {max(idx, 0)}") from None


@reg("b32enc", STRING)
def _b32enc(s: str) -> str:
    return base64.b32encode(gobytes(s)).decode()


@reg("b32dec", STRING)
def _b32dec(s: str) -> str:
    try:
        return gostr(base64.b32decode(s))
    except (binascii.Error, ValueError):
        return "illegal base32 data at input byte 0"


reg("sha1sum", STRING)(lambda s: hashlib.sha1(gobytes(s)).hexdigest())  # noqa: S324 - sprig's sha1sum
reg("sha256sum", STRING)(lambda s: hashlib.sha256(gobytes(s)).hexdigest())
reg("sha512sum", STRING)(lambda s: hashlib.sha512(gobytes(s)).hexdigest())
reg("adler32sum", STRING)(lambda s: str(zlib.adler32(gobytes(s))))


@reg("toJson", ANY)
def _to_json(v: Any) -> str:
    try:
        return encoding_json.marshal(v, default=json_default)
    except encoding_json.UnsupportedValue:
        return ""


@reg("mustToJson", ANY)
def _must_to_json(v: Any) -> str:
    try:
        return encoding_json.marshal(v, default=json_default)
    except encoding_json.UnsupportedValue as e:
        raise FuncError(str(e)) from None


@reg("toPrettyJson", ANY)
def _to_pretty_json(v: Any) -> str:
    try:
        return encoding_json.marshal(v, indent="  ", default=json_default)
    except encoding_json.UnsupportedValue:
        return ""


@reg("toRawJson", ANY)
def _to_raw_json(v: Any) -> str:
    try:
        return encoding_json.marshal(v, escape_html=False, default=json_default)
    except encoding_json.UnsupportedValue:
        return ""


@reg("fromJson", STRING)
def _from_json(s: str) -> Any:
    try:
        return encoding_json.unmarshal(s)
    except ValueError:
        return None


@reg("mustFromJson", STRING)
def _must_from_json(s: str) -> Any:
    try:
        return encoding_json.unmarshal(s)
    except ValueError:
        raise FuncError("invalid JSON input") from None


# --- defaults & flow ------------------------------------------------------------------------------


@reg("default", ANY, ANY, variadic=True)
def _default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


reg("empty", ANY)(empty)


@reg("coalesce", ANY, variadic=True)
def _coalesce(*vals: Any) -> Any:
    for v in vals:
        if not empty(v):
            return v
    return None


reg("all", ANY, variadic=True)(lambda *v: all(not empty(x) for x in v))
reg("any", ANY, variadic=True)(lambda *v: any(not empty(x) for x in v))


@reg("ternary", ANY, ANY, BOOL)
def _ternary(t: Any, f: Any, cond: bool) -> Any:
    return t if cond else f


@reg("fail", STRING)
def _fail(msg: str) -> str:
    raise FuncError(msg)


@reg("typeOf", ANY)
def _type_of(v: Any) -> str:
    return go_type_name(v)


@reg("kindOf", ANY)
def _kind_of(v: Any) -> str:
    t = go_type_name(v)
    if t.startswith("map["):
        return "map"
    if t.startswith("[]"):
        return "slice"
    return {"<nil>": "invalid", "time.Time": "struct"}.get(t, t)


reg("kindIs", STRING, ANY)(lambda k, v: _kind_of(v) == k)
reg("typeIs", STRING, ANY)(lambda t, v: go_type_name(v) == t)


# --- numbers --------------------------------------------------------------------------------------

@reg("atoi", STRING)
def _atoi(s: str) -> int:
    if re.fullmatch(r"[+-]?[0-9]+", s):
        n = int(s)
        return max(min(n, (1 << 63) - 1), -(1 << 63))
    return 0


reg("int", ANY)(to_int64)
reg("int64", ANY)(lambda v: Int64(to_int64(v)))
reg("float64", ANY)(to_float64)
reg("toDecimal", ANY)(lambda v: Int64(_octal(v)))


def _octal(v: Any) -> int:
    try:
        return int(strval(v), 8)
    except ValueError:
        return 0


@reg("add1", ANY)
def _add1(v: Any) -> Int64:
    return Int64(wrap_int64(to_int64(v) + 1))


@reg("add", ANY, variadic=True)
def _add(*vals: Any) -> Int64:
    return Int64(wrap_int64(sum(to_int64(v) for v in vals)))


@reg("sub", ANY, ANY)
def _sub(a: Any, b: Any) -> Int64:
    return Int64(wrap_int64(to_int64(a) - to_int64(b)))


@reg("mul", ANY, ANY, variadic=True)
def _mul(a: Any, *vals: Any) -> Int64:
    r = to_int64(a)
    for v in vals:
        r = wrap_int64(r * to_int64(v))
    return Int64(r)


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return wrap_int64(q if (a >= 0) == (b >= 0) else -q)


@reg("div", ANY, ANY)
def _div(a: Any, b: Any) -> Int64:
    return Int64(_go_div(to_int64(a), to_int64(b)))


@reg("mod", ANY, ANY)
def _mod(a: Any, b: Any) -> Int64:
    x, y = to_int64(a), to_int64(b)
    return Int64(x - _go_div(x, y) * y)


@reg("max", ANY, ANY, variadic=True)
def _max(a: Any, *vals: Any) -> Int64:
    return Int64(max([to_int64(a)] + [to_int64(v) for v in vals]))


@reg("min", ANY, ANY, variadic=True)
def _min(a: Any, *vals: Any) -> Int64:
    return Int64(min([to_int64(a)] + [to_int64(v) for v in vals]))


reg("biggest", ANY, ANY, variadic=True)(_max)
reg("floor", ANY)(lambda v: float(math.floor(to_float64(v))))
reg("ceil", ANY)(lambda v: float(math.ceil(to_float64(v))))


@reg("round", ANY, INT, FLOAT64, variadic=True)
def _round(a: Any, p: int, *r_opt: float) -> float:
    round_on = r_opt[0] if r_opt else 0.5
    val = to_float64(a)
    if math.isnan(val) or math.isinf(val):
        return val
    pow_ = 10.0**p
    digit = pow_ * val
    div, _ = math.modf(digit)  # Go: _, frac := math.Modf(x)
    rounder = math.ceil(digit) if div >= round_on else math.floor(digit)
    return rounder / pow_


@reg("until", INT)
def _until(n: int) -> list[Any]:
    return list(range(0, n, 1 if n >= 0 else -1))


@reg("untilStep", INT, INT, INT)
def _until_step(start: int, stop: int, step: int) -> list[Any]:
    if step == 0 or (step > 0 and start >= stop) or (step < 0 and start <= stop):
        return []
    return list(range(start, stop, step))


@reg("seq", INT, variadic=True)
def _seq(*params: int) -> str:
    if len(params) == 1:
        start, step, end = 1, 1, params[0]
    elif len(params) == 2:
        start, end = params
        step = 1 if end >= start else -1
    elif len(params) == 3:
        start, step, end = params
    else:
        return ""
    if step == 0 or (step > 0 and start > end) or (step < 0 and start < end):
        return ""
    stop = end + (1 if step > 0 else -1)
    return " ".join(str(i) for i in range(start, stop, step))


# --- paths, uuids, time ---------------------------------------------------------------------------


@reg("base", STRING)
def _base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    return "/" if p == "" else p.rsplit("/", 1)[-1]


@reg("dir", STRING)
def _dir(p: str) -> str:
    d = p[: p.rfind("/") + 1] if "/" in p else ""
    return _clean(d)


def _clean(p: str) -> str:
    if p == "":
        return "."
    out = posixpath.normpath(p)
    return "/" if out.startswith("//") and out.strip("/") == "" else out.replace("//", "/")


reg("clean", STRING)(_clean)


@reg("ext", STRING)
def _ext(p: str) -> str:
    i = len(p) - 1
    while i >= 0 and p[i] != "/":
        if p[i] == ".":
            return p[i:]
        i -= 1
    return ""


reg("isAbs", STRING)(lambda p: p.startswith("/"))
reg("uuidv4")(lambda: str(uuid.uuid4()))
reg("now")(lambda: datetime.datetime.now(datetime.UTC))


def _as_time(v: Any) -> datetime.datetime:
    if isinstance(v, datetime.datetime):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return datetime.datetime.fromtimestamp(v, datetime.UTC)
    return datetime.datetime.now(datetime.UTC)


_GO_LAYOUT = [
    ("2006", "%Y"), ("01", "%m"), ("02", "%d"), ("15", "%H"), ("04", "%M"), ("05", "%S"),
    ("Jan", "%b"), ("Mon", "%a"), ("MST", "%Z"), ("-0700", "%z"), ("06", "%y"), ("PM", "%p"),
    ("January", "%B"), ("Monday", "%A"),
]


def go_time_format(t: datetime.datetime, layout: str) -> str:
    """time.Format for the common layout elements (2006-01-02T15:04:05Z07:00 and friends)."""
    out = []
    i = 0
    tokens = sorted(
        _GO_LAYOUT + [("Z07:00", "Z07:00"), ("-07:00", "-07:00"), (".000", ".000"), ("03", "%I")],
        key=lambda kv: -len(kv[0]),
    )
    while i < len(layout):
        for tok, fmt in tokens:
            if layout.startswith(tok, i):
                if fmt in ("Z07:00", "-07:00"):
                    off = t.utcoffset() or datetime.timedelta(0)
                    secs = int(off.total_seconds())
                    if fmt == "Z07:00" and secs == 0:
                        out.append("Z")
                    else:
                        sign = "-" if secs < 0 else "+"
                        secs = abs(secs)
                        out.append(f"{sign}{secs // 3600:02d}:{(secs % 3600) // 60:02d}")
                elif fmt == ".000":
                    out.append(f".{t.microsecond // 1000:03d}")
                else:
                    out.append(t.strftime(fmt))
                i += len(tok)
                break
        else:
            out.append(layout[i])
            i += 1
    return "".join(out)


@reg("date", STRING, ANY)
def _date(fmt: str, v: Any) -> str:
    return go_time_format(_as_time(v), fmt)


@reg("dateInZone", STRING, ANY, STRING)
def _date_in_zone(fmt: str, v: Any, zone: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz: datetime.tzinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = datetime.UTC
    return go_time_format(_as_time(v).astimezone(tz), fmt)


reg("unixEpoch", ANY)(lambda v: str(int(_as_time(v).timestamp())))
reg("htmlDate", ANY)(lambda v: go_time_format(_as_time(v), "2006-01-02"))
