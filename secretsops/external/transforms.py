"""What ESO does to fetched keys and values before they reach the Secret.

``decode`` (decodingStrategy), ``convert_keys`` (conversionStrategy), ``validate_keys`` and
``rewrite`` (dataFrom[].rewrite: regexp, transform, merge) follow ``runtime/esutils`` and
``runtime/decoding`` step for step, including Go's ``regexp.ReplaceAllString`` template syntax
(``$1``, ``${name}``), so that the same manifests produce the same Secret keys.
Error messages name keys, never values.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from secretsops.errors import ExternalError, InputError
from secretsops.external import secret_bytes
from secretsops.golang import encoding_json, regexp

DECODING_STRATEGIES = ("None", "Base64", "Base64URL", "Auto")
CONVERSION_STRATEGIES = ("Default", "Unicode")


# --- decodingStrategy -------------------------------------------------------------------------


def _b64(value: bytes, altchars: bytes | None) -> bytes:
    cleaned = value.replace(b"\r", b"").replace(b"\n", b"")  # Go's decoder skips CR/LF
    return base64.b64decode(cleaned, altchars=altchars, validate=True)


def decode(strategy: str | None, value: bytes, key: str = "") -> bytes:
    """``decoding.Decode``; ``key`` only names the value in the error."""
    where = f" (key {key!r})" if key else ""
    if strategy in (None, "", "None"):
        return value
    if strategy == "Base64":
        try:
            return _b64(value, None)
        except (binascii.Error, ValueError):
            raise ExternalError(
                f"decoding strategy Base64 failed{where}: value is not valid base64"
            ) from None
    if strategy == "Base64URL":
        try:
            return _b64(value, b"-_")
        except (binascii.Error, ValueError):
            raise ExternalError(
                f"decoding strategy Base64URL failed{where}: value is not valid base64url"
            ) from None
    if strategy == "Auto":
        for alt in (None, b"-_"):
            try:
                return _b64(value, alt)
            except (binascii.Error, ValueError):
                continue
        return value
    raise InputError(f"decoding strategy {strategy} is not supported")


def decode_map(strategy: str | None, data: Mapping[str, bytes]) -> dict[str, bytes]:
    return {k: decode(strategy, v, k) for k, v in data.items()}


# --- conversionStrategy and key validation ----------------------------------------------------


def _allowed(ch: str) -> bool:
    return ch in "-._" or unicodedata.category(ch)[0] in ("L", "N")


def convert_key(strategy: str | None, key: str) -> str:
    out = []
    for ch in key:
        if _allowed(ch):
            out.append(ch)
        elif strategy in (None, "", "Default"):
            out.append("_")
        elif strategy == "Unicode":
            out.append(f"_U{ord(ch):04x}_")
        else:
            out.append(ch)
    return "".join(out)


def convert_keys(strategy: str | None, data: Mapping[str, bytes]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for key, value in data.items():
        new = convert_key(strategy, key)
        if new in out:
            raise ExternalError(f"secret name collision during conversion: {new}")
        out[new] = value
    return out


def validate_keys(data: dict[str, bytes]) -> dict[str, bytes]:
    """Drop empty keys (as ESO does) and reject keys a Secret cannot hold."""
    out: dict[str, bytes] = {}
    for key, value in data.items():
        if not key:
            continue
        if len(key) > 253:
            raise ExternalError(f"key has length {len(key)} but max is 253: {key[:253]}")
        for ch in key:
            if not _allowed(ch):
                raise ExternalError(
                    f"key has invalid character {ch}, only alphanumeric, '-', '.' and '_' are allowed: {key}"
                )
        out[key] = value
    return out


# --- Go regexp replace ------------------------------------------------------------------------


def compile_go_regexp(source: str, what: str) -> Any:
    try:
        return regexp.compile(source)
    except regexp.error as exc:
        raise InputError(f"{what}: cannot compile regexp {source!r}: {regexp.reason(exc)}") from None


def _expand(match: Any, template: str) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``$name``, ``${name}``, ``$$``; unknown groups are empty."""
    out: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        if i + 1 < n and template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        j = i + 1
        braced = j < n and template[j] == "{"
        if braced:
            j += 1
        start = j
        while j < n and (template[j].isalnum() or template[j] == "_") and template[j].isascii():
            j += 1
        name = template[start:j]
        if not name or (braced and (j >= n or template[j] != "}")):
            out.append("$")  # malformed: the dollar is literal text
            i += 1
            continue
        if braced:
            j += 1
        i = j
        try:
            group = match.group(int(name)) if name.isdigit() else match.group(name)
        except (IndexError, KeyError, regexp.error, ValueError):
            group = None
        out.append(group or "")
    return "".join(out)


