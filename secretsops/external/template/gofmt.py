"""Go's fmt package, as far as templates use it: print, println, printf and %v of any value.

Values print exactly as Go prints them: ints without ``.0``, floats in Go's shortest ``%g``
form (``1e+06``), bools lowercase, nil as ``<nil>``, lists as ``[a b]``, maps as
``map[a:1 b:2]`` with keys sorted, and wrong verbs as ``%!d(string=x)``.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .values import MISSING, GoStruct, go_type_name

# --- strconv -----------------------------------------------------------------------------------


def _quote_rune_body(c: str, quote: str) -> str:
    code = ord(c)
    if c in (quote, "\\"):
        return "\\" + c
    if c.isprintable() and not (0xD800 <= code <= 0xDFFF):
        return c
    esc = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if c in esc:
        return esc[c]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return "\\ufffd"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    return '"' + "".join(_quote_rune_body(c, '"') for c in s) + '"'


def go_quote_rune(code: int) -> str:
    """strconv.QuoteRune: a single-quoted Go character literal."""
    if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    return "'" + _quote_rune_body(chr(code), "'") + "'"


def _can_backquote(s: str) -> bool:
    return all(c not in ("`", "\ufeff") and (c == "\t" or c.isprintable()) for c in s)


@dataclass(frozen=True, slots=True)
class _Digits:
    digits: str  # significant decimal digits without trailing zeros ("" for zero)
    dp: int  # position of the decimal point relative to the digits


def _shortest_digits(v: float) -> _Digits:
    if v == 0:
        return _Digits("", 0)
    sign, digs, exp = Decimal(repr(abs(v))).as_tuple()
    s = "".join(map(str, digs))
    dp = len(s) + int(exp)
    stripped = s.rstrip("0")
    lead = len(s) - len(s.lstrip("0"))
    return _Digits(stripped.lstrip("0"), dp - lead)


def _rounded_digits(v: float, sig: int) -> _Digits:
    if v == 0:
        return _Digits("", 0)
    text = f"{abs(v):.{max(sig - 1, 0)}e}"
    mant, exp = text.split("e")
    digs = mant.replace(".", "").rstrip("0")
    return _Digits(digs, int(exp) + 1)


def _fmt_e(d: _Digits, prec: int, e: str) -> str:
    first = d.digits[0] if d.digits else "0"
    out = first
    if prec > 0:
        rest = d.digits[1 : prec + 1]
        out += "." + rest + "0" * (prec - len(rest))
    exp = 0 if not d.digits else d.dp - 1
    sign = "-" if exp < 0 else "+"
    exp = abs(exp)
    return out + e + sign + (f"{exp:02d}")


def _fmt_f(d: _Digits, prec: int) -> str:
    if d.dp > 0:
        ip = d.digits[: d.dp] + "0" * max(d.dp - len(d.digits), 0)
    else:
        ip = "0"
    if prec > 0:
        frac = []
        for i in range(1, prec + 1):
            j = d.dp + i - 1
            frac.append(d.digits[j] if 0 <= j < len(d.digits) else "0")
        ip += "." + "".join(frac)
    return ip


def format_float(v: float, fmt: str = "g", prec: int = -1) -> str:
    """strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, E, f, g, G."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    neg = math.copysign(1.0, v) < 0
    sign = "-" if neg else ""
    shortest = prec < 0
    lower = fmt.lower()
    if fmt == "b":
        m, e = math.frexp(abs(v))
        return sign + (f"{int(m * 2**53)}p{e - 53:+d}" if v != 0 else "0p-1074")
    if lower == "x":
        return sign + _hex_float(abs(v), prec, upper=fmt == "X")
    if lower == "f":
        if shortest:
            d = _shortest_digits(v)
            return sign + _fmt_f(d, max(len(d.digits) - d.dp, 0))
        return sign + f"{abs(v):.{prec}f}"
    if lower == "e":
        if shortest:
            d = _shortest_digits(v)
            return sign + _fmt_e(d, len(d.digits) - 1, fmt)
        return sign + _fmt_e(_rounded_digits(v, prec + 1), prec, fmt)
    # g / G
    if shortest:
        d = _shortest_digits(v)
        prec = len(d.digits)
        eprec = 6
    else:
        if prec == 0:
            prec = 1
        d = _rounded_digits(v, prec)
        eprec = prec
        if eprec > len(d.digits) and len(d.digits) >= d.dp:
            eprec = len(d.digits)
    exp = d.dp - 1
    echar = "e" if fmt == "g" else "E"
    if exp < -4 or exp >= eprec:
        prec = min(prec, len(d.digits))
        return sign + _fmt_e(d, prec - 1, echar)
    if prec > d.dp:
        prec = len(d.digits)
    return sign + _fmt_f(d, max(prec - d.dp, 0))


