"""encoding/json as sprig and ESO use it: Marshal (sorted keys, HTML-escaped, Go float
format, []byte as base64) and Unmarshal into interface{} (numbers become float64)."""

from __future__ import annotations

import base64
import datetime
import json
import math
from typing import Any

from secretsops.external.gojson import format_float, quote

from .values import MISSING


class UnsupportedValue(ValueError):
    """json.Marshal refused a value (NaN/Inf or an unsupported type)."""


def _escape(s: str, escape_html: bool) -> str:
    return quote(s, escape_html=escape_html, surrogate="\\ufffd")


def _float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise UnsupportedValue("json: unsupported value")
    return format_float(f)


def marshal(v: Any, *, escape_html: bool = True, indent: str = "", _level: int = 0) -> str:  # noqa: C901
    """json.Marshal (or MarshalIndent with ``indent``)."""
    if v is None or v is MISSING:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _escape(v, escape_html)
    if isinstance(v, bytes | bytearray):
        return '"' + base64.b64encode(bytes(v)).decode() + '"'
    if isinstance(v, datetime.datetime):
        return _escape(v.isoformat().replace("+00:00", "Z"), escape_html)
    nl = "\n" + indent * (_level + 1) if indent else ""
    end = "\n" + indent * _level if indent else ""
    sep = ": " if indent else ":"
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = sorted(v.items(), key=lambda kv: str(kv[0]))
        body = ",".join(
            nl + _escape(str(k), escape_html) + sep + marshal(x, escape_html=escape_html, indent=indent,
                                                               _level=_level + 1)
            for k, x in items
        )
        return "{" + body + end + "}"
    if isinstance(v, list | tuple):
        if not v:
            return "[]"
        body = ",".join(
            nl + marshal(x, escape_html=escape_html, indent=indent, _level=_level + 1) for x in v
        )
        return "[" + body + end + "]"
    raise UnsupportedValue(f"json: unsupported type: {type(v).__name__}")


def _reject_constant(name: str) -> Any:
    raise ValueError("invalid character in JSON")


def unmarshal(text: str) -> Any:
    """json.Unmarshal into interface{}: objects→dict, arrays→list, numbers→float64."""
    return json.loads(text, parse_int=float, parse_constant=_reject_constant)
