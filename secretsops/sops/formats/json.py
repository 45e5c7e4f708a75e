"""The JSON store: key order kept, numbers are float64 as in sops, output like Go's encoder."""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

from secretsops.errors import InvalidFormat
from secretsops.golang import encoding_json
from secretsops.sops.cipher import Comment, TimeValue
from secretsops.sops.formats.base import METADATA_KEY, Store
from secretsops.sops.tree import Branch


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON number {name}")


def _float64(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of float64 range")  # Go: "cannot unmarshal number 1e400"
    return value


def parse_json_object(data: bytes) -> Branch:
    try:
        text = data.decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=Branch,
            parse_int=_float64,
            parse_float=_float64,
            parse_constant=_reject_constant,
        )
    except RecursionError:
        raise InvalidFormat("JSON input is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidFormat(f"input is not valid JSON{where}") from None
    if not isinstance(value, Branch):
        raise InvalidFormat("JSON input must be an object at the top level")
    return value


def go_json_float(value: float) -> str:
    """Go ``encoding/json`` float64 text: 'f' form in [1e-6, 1e21), else exponent form."""
    try:
        return encoding_json.format_float(value)
    except encoding_json.UnsupportedValue:
        raise InvalidFormat("NaN and Infinity cannot be written as JSON") from None


def encode(value: Any, indent: str, level: int = 0) -> str:
    if isinstance(value, Branch):
        items = [(k, v) for k, v in value if not isinstance(k, Comment)]
        if not items:
            return "{}"
        pad = "\n" + indent * (level + 1)
        body = ",".join(f"{pad}{encoding_json.quote(k)}: {encode(v, indent, level + 1)}" for k, v in items)
        return "{" + body + "\n" + indent * level + "}"
    if isinstance(value, dict):
        return encode(Branch(value.items()), indent, level)
    if isinstance(value, list):
        elems = [v for v in value if not isinstance(v, Comment)]
        if not elems:
            return "[]"
        pad = "\n" + indent * (level + 1)
        body = ",".join(f"{pad}{encode(v, indent, level + 1)}" for v in elems)
        return "[" + body + "\n" + indent * level + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, TimeValue):
        return encoding_json.quote(value.text)
    if isinstance(value, bytes):
        import base64

        return encoding_json.quote(base64.b64encode(value).decode())
    if isinstance(value, str):
        return encoding_json.quote(value)
    raise InvalidFormat(f"cannot write a {type(value).__name__} value as JSON")


class JsonStore(Store):
    name = "json"
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    config_section = "json"

    def _indent(self) -> str:
        if self.indent is None or self.indent < 0:
            return "\t"
        return " " * self.indent

    def load_plain(self, data: bytes) -> list[Branch]:
        return [parse_json_object(data)]

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Any]:
        branch = parse_json_object(data)
        meta = None
        out = Branch()
        for k, v in branch:
            if k == METADATA_KEY:
                meta = _to_plain(v)
            else:
                out.append((k, v))
        return [out], meta

    def emit_plain(self, branches: list[Branch]) -> bytes:
        return (encode(branches[0] if branches else Branch(), self._indent()) + "\n").encode(
            "utf-8", "surrogateescape"
        )

    def emit_encrypted(self, branches: list[Branch], metadata: dict[str, Any]) -> bytes:
        b = Branch(branches[0] if branches else [])
        b.append((METADATA_KEY, metadata))
        return (encode(b, self._indent()) + "\n").encode("utf-8", "surrogateescape")

    def emit_value(self, value: Any) -> bytes:
        return encode(value, self._indent()).encode("utf-8", "surrogateescape")


def _to_plain(value: Any) -> Any:
    """Metadata as plain dicts/lists (JSON numbers back to ints where integral)."""
    if isinstance(value, Branch):
        return {k: _to_plain(v) for k, v in value}
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
