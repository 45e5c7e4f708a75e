"""Go's encoding/json: the one Marshal, string quoting and float text every Go-compatible output uses.

sops' JSON store, kubeseal's printer, ESO's secret bytes and sprig's ``toJson`` all write JSON
as Go's encoder does: ``<``, ``>``, ``&``, U+2028/U+2029 escaped (unless ``escape_html`` is
off), floats in 'f' form inside [1e-6, 1e21) and 'e' form outside, ``[]byte`` as base64, map
keys sorted. Decoding comes in Go's two flavours: into ``any`` (every number a float64) and
with ``UseNumber`` (numbers kept as their literal text, :class:`Number`). Object members and
array elements can also be taken as raw text (``json.RawMessage``).
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import re
from collections.abc import Callable
from typing import Any

from secretsops.golang import strconv


class UnsupportedValue(ValueError):
    """json.Marshal refused a value (NaN/Inf or an unsupported type)."""


class Number(str):
    """A JSON number kept as its literal text (Go's ``json.Number``)."""


#: what Go writes for a byte that is not UTF-8 (a lone surrogate here, from surrogateescape)
INVALID_UTF8 = "\\ufffd"
#: what Go writes for a U+FFFD its decoder already put in place of a bad escape or byte
REPLACEMENT_CHAR = "\ufffd"

# Python's encoder (C, fast) already escapes what Go escapes below U+0020 and '"' '\\' the same
# way (\n \r \t \b \f short, the rest \u00xx); Go additionally escapes these:
_FIXES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_SPECIAL = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_SPECIAL = re.compile("[\u2028\u2029\ud800-\udfff]")


def quote(s: str, *, escape_html: bool = True, surrogate: str = INVALID_UTF8) -> str:
    """A string as ``encoding/json`` writes it (``<>&`` escaped unless ``escape_html`` is off).

    ``surrogate`` is written for each lone surrogate: the escape ``\\ufffd`` (what Go writes
    for an invalid byte still in the string) or the U+FFFD character itself (what Go writes for
    a value its decoder already replaced).
    """
    out = json.dumps(s, ensure_ascii=False)
    special = _HTML_SPECIAL if escape_html else _SPECIAL
    if special.search(out) is None:
        return out
    return special.sub(lambda m: _FIXES.get(m.group(), surrogate), out)


def format_float(v: float) -> str:
    """A float64 as ``encoding/json`` writes it ('e' form below 1e-6 and from 1e21 on)."""
    if math.isnan(v) or math.isinf(v):
        raise UnsupportedValue("json: unsupported value")
    a = abs(v)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        mant, _, exp = strconv.format_float(v, "e", -1).partition("e")
        if exp.startswith("-0"):  # Go cleans up e-09 to e-9
            exp = "-" + exp[2:]
        return f"{mant}e{exp}"
    return strconv.format_float(v, "f", -1)


def marshal(  # noqa: C901 - one branch per Go kind, as encoding/json's encoder switch
    v: Any,
    *,
    escape_html: bool = True,
    indent: str = "",
    sort_keys: bool = True,
    surrogate: str = INVALID_UTF8,
    default: Callable[[Any], Any] | None = None,
    _level: int = 0,
) -> str:
    """``json.Marshal`` (``json.MarshalIndent`` with ``indent``).

    Dicts are Go maps (keys sorted) unless ``sort_keys`` is off: then they stand for Go
    structs whose fields the caller put in declaration order. ``default`` turns a value of
    another type into one this function writes (as in Python's ``json.dumps``); without it
    such a value is an :class:`UnsupportedValue`.
    """
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Number):
        return str(v)
    if isinstance(v, str):
        return quote(v, escape_html=escape_html, surrogate=surrogate)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, bytes | bytearray):
        return '"' + base64.b64encode(bytes(v)).decode() + '"'
    if isinstance(v, datetime.datetime):
        return quote(v.isoformat().replace("+00:00", "Z"), escape_html=escape_html, surrogate=surrogate)

    def inner(x: Any) -> str:
        return marshal(
            x,
            escape_html=escape_html,
            indent=indent,
            sort_keys=sort_keys,
            surrogate=surrogate,
            default=default,
            _level=_level + 1,
        )

    nl = "\n" + indent * (_level + 1) if indent else ""
    end = "\n" + indent * _level if indent else ""
    sep = ": " if indent else ":"
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [(str(k), x) for k, x in v.items()]
        if sort_keys:
            items.sort(key=lambda kv: kv[0])
        body = ",".join(
            nl + quote(k, escape_html=escape_html, surrogate=surrogate) + sep + inner(x) for k, x in items
        )
        return "{" + body + end + "}"
    if isinstance(v, list | tuple):
        if not v:
            return "[]"
        return "[" + ",".join(nl + inner(x) for x in v) + end + "]"
    if default is not None:
        return marshal(
            default(v),
            escape_html=escape_html,
            indent=indent,
            sort_keys=sort_keys,
            surrogate=surrogate,
            _level=_level,
        )
    raise UnsupportedValue(f"json: unsupported type: {type(v).__name__}")


def _reject_constant(name: str) -> Any:
    raise ValueError("invalid character in JSON")


def unmarshal(text: str | bytes) -> Any:
    """``json.Unmarshal`` into ``any``: objects→dict, arrays→list, every number a float64."""
    return json.loads(text, parse_int=float, parse_constant=_reject_constant)


def unmarshal_numbers(text: str | bytes) -> Any:
    """``json.Decoder.UseNumber``: numbers kept as :class:`Number` literals."""
    return json.loads(text, parse_int=Number, parse_float=Number, parse_constant=Number)


_WS = " \t\n\r"


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _after_opening(text: str, bracket: str, what: str) -> int:
    """Where the members start, after leading white space and ``bracket``; ValueError otherwise."""
    i = _skip_ws(text, 0)
    if i >= len(text) or text[i] != bracket:
        raise ValueError(f"not a JSON {what}")
    return i + 1


def raw_members(text: str) -> list[tuple[str, str]]:
    """Top-level members of a JSON object as (key, raw value text): ``map[string]json.RawMessage``.

    Raises ``ValueError`` when the text is not a JSON object.
    """
    decoder = json.JSONDecoder()
    n = len(text)
    i = _after_opening(text, "{", "object")
    members: list[tuple[str, str]] = []
    while True:
        i = _skip_ws(text, i)
        if i < n and text[i] == "}" and not members:
            i += 1
            break
        if i >= n or text[i] != '"':
            raise ValueError("expected a key")
        key, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, i)
        if i >= n or text[i] != ":":
            raise ValueError("expected ':'")
        i = _skip_ws(text, i + 1)
        _, end = decoder.raw_decode(text, i)
        members.append((str(key), text[i:end]))
        i = _skip_ws(text, end)
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "}":
            i += 1
            break
        raise ValueError("expected ',' or '}'")
    if text[i:].strip(_WS):
        raise ValueError("trailing data after JSON object")
    return members


def raw_items(text: str) -> list[str]:
    """Elements of a JSON array as raw texts (``[]json.RawMessage``)."""
    decoder = json.JSONDecoder()
    n = len(text)
    i = _after_opening(text, "[", "array")
    items: list[str] = []
    while True:
        i = _skip_ws(text, i)
        if i < n and text[i] == "]" and not items:
            break
        _, end = decoder.raw_decode(text, i)
        items.append(text[i:end])
        i = _skip_ws(text, end)
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "]":
            break
        raise ValueError("expected ',' or ']'")
    return items
