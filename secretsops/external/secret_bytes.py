"""How ESO turns JSON from a provider into Secret bytes (its ``esutils`` conversions).

ESO hands secret values around as bytes produced by Go's ``encoding/json``: keys sorted,
compact, ``<>&`` escaped, numbers kept as the literal the server sent (Vault's client decodes
with ``UseNumber``). A Secret built from the same remote data must be byte-identical, so the
``GetByteValue`` and ``JSONToSecretDataMap`` conversions are reproduced here on top of
:mod:`secretsops.golang.encoding_json`.
"""

from __future__ import annotations

import json
from typing import Any

from secretsops.errors import ExternalError
from secretsops.golang import encoding_json, strconv
from secretsops.golang.encoding_json import Number


def dumps(value: Any) -> str:
    """``json.Marshal`` of a value Go decoded into ``map[string]any``.

    Go's decoder already replaced what was not UTF-8 with U+FFFD, so a lone surrogate left in
    a decoded value is written as that character.
    """
    try:
        return encoding_json.marshal(value, surrogate=encoding_json.REPLACEMENT_CHAR)
    except encoding_json.UnsupportedValue:
        raise ExternalError(f"cannot encode value of type {type(value).__name__} as JSON") from None


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
        return strconv.format_float(value, "f", -1).encode()
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, (dict, list)):
        return dumps(value).encode()
    raise ExternalError(f"can not handle secret value with type {type(value).__name__}")


def secret_map_from_json(text: str) -> dict[str, bytes]:
    """``JSONToSecretDataMap``: string members unquoted, everything else kept as raw JSON."""
    out: dict[str, bytes] = {}
    for key, raw in encoding_json.raw_members(text):
        if raw.startswith('"'):
            out[key] = json.loads(raw).encode("utf-8", "surrogateescape")
        elif raw == "null":
            out[key] = b""  # Go: unmarshalling null into a string succeeds and leaves it empty
        else:
            out[key] = raw.encode("utf-8", "surrogateescape")
    return out
