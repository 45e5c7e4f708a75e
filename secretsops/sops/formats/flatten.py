"""Flattened metadata for the dotenv and INI stores (``age__list_0__map_enc`` keys)."""

from __future__ import annotations

import re
from typing import Any

MAP_SEP = "__map_"
LIST_SEP = "__list_"
_TOKEN = re.compile(r"(__map_|__list_)")


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(prefix + MAP_SEP + k, v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(prefix + LIST_SEP + str(i), v)
        else:
            out[prefix] = value

    for k, v in data.items():
        if isinstance(v, (dict, list)) and v:
            walk(k, v)
        elif not isinstance(v, (dict, list)):
            out[k] = v
    return out


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in flat.items():
        parts = _TOKEN.split(key)
        tokens: list[tuple[str, str]] = [("map", parts[0])]
        for i in range(1, len(parts), 2):
            tokens.append(("map" if parts[i] == MAP_SEP else "list", parts[i + 1]))
        node: Any = root
        for i, (kind, name) in enumerate(tokens):
            last = i == len(tokens) - 1
            nxt = None if last else tokens[i + 1][0]
            slot: Any = name if kind == "map" else int(name) if name.isdigit() else 0
            if kind == "list":
                while len(node) <= slot:
                    node.append(None)
            if last:
                node[slot] = value
                break
            child = (
                node[slot]
                if (kind == "map" and slot in node) or (kind == "list" and node[slot] is not None)
                else None
            )
            if child is None:
                child = {} if nxt == "map" else []
                node[slot] = child
            node = child
    return root


def encode_for_text(flat: dict[str, Any]) -> dict[str, str]:
    """Non-strings as sops writes them; newlines as ``\\n``."""
    out: dict[str, str] = {}
    for k, v in flat.items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
            continue
        out[k] = str(v).replace("\n", "\\n")
    return out


def decode_from_text(flat: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: (v.replace("\\n", "\n") if isinstance(v, str) else v) for k, v in flat.items()}
    if "mac_only_encrypted" in out:
        out["mac_only_encrypted"] = out["mac_only_encrypted"] == "true"
    return out
