"""Go's fmt package, as far as templates use it: print, println, printf and %v of any value.

Values print exactly as Go prints them: ints without ``.0``, floats in Go's shortest ``%g``
form (``1e+06``), bools lowercase, nil as ``<nil>``, lists as ``[a b]``, maps as
``map[a:1 b:2]`` with keys sorted, and wrong verbs as ``%!d(string=x)``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from secretsops.golang import strconv

from .values import MISSING, GoStruct, go_type_name

# --- strconv helpers the printer needs --------------------------------------------------------


def _can_backquote(s: str) -> bool:
    return all(c not in ("`", "\ufeff") and (c == "\t" or c.isprintable()) for c in s)


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
            return _pad(strconv.quote_rune(v), f)
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
        num = strconv.format_float(v, fv, prec)
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
                return _pad(strconv.quote(s), f)
            return _pad(s, f)
        if verb in ("x", "X"):
            return _pad(_hex_bytes(s.encode(), verb, f), f)
        if verb == "q":
            if f.sharp and _can_backquote(s):
                return _pad("`" + s + "`", f)
            return _pad(strconv.quote(s), f)
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


def _int_arg(args: tuple[Any, ...], argi: int) -> int | None:
    """The int argument a ``*`` width or precision takes, or None (Go: BADWIDTH/BADPREC)."""
    if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
        return int(args[argi])
    return None


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
            star = _int_arg(args, argi)
            if star is None:
                out.append("%!(BADWIDTH)")
            else:
                f.wid = abs(star)
                if star < 0:
                    f.minus = True
                    f.zero = False
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
                star = _int_arg(args, argi)
                if star is None:
                    out.append("%!(BADPREC)")
                else:
                    f.prec = star if star >= 0 else None
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
        return _pad(strconv.quote(arg), f)
    if isinstance(arg, float):
        return _pad(strconv.format_float(arg, "g", -1), f)
    if isinstance(arg, list | tuple):
        return go_type_name(arg) + "{" + ", ".join(_sharp_v(v, p, _Flags()) for v in arg) + "}"
    if isinstance(arg, dict):
        return go_type_name(arg) + "{" + ", ".join(
            _sharp_v(k, p, _Flags()) + ":" + _sharp_v(v, p, _Flags()) for k, v in sorted_items(arg)
        ) + "}"
    return p.format(arg, "v", f)
