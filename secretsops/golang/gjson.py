"""The part of GJSON path syntax that ESO's ``property`` uses, evaluated on JSON text.

ESO selects nested values with ``gjson.Get(json, property)`` and writes ``Result.String()``:
objects and arrays come back as their raw JSON text, strings unquoted, integers as written.
Supported: ``a.b`` (``\\.`` escapes a dot), ``*``/``?`` wildcards in keys, array indexes
(``list.0``) and ``#`` (array length). Queries (``#(...)``), ``#.key`` projections, ``|`` pipes
and ``@`` modifiers are not; they raise ``UnsupportedPath`` rather than guess.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass

from secretsops.errors import ExternalError
from secretsops.golang import strconv
from secretsops.golang.encoding_json import raw_items, raw_members


class UnsupportedPath(ExternalError):
    pass


@dataclass(frozen=True)
class Result:
    raw: str

    def string(self) -> str:
        """``gjson.Result.String()``."""
        raw = self.raw.strip()
        if raw.startswith('"'):
            return str(json.loads(raw))
        if raw in ("true", "false"):
            return raw
        if raw == "null":
            return ""
        if raw[:1] in ("{", "["):
            return raw
        body = raw[1:] if raw.startswith("-") else raw
        if body.isdigit():
            return raw
        return strconv.format_float(float(raw), "f", -1)


def split_path(path: str) -> list[tuple[str, str | None]]:
    """Components of a path: (literal key, fnmatch pattern when the component has wildcards)."""
    parts: list[tuple[str, str | None]] = []
    lit: list[str] = []
    pat: list[str] = []
    wild = False
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and i + 1 < len(path):
            nxt = path[i + 1]
            lit.append(nxt)
            pat.append(f"[{nxt}]" if nxt in "*?[" else nxt)
            i += 2
            continue
        if ch == ".":
            parts.append(("".join(lit), "".join(pat) if wild else None))
            lit, pat, wild = [], [], False
        elif ch in "|@" and not lit:
            raise UnsupportedPath(f"property path {path!r}: gjson pipes and modifiers are not supported")
        else:
            if ch in "*?":
                wild = True
            lit.append(ch)
            pat.append("[[]" if ch == "[" else ch)
        i += 1
    parts.append(("".join(lit), "".join(pat) if wild else None))
    return parts


def get(text: str, path: str) -> Result | None:
    """The value at ``path`` in the JSON ``text`` or None when it does not exist."""
    current = text
    for comp, pattern in split_path(path):
        stripped = current.lstrip()
        if stripped.startswith("{"):
            try:
                members = raw_members(stripped)
            except ValueError:
                return None
            found = None
            for key, raw in members:
                if fnmatch.fnmatchcase(key, pattern) if pattern is not None else key == comp:
                    found = raw
                    break
            if found is None:
                return None
            current = found
        elif stripped.startswith("["):
            try:
                items = raw_items(stripped)
            except ValueError:
                return None
            if comp == "#":
                current = str(len(items))
            elif comp.startswith("#"):
                raise UnsupportedPath(f"property path {path!r}: gjson queries are not supported")
            elif comp.isdigit():
                idx = int(comp)
                if idx >= len(items):
                    return None
                current = items[idx]
            else:
                return None
        else:
            return None
    return Result(current)
