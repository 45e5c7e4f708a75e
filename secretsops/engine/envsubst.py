"""Flux's post-build variable expansion (its fork of drone/envsubst), on text.

Only ``${...}`` expressions expand; ``$var`` stays as written (a shell script in a ConfigMap keeps
its ``$HOME``), and ``$$`` is a literal ``$`` (so ``$${var}`` leaves ``${var}``). Supported, as in
Flux: ``${var}``, ``${var:=default}``/``${var:-default}`` (unset or empty), ``${var=default}``/
``${var-default}`` (unset), ``${#var}``, ``${var^}``, ``${var^^}``, ``${var,}``, ``${var,,}``,
``${var:offset}``, ``${var:offset:length}``, ``${var#glob}``, ``${var##glob}``, ``${var%glob}``,
``${var%%glob}``, ``${var/glob/repl}``, ``${var//glob/repl}``, ``${var/#glob/repl}``,
``${var/%glob/repl}``. Defaults may nest expressions. ``${var:?…}``/``${var:+…}`` are refused,
as Flux refuses them.

An unset variable expands to "" (Flux's default); with ``strict`` it is an error unless a
default is given (Flux's ``StrictPostBuildSubstitutions``). Errors never quote the text: it may be
a decrypted Secret's.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from secretsops.errors import RenderError

Lookup = Callable[[str], "str | None"]
_IDENT = re.compile(r"[A-Za-z0-9_]*")
_SUBSTRING = re.compile(r"^(-?\d+)(?::(-?\d+))?$")
_CASE = {
    "^": lambda v: v[:1].upper() + v[1:],
    "^^": str.upper,
    ",": lambda v: v[:1].lower() + v[1:],
    ",,": str.lower,
}


class SubstitutionError(RenderError):
    """A ``${...}`` expression that does not parse, or (strict) names an unset variable."""


def expand(text: str, lookup: Lookup, *, strict: bool = False, name_vars: bool = True) -> str:
    """``text`` with every ``${...}`` expanded; ``name_vars`` False keeps names out of errors."""
    return _Expander(lookup, strict, name_vars).run(text)


class _Expander:
    def __init__(self, lookup: Lookup, strict: bool, name_vars: bool) -> None:
        self.lookup = lookup
        self.strict = strict
        self.name_vars = name_vars

    def fail(self, why: str, var: str = "") -> SubstitutionError:
        shown = f" {var!r}" if var and self.name_vars else ""
        return SubstitutionError(f"variable substitution failed: {why}{shown}")

    def run(self, text: str) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            j = text.find("$", i)
            if j < 0 or j + 1 >= n:
                out.append(text[i:])
                break
            out.append(text[i:j])
            nxt = text[j + 1]
            if nxt == "$":
                out.append("$")
                i = j + 2
            elif nxt == "{":
                end = _closing(text, j + 2)
                if end < 0:
                    raise self.fail("an expression is not closed with }")
                out.append(self.evaluate(text[j + 2 : end]))
                i = end + 1
            else:
                out.append("$")
                i = j + 1
        return "".join(out)

    def value(self, name: str) -> str:
        found = self.lookup(name)
        if found is None:
            if self.strict:
                raise self.fail("variable not set", name)
            return ""
        return found

    def evaluate(self, expr: str) -> str:
        if expr.startswith("#") and len(expr) > 1 and _IDENT.fullmatch(expr[1:]):
            return str(len(self.value(expr[1:])))
        name = _IDENT.match(expr).group(0)  # type: ignore[union-attr]
        if not name:
            raise self.fail("an expression has no variable name")
        rest = expr[len(name) :]
        if not rest:
            return self.value(name)
        found = self.lookup(name)
        if rest[:2] in (":=", ":-"):
            return found if found else self.run(rest[2:])
        if rest[:1] in ("=", "-"):
            return found if found is not None else self.run(rest[1:])
        if rest[:2] in (":?", ":+") or rest[:1] in ("?", "+"):
            raise self.fail("${var:?…} and ${var:+…} are not supported (as in Flux)", name)
        value = self.value(name)
        if rest in _CASE:
            return _CASE[rest](value)
        if rest.startswith(":"):
            return self.substring(value, rest[1:], name)
        for op, longest, prefix in (
            ("##", True, True),
            ("#", False, True),
            ("%%", True, False),
            ("%", False, False),
        ):
            if rest.startswith(op):
                return _strip(value, self.run(rest[len(op) :]), longest=longest, prefix=prefix)
        if rest.startswith("/"):
            return self.replace(value, rest[1:])
        raise self.fail("unsupported expression for variable", name)

    def substring(self, value: str, spec: str, name: str) -> str:
        found = _SUBSTRING.match(spec.replace(" ", ""))
        if not found:
            raise self.fail("bad substring expression for variable", name)
        start = int(found.group(1))
        start = max(0, len(value) + start) if start < 0 else min(start, len(value))
        if found.group(2) is None:
            return value[start:]
        length = int(found.group(2))
        end = len(value) + length if length < 0 else start + length
        return value[start : max(start, end)]

    def replace(self, value: str, spec: str) -> str:
        mode = ""
        if spec[:1] in ("/", "#", "%"):
            mode, spec = spec[0], spec[1:]
        pattern, sep, replacement = _split_slash(spec)
        pattern, replacement = self.run(pattern), self.run(replacement) if sep else ""
        if mode == "#":
            return _replace_anchored(value, pattern, replacement, prefix=True)
        if mode == "%":
            return _replace_anchored(value, pattern, replacement, prefix=False)
        if not pattern:
            return value
        regex = re.compile(_glob(pattern), re.DOTALL)
        return regex.sub(lambda _m: replacement, value, count=0 if mode == "/" else 1)


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` closing an expression whose body starts at ``start`` (nesting counted)."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "/\\":
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _split_slash(spec: str) -> tuple[str, str, str]:
    r"""``pattern/replacement`` with ``\/`` an escaped slash inside the pattern."""
    out: list[str] = []
    i = 0
    while i < len(spec):
        if spec[i] == "\\" and i + 1 < len(spec) and spec[i + 1] in "/\\":
            out.append(spec[i + 1])
            i += 2
            continue
        if spec[i] == "/":
            return "".join(out), "/", spec[i + 1 :]
        out.append(spec[i])
        i += 1
    return "".join(out), "", ""


def _glob(pattern: str) -> str:
    """A shell glob as a regex body (fnmatch's, without its anchors)."""
    translated = fnmatch.translate(pattern)
    return translated.removeprefix("(?s:").removesuffix(")\\Z")


def _strip(value: str, pattern: str, *, longest: bool, prefix: bool) -> str:
    sizes = range(len(value), -1, -1) if longest else range(len(value) + 1)
    for size in sizes:
        part = value[:size] if prefix else value[len(value) - size :]
        if fnmatch.fnmatchcase(part, pattern):
            return value[size:] if prefix else value[: len(value) - size]
    return value


def _replace_anchored(value: str, pattern: str, replacement: str, *, prefix: bool) -> str:
    for size in range(len(value), -1, -1):
        part = value[:size] if prefix else value[len(value) - size :]
        if fnmatch.fnmatchcase(part, pattern):
            return replacement + value[size:] if prefix else value[: len(value) - size] + replacement
    return value
