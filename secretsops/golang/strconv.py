"""Go's strconv: FormatFloat and Quote, the one place Go's number and string text is made.

Every Go-compatible output of secretsops writes floats through :func:`format_float`
(``strconv.FormatFloat``): sops' values and MAC input ('f'), go-yaml ('g'), encoding/json
('f'/'e'), fmt's ``%v``/``%g``/``%e``, INI/dotenv's ``'G'``. Shortest digits come from
Python's ``repr`` (the same shortest round-trip digits as Go's Ryu/Grisu), so only the layout
is ours to reproduce.
"""

from __future__ import annotations

import math
from collections import namedtuple


def _quote_rune_body(c: str, delim: str) -> str:
    code = ord(c)
    if c in (delim, "\\"):
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


def quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    return '"' + "".join(_quote_rune_body(c, '"') for c in s) + '"'


def quote_rune(code: int) -> str:
    """strconv.QuoteRune: a single-quoted Go character literal."""
    if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    return "'" + _quote_rune_body(chr(code), "'") + "'"


class _Digits(namedtuple("_Digits", ["digits", "dp"])):  # not typing.NamedTuple: see cli/startup.py
    __slots__ = ()
    digits: str  # significant decimal digits without trailing zeros ("" for zero)
    dp: int  # position of the decimal point relative to the digits


def _shortest_digits(v: float) -> _Digits:
    """Python's repr has Go's shortest round-trip digits; read them off its text (no Decimal)."""
    if v == 0:
        return _Digits("", 0)
    mant, _, exp = repr(abs(v)).partition("e")
    whole, _, frac = mant.partition(".")
    digits = whole + frac
    significant = digits.lstrip("0")
    dp = len(whole) + (int(exp) if exp else 0) - (len(digits) - len(significant))
    return _Digits(significant.rstrip("0"), dp)


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
    ip = d.digits[: d.dp] + "0" * max(d.dp - len(d.digits), 0) if d.dp > 0 else "0"
    if prec > 0:
        frac = d.digits[d.dp : d.dp + prec] if d.dp >= 0 else ("0" * -d.dp + d.digits)[:prec]
        ip += "." + frac.ljust(prec, "0")
    return ip


def format_float(v: float, fmt: str = "g", prec: int = -1) -> str:
    """strconv.FormatFloat(v, fmt, prec, 64) for fmt in b, e, E, f, g, G, x, X."""
    if fmt == "f" and prec < 0 and math.isfinite(v):
        # the hot case (every float sops feeds its MAC), at C speed: repr's shortest digits, no exponent
        from decimal import Decimal  # lazy: a YAML file without floats never needs it

        return format(Decimal(repr(v)).normalize(), "f")
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
