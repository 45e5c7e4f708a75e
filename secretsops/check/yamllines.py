"""Parse YAML/JSON into plain Python values that remember the line of every key and item.

The loader itself (rules, limits, line recording, plaintext-wins duplicates) is
``secretsops.yamlio.lines``; this module gives ``check`` its error wording and the lenient
per-document fallback.
"""

from __future__ import annotations

from typing import Any

from secretsops.errors import InputError
from secretsops.yamlio import LimitExceeded
from secretsops.yamlio.lines import LineDict, LineList, load_with_lines
from secretsops.yamlio.loader import MalformedValue

__all__ = ["LineDict", "LineList", "line_of", "parse_documents_leniently", "parse_with_lines"]


def parse_with_lines(text: str, path: str) -> list[Any]:
    """All non-empty documents of ``text``; raises InputError (with a line, never content)."""
    try:
        return load_with_lines(text, path)
    except LimitExceeded:
        raise
    except InputError as exc:
        message = str(exc)
        where = ""
        if ": line " in message:
            where = " at line " + message.split(": line ", 1)[1].split(",", 1)[0]
        detail = f": {message.rsplit(': ', 1)[-1]}" if isinstance(exc, MalformedValue) else ""
        raise InputError(f"{path}: cannot parse YAML/JSON{where}{detail}") from None


def parse_documents_leniently(text: str) -> list[Any]:
    """The documents of a stream that parse on their own, when the whole stream does not.

    One broken document (a bad Helm template, a stray tab) must not hide a plaintext Secret
    in the next one. Each chunk keeps its line numbers by being parsed at its own offset.
    """
    lines = text.split("\n")
    starts = [0] + [i for i, ln in enumerate(lines) if ln.startswith("---") and i > 0]
    out: list[Any] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "\n" * start + "\n".join(lines[start:end])
        try:
            out.extend(parse_with_lines(chunk, "<document>"))
        except InputError:
            continue
    return out


def line_of(container: Any, key: Any, default: int = 1) -> int:
    """Line of ``key`` in a LineDict/LineList, else the container's own line, else ``default``."""
    if isinstance(container, LineDict):
        return container.lines.get(key) or container.line or default
    if isinstance(container, LineList) and isinstance(key, int) and 0 <= key < len(container.lines):
        return container.lines[key]
    return getattr(container, "line", 0) or default
