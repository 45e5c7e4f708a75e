"""JSON exactly as ESO's Go code reads and writes it.

ESO hands secret values around as bytes produced by Go's ``encoding/json``: keys sorted,
compact, ``<>&`` escaped, numbers kept as the literal the server sent (Vault's client decodes
with ``UseNumber``). A Secret built from the same remote data must be byte-identical, so the
encoder and the ``GetByteValue`` conversion are reproduced here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from secretsops.errors import ExternalError


class Number(str):
    """A JSON number kept as its literal text (Go's ``json.Number``)."""


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping numbers as ``Number`` literals."""
    return json.loads(text, parse_int=Number, parse_float=Number, parse_constant=Number)


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_HTML_ESCAPES = {**_ESCAPES, "<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def quote(s: str, *, escape_html: bool = True, surrogate: str = "\ufffd") -> str:
    """A string as ``encoding/json`` writes it (``<>&`` escaped unless ``escape_html`` is off).

    ``surrogate`` is written for each lone surrogate: the U+FFFD character itself (what Go
    writes for a value its decoder already replaced) or the escape ``\\ufffd`` (what Go writes
    for an invalid byte still in the string).
    """
    escapes = _HTML_ESCAPES if escape_html else _ESCAPES
    out = ['"']
    for ch in s:
        esc = escapes.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(surrogate)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_float_f(v: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    d = Decimal(repr(float(v)))
    if d == d.to_integral_value():
        return format(d.to_integral_value(), "f")
    return format(d.normalize(), "f")


def format_float(v: float) -> str:
    """A finite float64 as ``encoding/json`` writes it ('e' form below 1e-6 and from 1e21 on)."""
    a = abs(v)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        mant, _, exp = repr(float(v)).partition("e")
        sign = "-" if exp.startswith("-") else "+"
        digits = exp.lstrip("+-")
        if sign == "-" and len(digits) == 2 and digits[0] == "0":
            digits = digits[1:]
        return f"{mant.removesuffix('.0')}e{sign}{digits}"
    return format_float_f(v)


def loads_go_any(text: str | bytes) -> Any:
    """``json.Unmarshal`` into ``any``: every number becomes a float64."""
    return json.loads(text, parse_int=float)


def dumps(value: Any) -> str:
    """``json.Marshal`` of a value decoded into ``map[string]any``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{quote(k)}:{dumps(v)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise ExternalError(f"cannot encode value of type {type(value).__name__} as JSON")


def byte_value(value: Any) -> bytes:
    """ESO's ``esutils.GetByteValue``: how one decoded JSON value becomes Secret bytes."""
    if value is None:
        return b""
    if isinstance(value, Number):
        return str(value).encode()
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, float):
        return format_float_f(value).encode()
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, (dict, list)):
        return dumps(value).encode()
    raise ExternalError(f"can not handle secret value with type {type(value).__name__}")


def raw_members(text: str) -> list[tuple[str, str]]:
    """Top-level members of a JSON object as (key, raw value text): Go's ``map[string]json.RawMessage``.

    Raises ``ValueError`` when the text is not a JSON object.
    """
    decoder = json.JSONDecoder()
    ws = " \t\n\r"
    i = 0
    n = len(text)
    while i < n and text[i] in ws:
        i += 1
    if i >= n or text[i] != "{":
        raise ValueError("not a JSON object")
    i += 1
    members: list[tuple[str, str]] = []
    while True:
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == "}" and not members:
            i += 1
            break
        if i >= n or text[i] != '"':
            raise ValueError("expected a key")
        key, i = decoder.raw_decode(text, i)
        while i < n and text[i] in ws:
            i += 1
        if i >= n or text[i] != ":":
            raise ValueError("expected ':'")
        i += 1
        while i < n and text[i] in ws:
            i += 1
        _, end = decoder.raw_decode(text, i)
        members.append((str(key), text[i:end]))
        i = end
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "}":
            i += 1
            break
        raise ValueError("expected ',' or '}'")
    if text[i:].strip(ws):
        raise ValueError("trailing data after JSON object")
    return members


def raw_items(text: str) -> list[str]:
    """Elements of a JSON array as raw texts."""
    decoder = json.JSONDecoder()
    ws = " \t\n\r"
    i = 0
    n = len(text)
    while i < n and text[i] in ws:
        i += 1
    if i >= n or text[i] != "[":
        raise ValueError("not a JSON array")
    i += 1
    items: list[str] = []
    while True:
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == "]" and not items:
            break
        _, end = decoder.raw_decode(text, i)
        items.append(text[i:end])
        i = end
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "]":
            break
        raise ValueError("expected ',' or ']'")
    return items


def secret_map_from_json(text: str) -> dict[str, bytes]:
    """``JSONToSecretDataMap``: string members unquoted, everything else kept as raw JSON."""
    out: dict[str, bytes] = {}
    for key, raw in raw_members(text):
        if raw.startswith('"'):
            out[key] = json.loads(raw).encode("utf-8", "surrogateescape")
        elif raw == "null":
            out[key] = b""  # Go: unmarshalling null into a string succeeds and leaves it empty
        else:
            out[key] = raw.encode("utf-8", "surrogateescape")
    return out