def _hex_float(v: float, prec: int, upper: bool) -> str:
    """strconv 'x' format: 0x1.cp+01 (shortest mantissa, two-digit exponent)."""
    if v == 0:
        mant, exp = "0", 0
    else:
        h = v.hex()  # 0x1.c000000000000p+1
        body, _, e = h[2:].partition("p")
        mant, exp = body.rstrip("0").rstrip("."), int(e)
        if prec >= 0:
            whole, _, frac = mant.partition(".")
            frac = frac[:prec].ljust(prec, "0")  # truncates where Go rounds; rare enough
            mant = whole + ("." + frac if prec > 0 else "")
    out = f"0x{mant}p{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return out.upper() if upper else out


# --- time.Time ---------------------------------------------------------------------------------


def format_time(t: datetime.datetime) -> str:
    """time.Time.String() without the monotonic clock suffix."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    off = t.utcoffset() or datetime.timedelta(0)
    total = int(off.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    frac = f".{t.microsecond:06d}000".rstrip("0") if t.microsecond else ""
    name = t.tzname() or ""
    if name in ("UTC", "UTC+00:00"):
        name = "UTC"
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}{frac} "
        f"{sign}{total // 3600:02d}{(total % 3600) // 60:02d} {name}"
    )


# --- the printer -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Flags:
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    space: bool = False
    zero: bool = False
    wid: int | None = None
    prec: int | None = None
    plus_v: bool = False
    sharp_v: bool = False


def _pad(s: str, f: _Flags) -> str:
    if f.wid is None or len(s) >= f.wid:
        return s
    fill = f.wid - len(s)
    if f.minus:
        return s + " " * fill
    return ("0" if f.zero else " ") * fill + s


def _sort_key(k: Any) -> tuple[int, Any]:
    if isinstance(k, bool):
        return (0, int(k))
    if isinstance(k, int | float):
        return (1, k)
    return (2, str(k))


def sorted_items(m: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """fmtsort order: numbers numerically, strings bytewise (= code point order)."""
    return sorted(m.items(), key=lambda kv: _sort_key(kv[0]))


class _Printer:
    def __init__(self) -> None:
        self.buf: list[str] = []

    # integers ---------------------------------------------------------------------------
    def fmt_integer(self, v: int, verb: str, f: _Flags) -> str:  # noqa: C901
        neg = v < 0
        a = -v if neg else v
        if verb == "c":
            return _pad(chr(a) if 0 <= v <= 0x10FFFF else "\ufffd", f)
        if verb == "q":
            return _pad(go_quote_rune(v), f)
        if verb == "U":
            s = f"U+{a:04X}"
            if f.sharp and 0 <= v <= 0x10FFFF and chr(v).isprintable():
                s += " '" + chr(v) + "'"
            return _pad(s, f)
        base = {"d": 10, "v": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}[verb]
        if base == 10:
            digits = str(a)
        elif base == 2:
            digits = format(a, "b")
        elif base == 8:
            digits = format(a, "o")
        else:
            digits = format(a, "x" if verb == "x" else "X")
        if f.prec is not None:
            if f.prec == 0 and v == 0:
                digits = ""
            digits = digits.rjust(f.prec, "0")
        prefix = ""
        if f.sharp or verb == "O":
            if base == 8 and verb == "O":
                prefix = "0o"
            elif base == 8 and not digits.startswith("0"):
                prefix = "0"
            elif base == 16 and f.sharp:
                prefix = "0x" if verb == "x" else "0X"
            elif base == 2 and f.sharp:
                prefix = "0b"
        sign = "-" if neg else ("+" if f.plus else (" " if f.space else ""))
        body = prefix + digits
        if f.zero and f.wid is not None and not f.minus and f.prec is None:
            body = body.rjust(f.wid - len(sign), "0")
        return _pad(sign + body, f)

    # floats -----------------------------------------------------------------------------
    def fmt_float(self, v: float, verb: str, f: _Flags) -> str:
        if verb == "v":
            fv, prec = "g", -1
        elif verb in "bgGxX":
            fv, prec = verb, -1
        else:
            fv, prec = ("f" if verb == "F" else verb), 6
        if f.prec is not None:
            prec = f.prec
        num = format_float(v, fv, prec)
        if num[0] not in "+-":
            num = "+" + num
        if f.space and num[0] == "+" and not f.plus:
            num = " " + num[1:]
        if num[1] in "IN":
            if num[1] == "N" and not f.space and not f.plus:
                num = num[1:]
            old = f.zero
            f.zero = False
            out = _pad(num, f)
            f.zero = old
            return out
        if f.plus or num[0] != "+":
            if f.zero and not f.minus and f.wid is not None and f.wid > len(num):
                return num[0] + "0" * (f.wid - len(num)) + num[1:]
            return _pad(num, f)
        return _pad(num[1:], f)

    # strings ----------------------------------------------------------------------------
    def fmt_string(self, s: str, verb: str, f: _Flags) -> str:
        if f.prec is not None and verb in "sv":
            s = s[: f.prec]
        if verb in ("s", "v"):
            if f.sharp_v:
                return _pad(go_quote(s), f)
            return _pad(s, f)
        if verb in ("x", "X"):
            return _pad(_hex_bytes(s.encode(), verb, f), f)
        if verb == "q":
            if f.sharp and _can_backquote(s):
                return _pad("`" + s + "`", f)
            return _pad(go_quote(s), f)
        return self.bad_verb(s, verb)

    def bad_verb(self, value: Any, verb: str) -> str:
        if value is None or value is MISSING:
            return f"%!{verb}(<nil>)"
        return f"%!{verb}({go_type_name(value)}={self.format(value, 'v', _Flags())})"

    # any value --------------------------------------------------------------------------
    def format(self, value: Any, verb: str, f: _Flags, depth: int = 0) -> str:  # noqa: C901
        if verb == "T":
            return _pad(go_type_name(value), f)
        if value is None or value is MISSING:
            if verb == "v":
                return _pad("<nil>", f)
            return self.bad_verb(value, verb)
        if isinstance(value, bool):
            if verb in ("t", "v"):
                return _pad("true" if value else "false", f)
            return self.bad_verb(value, verb)
        if isinstance(value, int):
            if verb in "bcdoOqxXUv" and len(verb) == 1:
                return self.fmt_integer(value, verb, f)
            return self.bad_verb(value, verb)
        if isinstance(value, float):
            if verb in "bvgGxXeEfF" and len(verb) == 1:
                return self.fmt_float(value, verb, f)
            return self.bad_verb(value, verb)
        if isinstance(value, str):
            if verb in ("v", "s", "x", "X", "q"):
                return self.fmt_string(value, verb, f)
            return self.bad_verb(value, verb)
        if isinstance(value, bytes | bytearray):
            if verb in ("s",):
                return self.fmt_string(value.decode("utf-8", "replace"), verb, f)
            if verb in ("x", "X"):
                return _pad(_hex_bytes(bytes(value), verb, f), f)
            if verb == "q":
                return self.fmt_string(value.decode("utf-8", "replace"), verb, f)
            return "[" + " ".join(self.format(b, verb, f, depth + 1) for b in value) + "]"
        if isinstance(value, datetime.datetime):
            if verb in ("v", "s"):
                return self.fmt_string(format_time(value), "s", f)
            if verb == "q":
                return self.fmt_string(format_time(value), "q", f)
            return self.bad_verb(value, verb)
        if isinstance(value, GoStruct):
            if f.plus_v:
                fields = (f"{k}:{self.format(v, verb, f, depth + 1)}" for k, v in value.items())
                return "{" + " ".join(fields) + "}"
            return "{" + " ".join(self.format(v, verb, f, depth + 1) for v in value.values()) + "}"
        if isinstance(value, dict):
            if f.sharp_v:
                inner = ", ".join(
                    self.format(k, verb, f, depth + 1) + ":" + self.format(v, verb, f, depth + 1)
                    for k, v in sorted_items(value)
                )
                return go_type_name(value) + "{" + inner + "}"
            inner = " ".join(
                self.format(k, verb, f, depth + 1) + ":" + self.format(v, verb, f, depth + 1)
                for k, v in sorted_items(value)
            )
            return "map[" + inner + "]"
        if isinstance(value, list | tuple):
            if f.sharp_v:
                return go_type_name(value) + "{" + ", ".join(
                    self.format(v, verb, f, depth + 1) for v in value) + "}"
            return "[" + " ".join(self.format(v, verb, f, depth + 1) for v in value) + "]"
        if callable(value):
            return _pad("0x0", f) if verb in ("v", "p") else self.bad_verb(value, verb)
        return _pad(str(value), f)


def _hex_bytes(b: bytes, verb: str, f: _Flags) -> str:
    if f.prec is not None:
        b = b[: f.prec]
    digits = b.hex() if verb == "x" else b.hex().upper()
    if not f.space:
        return (("0x" if verb == "x" else "0X") if f.sharp and b else "") + digits
    parts = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    if f.sharp:
        parts = [("0x" if verb == "x" else "0X") + p for p in parts]
    return " ".join(parts)


def sprint_value(value: Any) -> str:
    """fmt.Sprint of one value (%v with default flags)."""
    if isinstance(value, str):
        return value
    return _Printer().format(value, "v", _Flags())


def sprint(*args: Any) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    out: list[str] = []
    prev_string = False
    for i, a in enumerate(args):
        is_string = isinstance(a, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(sprint_value(a))
        prev_string = is_string
    return "".join(out)


def sprintln(*args: Any) -> str:
    """fmt.Sprintln: always spaces between operands, and a newline."""
    return " ".join(sprint_value(a) for a in args) + "\n"


def sprintf(fmt: str, *args: Any) -> str:  # noqa: C901
    """fmt.Sprintf with Go's verbs, flags, width, precision and its error notations."""
    p = _Printer()
    out: list[str] = []
    argi = 0
    i = 0
    n = len(fmt)
    reordered = False
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        f = _Flags()
        while i < n and fmt[i] in "#0+- ":
            c = fmt[i]
            if c == "#":
                f.sharp = True
            elif c == "0":
                f.zero = not f.minus
            elif c == "+":
                f.plus = True
            elif c == "-":
                f.minus = True
                f.zero = False
            else:
                f.space = True
            i += 1
        # argument index [n]
        if i < n and fmt[i] == "[":
            k = fmt.find("]", i)
            if k > i and fmt[i + 1 : k].isdigit():
                argi = int(fmt[i + 1 : k]) - 1
                reordered = True
                i = k + 1
        if i < n and fmt[i] == "*":
            i += 1
            if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
                f.wid = args[argi]
                if f.wid < 0:
                    f.minus = True
                    f.zero = False
                    f.wid = -f.wid
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                f.wid = int(fmt[start:i])
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
                    f.prec = args[argi] if args[argi] >= 0 else None
                else:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                start = i
                while i < n and fmt[i].isdigit():
                    i += 1
                f.prec = int(fmt[start:i]) if i > start else 0
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        if verb == "v":
            f.sharp_v, f.sharp = f.sharp, False
            f.plus_v, f.plus = f.plus, False
            if f.sharp_v:
                out.append(_sharp_v(arg, p, f))
                continue
        if verb == "w":
            verb = "v"
        out.append(p.format(arg, verb, f))
    if not reordered and argi < len(args):
        extra = []
        for a in args[argi:]:
            if a is None or a is MISSING:
                extra.append("<nil>")
            else:
                extra.append(go_type_name(a) + "=" + p.format(a, "v", _Flags()))
        out.append("%!(EXTRA " + ", ".join(extra) + ")")
    return "".join(out)


def _sharp_v(arg: Any, p: _Printer, f: _Flags) -> str:
    if arg is None or arg is MISSING:
        return _pad("<nil>", f)
    if isinstance(arg, str):
        return _pad(go_quote(arg), f)
    if isinstance(arg, float):
        return _pad(format_float(arg, "g", -1), f)
    if isinstance(arg, list | tuple):
        return go_type_name(arg) + "{" + ", ".join(_sharp_v(v, p, _Flags()) for v in arg) + "}"
    if isinstance(arg, dict):
        return go_type_name(arg) + "{" + ", ".join(
            _sharp_v(k, p, _Flags()) + ":" + _sharp_v(v, p, _Flags()) for k, v in sorted_items(arg)
        ) + "}"
    return p.format(arg, "v", f)