def go_replace_all(rx: Any, src: str, template: str) -> str:
    """``regexp.ReplaceAllString`` including Go's handling of empty matches."""
    out: list[str] = []
    last_end = 0
    pos = 0
    while pos <= len(src):
        m = rx.search(src, pos)
        if m is None:
            break
        a, b = m.span()
        out.append(src[last_end:a])
        if b > last_end or a == 0:
            out.append(_expand(m, template))
        last_end = b
        if pos + 1 > b:
            pos += 1
        else:
            pos = b
    out.append(src[last_end:])
    return "".join(out)


# --- dataFrom[].rewrite -----------------------------------------------------------------------

TransformFn = Callable[[str, str], str]


def _rewrite_regexp(op: Mapping[str, Any], data: dict[str, bytes]) -> dict[str, bytes]:
    source = str(op.get("source", ""))
    rx = compile_go_regexp(source, "rewrite.regexp.source")
    target = str(op.get("target", ""))
    return {go_replace_all(rx, k, target): v for k, v in data.items()}


def _rewrite_merge(op: Mapping[str, Any], data: dict[str, bytes]) -> dict[str, bytes]:
    priority = [str(p) for p in op.get("priority") or []]
    keys = sorted(k for k in data if k not in priority) + priority
    merged: dict[str, Any] = {}
    conflicts: list[str] = []
    for key in keys:
        if key not in data:
            if op.get("priorityPolicy") == "IgnoreNotFound":
                continue
            raise ExternalError(f"merge failed with key {key!r} not found in input map")
        try:
            parsed = encoding_json.unmarshal_numbers(data[key])
        except ValueError:
            raise ExternalError(f"merge failed: value of key {key!r} is not a JSON object") from None
        if not isinstance(parsed, dict):
            raise ExternalError(f"merge failed: value of key {key!r} is not a JSON object")
        for k, v in parsed.items():
            if k in merged:
                conflicts.append(k)
            merged[k] = v
    if op.get("conflictPolicy") != "Ignore" and conflicts:
        raise ExternalError(f"merge failed with conflicts: {', '.join(conflicts)}")
    strategy = op.get("strategy") or "Extract"
    if strategy == "JSON":
        into = op.get("into") or ""
        if not into:
            raise ExternalError("merge failed with missing 'into' field")
        out = dict(data)
        out[str(into)] = secret_bytes.dumps(merged).encode()
        return out
    return {k: secret_bytes.byte_value(v) for k, v in merged.items()}


def rewrite(
    operations: list[Mapping[str, Any]], data: dict[str, bytes], transform: TransformFn | None = None
) -> dict[str, bytes]:
    """``esutils.RewriteMap``: each operation applies to the output of the previous one."""
    out = data
    for i, op in enumerate(operations or []):
        try:
            if op.get("merge") is not None:
                out = _rewrite_merge(op["merge"], out)
            elif op.get("regexp") is not None:
                out = _rewrite_regexp(op["regexp"], out)
            elif op.get("transform") is not None:
                if transform is None:
                    raise ExternalError("rewrite.transform needs the template engine")
                tpl = str(op["transform"].get("template", ""))
                out = {transform(tpl, k): v for k, v in out.items()}
        except ExternalError as exc:
            raise type(exc)(f"failed rewrite operation[{i}]: {exc}") from None
    return out


def dumps_json(value: Any) -> str:
    return json.dumps(value)
