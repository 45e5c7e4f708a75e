"""sprig's list and dict functions (list, first, uniq, has, dict, get, pick, merge, dig, ...)."""

from __future__ import annotations

from typing import Any

from .funcs import ANY, INT, MAP, STRING, FuncError
from .funcs_sprig import _listish, empty, reg, strval, to_int64
from .values import MISSING, StringList, go_type_name

# --- lists ----------------------------------------------------------------------------------------


@reg("list", ANY, variadic=True)
def _list(*vals: Any) -> list[Any]:
    return list(vals)


reg("tuple", ANY, variadic=True)(_list)


@reg("append", ANY, ANY)
def _append(lst: Any, v: Any) -> list[Any]:
    if isinstance(lst, list | tuple):
        return [*lst, v]
    raise FuncError(f"Cannot push on type {go_type_name(lst)}")


reg("push", ANY, ANY)(_append)
reg("mustAppend", ANY, ANY)(_append)
reg("mustPush", ANY, ANY)(_append)


@reg("prepend", ANY, ANY)
def _prepend(lst: Any, v: Any) -> list[Any]:
    if isinstance(lst, list | tuple):
        return [v, *lst]
    raise FuncError(f"Cannot prepend on type {go_type_name(lst)}")


@reg("first", ANY)
def _first(lst: Any) -> Any:
    items = _listish(lst, "first")
    return items[0] if items else None


@reg("last", ANY)
def _last(lst: Any) -> Any:
    items = _listish(lst, "last")
    return items[-1] if items else None


@reg("rest", ANY)
def _rest(lst: Any) -> Any:
    items = _listish(lst, "rest")
    return items[1:] if items else None


@reg("initial", ANY)
def _initial(lst: Any) -> Any:
    items = _listish(lst, "initial")
    return items[:-1] if items else None


@reg("reverse", ANY)
def _reverse(lst: Any) -> Any:
    return list(reversed(_listish(lst, "reverse")))


def _deep_equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


@reg("uniq", ANY)
def _uniq(lst: Any) -> list[Any]:
    out: list[Any] = []
    for x in _listish(lst, "uniq"):
        if not any(_deep_equal(x, y) for y in out):
            out.append(x)
    return out


@reg("without", ANY, ANY, variadic=True)
def _without(lst: Any, *omit: Any) -> list[Any]:
    return [x for x in _listish(lst, "without") if not any(_deep_equal(x, o) for o in omit)]


@reg("has", ANY, ANY)
def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None or haystack is MISSING:
        return False
    return any(_deep_equal(needle, x) for x in _listish(haystack, "has"))


@reg("compact", ANY)
def _compact(lst: Any) -> list[Any]:
    return [x for x in _listish(lst, "compact") if not empty(x)]


@reg("concat", ANY, variadic=True)
def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for lst in lists:
        if not isinstance(lst, list | tuple):
            raise FuncError(f"Cannot concat type {go_type_name(lst)} as list")
        out.extend(lst)
    return out


@reg("slice", ANY, ANY, variadic=True)
def _sprig_slice(lst: Any, *indices: Any) -> Any:
    if not isinstance(lst, list | tuple):
        kind = "string" if isinstance(lst, str) else go_type_name(lst)
        raise FuncError(f"list should be type of slice or array but {kind}")
    if not lst:
        return None
    start = to_int64(indices[0]) if indices else 0
    end = to_int64(indices[1]) if len(indices) > 1 else len(lst)
    if not 0 <= start <= end <= len(lst):
        raise FuncError("reflect: slice index out of range")  # bounds: data-derived
    return list(lst[start:end])


@reg("chunk", INT, ANY)
def _chunk(size: int, lst: Any) -> list[Any]:
    items = _listish(lst, "chunk")
    if size <= 0:
        raise FuncError("runtime error: integer divide by zero")
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- dicts ----------------------------------------------------------------------------------------


@reg("dict", ANY, variadic=True)
def _dict(*vals: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    items = list(vals)
    if len(items) % 2 == 1:
        items.append("")
    for i in range(0, len(items), 2):
        d[strval(items[i])] = items[i + 1]
    return d


@reg("get", MAP, STRING)
def _get(d: dict[str, Any], key: str) -> Any:
    return d.get(key, "")


@reg("set", MAP, STRING, ANY)
def _set(d: dict[str, Any], key: str, v: Any) -> dict[str, Any]:
    d[key] = v
    return d


@reg("unset", MAP, STRING)
def _unset(d: dict[str, Any], key: str) -> dict[str, Any]:
    d.pop(key, None)
    return d


reg("hasKey", MAP, STRING)(lambda d, k: k in d)


@reg("keys", MAP, variadic=True)
def _keys(*dicts: dict[str, Any]) -> StringList:
    out = StringList()
    for d in dicts:
        out.extend(d.keys())
    return out


@reg("values", MAP)
def _values(d: dict[str, Any]) -> list[Any]:
    return list(d.values())


@reg("pick", MAP, STRING, variadic=True)
def _pick(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if k in d}


@reg("omit", MAP, STRING, variadic=True)
def _omit(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in keys}


@reg("pluck", STRING, MAP, variadic=True)
def _pluck(key: str, *dicts: dict[str, Any]) -> list[Any]:
    return [d[key] for d in dicts if key in d]


def _merge_into(dst: dict[str, Any], src: dict[str, Any], overwrite: bool) -> None:
    for k, v in src.items():
        if k in dst and isinstance(dst[k], dict) and isinstance(v, dict):
            _merge_into(dst[k], v, overwrite)
        elif k not in dst or (overwrite and not empty(v)) or (not overwrite and empty(dst[k])):
            dst[k] = v


@reg("merge", MAP, MAP, variadic=True)
def _merge(dst: dict[str, Any], *srcs: dict[str, Any]) -> dict[str, Any]:
    for s in srcs:
        _merge_into(dst, s, overwrite=False)
    return dst


@reg("mergeOverwrite", MAP, MAP, variadic=True)
def _merge_overwrite(dst: dict[str, Any], *srcs: dict[str, Any]) -> dict[str, Any]:
    for s in srcs:
        _merge_into(dst, s, overwrite=True)
    return dst


@reg("dig", ANY, variadic=True)
def _dig(*ps: Any) -> Any:
    if len(ps) < 3:
        raise FuncError("dig needs at least three arguments")
    d = ps[-1]
    default = ps[-2]
    keys = [strval(k) for k in ps[:-2]]
    cur: Any = d
    for k in keys:
        if not isinstance(cur, dict) or k not in cur:
            return default
        cur = cur[k]
    return cur


@reg("deepCopy", ANY)
def _deep_copy(v: Any) -> Any:
    import copy

    return copy.deepcopy(v)
