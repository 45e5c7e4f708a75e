"""sprig's regular-expression functions, with Go's RE2 syntax (google-re2) and $1/${name}
replacement templates."""

from __future__ import annotations

import re
from typing import Any

from secretsops.golang import regexp

from .funcs import INT, STRING, FuncError
from .funcs_sprig import reg
from .values import StringList

# --- regular expressions (Go's RE2 syntax) --------------------------------------------------------


def _compile(pattern: str) -> Any:
    """Go names the pattern in its error; ours does not: a pattern can be built from the data."""
    try:
        return regexp.compile(pattern)
    except regexp.error:
        raise FuncError("regexp: Compile: error parsing regexp") from None


def _replace_all(rx: Any, s: str, repl: str) -> str:
    template = repl

    def sub(m: Any) -> str:
        out = []
        i = 0
        while i < len(template):
            c = template[i]
            if c != "$":
                out.append(c)
                i += 1
                continue
            if i + 1 < len(template) and template[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            mm = re.match(r"\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+)", template[i + 1 :])
            if not mm:
                out.append("$")
                i += 1
                continue
            name = mm.group(1) or mm.group(2)
            try:
                g = m.group(int(name)) if name.isdigit() else m.group(name)
            except (IndexError, KeyError, regexp.error, ValueError):
                g = ""
            out.append(g or "")
            i += 1 + mm.end()
        return "".join(out)

    return rx.sub(sub, s)


@reg("regexMatch", STRING, STRING)
def _regex_match(pattern: str, s: str) -> bool:
    try:
        return regexp.search(pattern, s) is not None
    except regexp.error:
        return False


@reg("mustRegexMatch", STRING, STRING)
def _must_regex_match(pattern: str, s: str) -> bool:
    return _compile(pattern).search(s) is not None


@reg("regexFind", STRING, STRING)
def _regex_find(pattern: str, s: str) -> str:
    m = _compile(pattern).search(s)
    return m.group(0) if m else ""


reg("mustRegexFind", STRING, STRING)(_regex_find)


@reg("regexFindAll", STRING, STRING, INT)
def _regex_find_all(pattern: str, s: str, n: int) -> StringList:
    rx = _compile(pattern)
    out = StringList()
    for m in rx.finditer(s):
        if 0 <= n <= len(out):
            break
        out.append(m.group(0))
    return out


reg("mustRegexFindAll", STRING, STRING, INT)(_regex_find_all)


@reg("regexReplaceAll", STRING, STRING, STRING)
def _regex_replace_all(pattern: str, s: str, repl: str) -> str:
    return _replace_all(_compile(pattern), s, repl)


reg("mustRegexReplaceAll", STRING, STRING, STRING)(_regex_replace_all)


@reg("regexReplaceAllLiteral", STRING, STRING, STRING)
def _regex_replace_all_literal(pattern: str, s: str, repl: str) -> str:
    return _compile(pattern).sub(lambda m: repl, s)


reg("mustRegexReplaceAllLiteral", STRING, STRING, STRING)(_regex_replace_all_literal)


@reg("regexSplit", STRING, STRING, INT)
def _regex_split(pattern: str, s: str, n: int) -> StringList:
    rx = _compile(pattern)
    if n == 0:
        return StringList()
    if pattern and s == "":
        return StringList([""])
    out = StringList()
    beg = 0
    for m in rx.finditer(s):
        if n > 0 and len(out) == n - 1:
            break
        end = m.start()
        if m.end() == 0:
            continue
        out.append(s[beg:end])
        beg = m.end()
    out.append(s[beg:])
    return out


reg("mustRegexSplit", STRING, STRING, INT)(_regex_split)
reg("regexQuoteMeta", STRING)(lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s))
