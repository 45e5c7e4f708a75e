"""Function signatures: every template function declares its Go parameter types.

Go checks each argument against the function's signature through reflection; declaring the
same types here lets us reproduce its behaviour and its errors (``wrong type for value;
expected string; got int``) without eval or introspection tricks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ANY = "interface {}"
VALUE = "reflect.Value"  # Go builtins take reflect.Value: anything, including a missing value
STRING = "string"
INT = "int"
INT64 = "int64"
FLOAT64 = "float64"
BOOL = "bool"
MAP = "map[string]interface {}"
LIST = "[]interface {}"


class FuncError(Exception):
    """A function returned a Go error (or panicked); the message never holds data values."""


@dataclass(frozen=True, slots=True)
class GoFunc:
    """A callable plus its Go signature; the last param is the element type if variadic."""

    fn: Callable[..., Any]
    params: tuple[str, ...]
    variadic: bool = False

    @property
    def num_in(self) -> int:
        return len(self.params)


FuncMap = dict[str, GoFunc]


def gofunc(table: FuncMap, name: str, *params: str, variadic: bool = False) -> Callable[..., Any]:
    """Decorator: register ``fn`` in ``table`` under ``name`` with a Go signature."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        table[name] = GoFunc(fn, tuple(params), variadic)
        return fn

    return deco


def wrap_python(fn: Callable[..., Any] | GoFunc) -> GoFunc:
    """A caller-supplied Python callable: ``func(args ...interface{}) interface{}``."""
    if isinstance(fn, GoFunc):
        return fn
    return GoFunc(fn, (ANY,), variadic=True)


def gobytes(s: str) -> bytes:
    """The bytes of a Go string (non-UTF-8 bytes ride along as surrogate escapes).

    Other lone surrogates (say from a JSON ``\\ud800``) cannot exist in a Go string; Go
    turns them into U+FFFD, and so do we.
    """
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        fixed = "".join(
            "\ufffd" if 0xD800 <= ord(c) <= 0xDFFF and not 0xDC80 <= ord(c) <= 0xDCFF else c for c in s
        )
        return fixed.encode("utf-8", "surrogateescape")


def gostr(b: bytes) -> str:
    """A Go string holding arbitrary bytes."""
    return b.decode("utf-8", "surrogateescape")
