"""What go-yaml v2 and v3 both inherited from libyaml: the printable set, double-quoted escapes,
and the scalar analysis that decides which styles a string may be written in.

go-yaml is a line-by-line port of libyaml's emitter (``emitterc.go``); these are its rules
as secretsops needs them, shared by :mod:`secretsops.golang.yaml_v2` (kubeseal, ``toYaml``)
and :mod:`secretsops.golang.yaml_v3` (sops).
"""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

#: the first characters that make a plain scalar impossible (``yaml_emitter_analyze_scalar``)
FIRST_INDICATORS = frozenset("#,[]{}&*!|>\'\"%@`")
#: libyaml's line breaks
BREAKS = "\n\r\x85\u2028\u2029"

#: libyaml's short escapes in double-quoted scalars
ESCAPES = {
    "\0": "\\0",
    "\x07": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def printable(ch: str) -> bool:
    """libyaml's is_printable as go-yaml has it (no tabs, no astral plane, no NEL/BOM)."""
    c = ord(ch)
    return c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)


def escape(ch: str) -> str | None:
    """How a double-quoted scalar writes ``ch``: a short escape, upper-case hex, or None (as is).

    libyaml escapes what is not printable, every line break, the BOM, ``"`` and ``\\``.
    """
    esc = ESCAPES.get(ch)
    if esc is not None or printable(ch):
        return esc
    c = ord(ch)
    return f"\\x{c:02X}" if c <= 0xFF else f"\\u{c:04X}" if c <= 0xFFFF else f"\\U{c:08X}"


class Analysis(namedtuple("Analysis", ["plain", "single", "block", "multiline"])):
    """libyaml's ``yaml_emitter_analyze_scalar`` verdict for a string (block context).

    A ``collections.namedtuple``, not ``typing.NamedTuple``: a decrypt runs without importing
    ``typing`` (secretsops/cli/startup.py)."""

    __slots__ = ()

    plain: bool
    single: bool
    block: bool
    multiline: bool



@lru_cache(maxsize=4096)
def analyze(s: str) -> Analysis:
    """libyaml's ``yaml_emitter_analyze_scalar`` for the block context: which styles ``s`` allows."""
    block_ind = leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = tabs = special = line_breaks = False
    if s.startswith(("---", "...")):
        block_ind = True
    preceded_ws = True
    prev_space = prev_break = False
    n = len(s)
    for i, ch in enumerate(s):
        followed_ws = i + 1 >= n or s[i + 1] in " \t"
        if i == 0:
            if ch in FIRST_INDICATORS:
                block_ind = True
            elif ch in "?:" and followed_ws:
                block_ind = True
            elif ch == "-" and followed_ws:
                block_ind = True
        elif (ch == ":" and followed_ws) or (ch == "#" and preceded_ws):
            block_ind = True
        if ch == "\t":
            tabs = True
        elif not printable(ch) or ch == "\ufeff":
            special = True
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == n - 1
            break_space = break_space or prev_break
            prev_space, prev_break = True, False
        elif ch in BREAKS:
            line_breaks = True
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == n - 1
            space_break = space_break or prev_space
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_ws = ch in " \t" or ch in BREAKS
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or tabs or special:
        plain = single = False
    if space_break or special:
        block = False
    if line_breaks or block_ind:
        plain = False
    return Analysis(plain, single, block, line_breaks)
