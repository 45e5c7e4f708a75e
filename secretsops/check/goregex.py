"""Go (RE2) patterns from ``.sops.yaml`` matched at Python ``re`` speed where the two agree.

``path_regex`` is tried against every file of a scan and the crypt regexes against every key
of every SOPS file: through google-re2's Python wrapper one search costs ~20x a ``re`` search,
which made a catch-all rule the largest cost of scanning 10,000 files. Most patterns people
write (``\\.enc\\.yaml$``, ``^(data|stringData)$``, ``.*``) mean the same in both engines, so a
pattern made only of constructs whose meaning is identical is matched with ``re`` (ASCII mode,
Go's end-of-text ``$`` written as ``\\Z``); anything else — POSIX classes, ``\\pL``, flags other
than a leading ``(?i)``, ``{,n}``, back-references — stays with RE2. Every pattern is still
compiled by RE2 first, so what sops refuses is refused here.
"""

from __future__ import annotations

import re
from typing import Any

from secretsops.golang import regexp

error = regexp.error
#: escapes that mean the same in Go and in Python's ASCII mode
_SAFE_ESCAPES = frozenset(".-/\\dwsDWSb()[]{}*+?|^$_:,=@#%&~!<>'\" ")
_REPEAT = re.compile(r"\{(\d+)(,(\d+)?)?\}")


def compile(pattern: str) -> Any:  # noqa: A001 - as regexp.compile
    """A compiled pattern with ``search``: Python's ``re`` when it means the same, else RE2."""
    compiled = regexp.compile(pattern)  # RE2 decides what is valid (raises ``error``)
    translated = _translate(pattern)
    return compiled if translated is None else re.compile(translated, re.ASCII)


def _translate(pattern: str) -> str | None:
    """``pattern`` in Python syntax, or None when a construct might not mean the same."""
    if "[:" in pattern or "[[" in pattern or "{," in pattern:
        return None
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not nxt or nxt not in _SAFE_ESCAPES:
                return None
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or (bool(out) and out[-1] in ("[", "[^"))  # "[]" opens with a literal ]
            out.append(ch)
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                out.append("[^")
                i += 2
                continue
            out.append(ch)
        elif ch == "$":
            out.append(r"\Z")  # Go's $ (no multi-line flag) is the end of the text only
        elif ch == "(" and pattern[i + 1 : i + 2] == "?":
            if pattern.startswith("(?:", i) or pattern.startswith("(?i:", i):
                out.append(ch)
            elif pattern.startswith("(?i)", i) and i == 0:
                out.append(ch)
            else:
                return None
        elif ch == "{":
            m = _REPEAT.match(pattern, i)
            if m is None:
                return None  # a literal brace: the engines disagree on when it is one
            out.append(m.group(0))
            i = m.end()
            continue
        else:
            out.append(ch)
        i += 1
    return None if in_class else "".join(out)
