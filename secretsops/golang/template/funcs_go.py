"""Go's predefined template functions (text/template/funcs.go): and, or, not, len, index,
slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery, call."""

from __future__ import annotations

import urllib.parse
from typing import Any

from .fmt import sprint, sprintf, sprintln
from .funcs import ANY, STRING, VALUE, FuncError, FuncMap, gobytes, gofunc, gostr
from .values import MISSING, Int64, StringMap, go_type_name, is_true

BUILTINS: FuncMap = {}


def _arg(v: Any) -> Any:
    return None if v is MISSING else v


@gofunc(BUILTINS, "and", VALUE, VALUE, variadic=True)
def _and(*args: Any) -> Any:  # evaluated lazily by the executor; kept for `call`
    for a in args:
        if not is_true(a)[0]:
            return a
    return args[-1]


@gofunc(BUILTINS, "or", VALUE, VALUE, variadic=True)
def _or(*args: Any) -> Any:
    for a in args:
        if is_true(a)[0]:
            return a
    return args[-1]


@gofunc(BUILTINS, "not", VALUE)
def _not(a: Any) -> bool:
    return not is_true(a)[0]


@gofunc(BUILTINS, "len", VALUE)
def _len(item: Any) -> int:
    if item is None:
        raise FuncError("len of nil pointer")
    if isinstance(item, str):
        return len(gobytes(item))
    if isinstance(item, list | tuple | dict | bytes | bytearray):
        return len(item)
    if item is MISSING:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    raise FuncError(f"len of type {go_type_name(item)}")


def _index_arg(index: Any, cap_: int) -> int:
    if index is MISSING or index is None:
        raise FuncError("cannot index slice/array with nil")
    if not isinstance(index, int) or isinstance(index, bool):
        raise FuncError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > cap_:
        raise FuncError("index out of range")  # Go adds the index: it can come from data
    return index


@gofunc(BUILTINS, "index", VALUE, VALUE, variadic=True)
def _index(item: Any, *indexes: Any) -> Any:
    if item is MISSING or item is None:
        raise FuncError("index of untyped nil")
    for index in indexes:
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, str):
            b = gobytes(item)
            x = _index_arg(index, len(b))
            if x == len(b):
                raise FuncError("reflect: string index out of range")
            item = b[x]
        elif isinstance(item, list | tuple | bytes | bytearray):
            x = _index_arg(index, len(item))
            if x == len(item):
                raise FuncError("reflect: slice index out of range")
            item = item[x]
        elif isinstance(item, dict):
            if index is MISSING or index is None:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type_name(index)}; should be string")
            if index in item:
                item = item[index]
            else:
                item = "" if isinstance(item, StringMap) else None
        else:
            raise FuncError(f"can't index item of type {go_type_name(item)}")
    return item


@gofunc(BUILTINS, "slice", VALUE, VALUE, variadic=True)
def _slice(item: Any, *indexes: Any) -> Any:
    if item is MISSING or item is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        seq: Any = gobytes(item)
    elif isinstance(item, list | tuple):
        seq = item
    else:
        raise FuncError(f"can't slice item of type {go_type_name(item)}")
    idx = [0, len(seq), len(seq)]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(index, len(seq))
    if idx[0] > idx[1]:
        raise FuncError("invalid slice index: low > high")  # Go prints both: data-derived
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise FuncError("invalid slice index: high > max")
    out = seq[idx[0] : idx[1]]
    if isinstance(item, str):
        return gostr(out)
    return type(item)(out) if isinstance(item, list) else list(out)


@gofunc(BUILTINS, "print", ANY, variadic=True)
def _print(*args: Any) -> str:
    return sprint(*args)


@gofunc(BUILTINS, "printf", STRING, ANY, variadic=True)
def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, *args)


@gofunc(BUILTINS, "println", ANY, variadic=True)
def _println(*args: Any) -> str:
    return sprintln(*args)


# --- comparison ------------------------------------------------------------------------------

_INT, _FLOAT, _STR, _BOOL, _INVALID = "int", "float", "string", "bool", "invalid"


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, int):
        return _INT
    if isinstance(v, float):
        return _FLOAT
    if isinstance(v, str):
        return _STR
    return _INVALID


def _valid(v: Any) -> bool:
    return v is not MISSING and v is not None


@gofunc(BUILTINS, "eq", VALUE, VALUE, variadic=True)
def _eq(arg1: Any, *arg2: Any) -> bool:
    if not arg2:
        raise FuncError("missing argument for comparison")
    k1 = _kind(arg1)
    for arg in arg2:
        k2 = _kind(arg)
        truth = False
        if k1 != k2:
            if _valid(arg1) and _valid(arg):
                raise FuncError("incompatible types for comparison")
        elif k1 != _INVALID:
            truth = arg1 == arg
        elif not _valid(arg1) or not _valid(arg):
            truth = _valid(arg1) == _valid(arg)
        else:
            if go_type_name(arg1) != go_type_name(arg) or isinstance(arg1, list | dict):
                raise FuncError(
                    f"non-comparable types {go_type_name(arg1)} and {go_type_name(arg)}"
                )
            truth = arg1 == arg
        if truth:
            return True
    return False


@gofunc(BUILTINS, "ne", VALUE, VALUE)
def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


@gofunc(BUILTINS, "lt", VALUE, VALUE)
def _lt(a: Any, b: Any) -> bool:
    k1, k2 = _kind(a), _kind(b)
    if _INVALID in (k1, k2):
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        raise FuncError("incompatible types for comparison")
    if k1 == _BOOL:
        raise FuncError("invalid type for comparison")
    return bool(a < b)


@gofunc(BUILTINS, "le", VALUE, VALUE)
def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq(a, b)


@gofunc(BUILTINS, "gt", VALUE, VALUE)
def _gt(a: Any, b: Any) -> bool:
    return not _le(a, b)


@gofunc(BUILTINS, "ge", VALUE, VALUE)
def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


# --- escaping --------------------------------------------------------------------------------


def _eval_args(args: tuple[Any, ...]) -> str:
    """text/template evalArgs: Sprint, but nil arguments print as <no value>."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(*["<no value>" if a is None or a is MISSING else a for a in args])


_HTML = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\x00": "\ufffd"}


@gofunc(BUILTINS, "html", ANY, variadic=True)
def _html(*args: Any) -> str:
    return "".join(_HTML.get(c, c) for c in _eval_args(args))


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def js_escape(s: str) -> str:
    out = []
    for c in s:
        if c in _JS:
            out.append(_JS[c])
        elif ord(c) < 0x20:
            out.append(f"\\u00{ord(c):02X}")
        elif ord(c) < 0x80 or c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04X}")
    return "".join(out)


@gofunc(BUILTINS, "js", ANY, variadic=True)
def _js(*args: Any) -> str:
    return js_escape(_eval_args(args))


@gofunc(BUILTINS, "urlquery", ANY, variadic=True)
def _urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(gobytes(_eval_args(args)), safe="-_.~")


@gofunc(BUILTINS, "call", VALUE, VALUE, variadic=True)
def _call(fn: Any, *args: Any) -> Any:
    if fn is MISSING or fn is None:
        raise FuncError("call of nil")
    if not callable(fn):
        raise FuncError(f"non-function of type {go_type_name(fn)}")
    return fn(*[_arg(a) for a in args])


_ = Int64  # re-exported type used by callers of BUILTINS
