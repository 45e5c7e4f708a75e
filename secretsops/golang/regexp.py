"""Go's ``regexp`` (RE2 syntax) through google-re2, with RE2's own logging switched off.

RE2 reports a pattern it cannot compile (and DFA memory trouble) through absl straight to file
descriptor 2, past Python's ``sys.stderr`` and past any redaction of ours; the report quotes the
pattern. A pattern can be built from a secret (sprig's ``regexMatch`` over ``.password``), so
every RE2 regexp in secretsops is compiled here with ``log_errors=False`` and the error is
reported once, by the caller, in words it chooses. An import-linter contract keeps ``re2`` out
of every other module.
"""

from __future__ import annotations

from typing import Any

import re2

#: what :func:`compile` raises for a bad pattern (its text quotes the pattern: callers decide)
error = re2.error


def quiet_options() -> Any:
    """Default RE2 options with logging off (a fresh object: ``re2.Options`` is mutable)."""
    options = re2.Options()
    options.log_errors = False
    return options


def compile(pattern: str) -> Any:  # noqa: A001 - Go's name for it
    """``regexp.Compile``: a compiled RE2 regexp (google-re2 caches compiled patterns)."""
    return re2.compile(pattern, options=quiet_options())


def reason(exc: BaseException) -> str:
    """RE2's complaint as text (google-re2 gives bytes); it quotes the pattern, so only for
    patterns that are public (written in a manifest), never for ones built from data."""
    raw = exc.args[0] if exc.args else ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def search(pattern: str, text: str) -> Any:
    """The first match of ``pattern`` in ``text``, or None."""
    return compile(pattern).search(text)
