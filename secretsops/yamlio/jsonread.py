"""JSON manifests and config under the same limits as YAML, with positions in every error.

``json.loads`` fails in ways that are not ``JSONDecodeError``: a 5,000-digit integer raises a
bare ValueError (Python refuses to convert it), very deep nesting a RecursionError. Both become
one-line errors naming the file and, found again in the text, the position.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from secretsops.errors import InputError
from secretsops.yamlio.limits import DEFAULT_LIMITS, LimitExceeded, ReadLimits


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _depth_offset(text: str, max_depth: int) -> int:
    """Offset of the first bracket nested deeper than ``max_depth`` (strings skipped)."""
    depth, in_str, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return i
        elif ch in "]}":
            depth -= 1
    return 0


def _too_deep(value: Any, max_depth: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def load_json(text: str, source: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS) -> Any:
    """One JSON value; every failure is a one-line InputError with a position where one exists."""
    if len(text) > limits.max_bytes:
        raise LimitExceeded(f"{source}: larger than {limits.max_bytes} bytes (limit max_bytes)")
    deep = f"nested deeper than {limits.max_depth} levels (limit max_depth)"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, column {exc.colno}"
        raise InputError(f"{source}: {at}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        at = _line_col(text, _depth_offset(text, limits.max_depth))
        raise LimitExceeded(f"{source}: {at}: {deep}") from None
    except ValueError:  # Python's int conversion limit (4,300 digits)
        digits = sys.get_int_max_str_digits()
        match = re.search(rf"\d{{{digits + 1},}}", text)
        at = f"{_line_col(text, match.start())}: " if match else ""
        raise InputError(f"{source}: {at}invalid JSON: integer longer than {digits} digits") from None
    if isinstance(value, (dict, list)) and _too_deep(value, limits.max_depth):
        at = _line_col(text, _depth_offset(text, limits.max_depth))
        raise LimitExceeded(f"{source}: {at}: {deep}")
    return value
