"""Python stand-ins for the Go values a template sees, and Go's rules about them.

Go templates are typed through reflection; we map Python values onto Go types so that
errors, truthiness and formatting match: ``str`` is ``string``, ``int`` is ``int``,
:class:`Int64` is ``int64`` (what sprig's arithmetic returns), ``float`` is ``float64``,
``list`` is ``[]interface {}``, ``dict`` is ``map[string]interface {}``, :class:`StringMap`
is ``map[string]string`` (what ESO hands to its templates), ``None`` is a nil interface and
:data:`MISSING` is Go's invalid ``reflect.Value`` (a missing map key, printed ``<no value>``).
"""

from __future__ import annotations

import datetime
from typing import Any, Final


class _Missing:
    """Go's invalid reflect.Value: what a missing key yields under missingkey=default."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class Int64(int):
    """An ``int64`` (sprig's add/sub/mul/... return it; Go refuses it where ``int`` is wanted)."""

    __slots__ = ()


class StringMap(dict[str, str]):
    """A ``map[string]string``: ESO's template data (``data map[string]string``)."""

    __slots__ = ()


class GoStruct(dict[str, Any]):
    """A Go struct value: fields by name in declaration order; ``%v`` prints ``{v1 v2}``."""

    go_type = "struct {}"


class StringList(list[str]):
    """A ``[]string`` (splitList, keys, regexFindAll, ... return it)."""

    __slots__ = ()


INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1


def wrap_int64(n: int) -> int:
    """Two's-complement wrap-around, as Go's 64-bit integers overflow."""
    n &= (1 << 64) - 1
    return n - (1 << 64) if n > INT64_MAX else n


def go_type_name(value: Any) -> str:
    """The Go type name of a value, as ``%T`` and Go's error messages spell it."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "int64"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes | bytearray):
        return "[]uint8"
    if isinstance(value, GoStruct):
        return value.go_type
    if isinstance(value, StringMap):
        return "map[string]string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, StringList):
        return "[]string"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, datetime.datetime):
        return "time.Time"
    if callable(value):
        return "func"
    return type(value).__name__


def is_true(value: Any) -> tuple[bool, bool]:
    """Go's ``template.IsTrue``: (truth, ok). Empty string/0/nil/empty collections are false."""
    if value is MISSING or value is None:
        return False, True
    if isinstance(value, bool):
        return value, True
    if isinstance(value, int | float | complex):
        return value != 0, True
    if isinstance(value, str | bytes | bytearray | list | tuple | dict):
        return len(value) > 0, True
    if callable(value):
        return True, True
    return True, True


def json_default(v: Any) -> Any:
    """``encoding_json.marshal``'s ``default`` for template values: MISSING is a nil interface."""
    if v is MISSING:
        return None
    from secretsops.golang.encoding_json import UnsupportedValue

    raise UnsupportedValue(f"json: unsupported type: {type(v).__name__}")
