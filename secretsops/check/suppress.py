"""Inline suppressions that leave a trail in the file itself.

Ours is ``secretsops:ignore <reason>`` on the finding's line; the pragmas teams already have
are honoured too: ``gitleaks:allow``, detect-secrets' ``pragma: allowlist secret`` (same line)
and ``pragma: allowlist nextline secret`` (line above).
"""

from __future__ import annotations

import re

_SAME_LINE = re.compile(
    r"secretsops:ignore\b[ \t]*(?P<reason>[^\n]*)|gitleaks:allow|pragma: allowlist secret"
)
_NEXT_LINE = re.compile(
    r"pragma: allowlist nextline secret|secretsops:ignore-next-line\b[ \t]*(?P<reason>[^\n]*)"
)
HINT = ("secretsops:ignore", "gitleaks:allow", "pragma: allowlist")


def inline_reason(lines: list[str], line: int) -> str | None:
    """The suppression for a finding at 1-based ``line``: its reason ("" if none given), or None."""
    if 1 <= line <= len(lines):
        m = _SAME_LINE.search(lines[line - 1])
        if m and not lines[line - 1][m.start() :].startswith("secretsops:ignore-next-line"):
            return _clean(m.group("reason") or m.group(0))
    if 2 <= line <= len(lines) + 1:
        m = _NEXT_LINE.search(lines[line - 2])
        if m:
            return _clean(m.group("reason") or m.group(0))
    return None


def _clean(reason: str) -> str:
    return reason.strip().rstrip("-*/#> \"'").strip()[:200]
