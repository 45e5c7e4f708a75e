"""Field paths and sets in the apiserver's ``fieldsV1`` notation (``f:``, ``k:``, ``v:``, ``i:``).

A path is a tuple of fieldsV1 keys, e.g. ``("f:spec", "f:containers", 'k:{"name":"app"}', "f:image")``.
A set of paths renders as the nested ``fieldsV1`` map, where ``.`` marks a path that is itself a member
and also has members below it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from .shapes import Shape

Path = tuple[str, ...]

_MISSING = object()


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def item_element(shape: Shape, item: Any, index: int) -> str:
    """The path element naming one list item: by merge keys, by value (sets), else by index."""
    if shape.list_type == "map" and shape.keys and isinstance(item, dict):
        return "k:" + _compact({k: item[k] for k in shape.keys if k in item})
    if shape.list_type == "set":
        return "v:" + _compact(item)
    return f"i:{index}"


def _is_list_shape(shape: Shape) -> bool:
    return shape.kind == "list" and shape.list_type != "atomic"


def applied_set(value: Any, shape: Shape, path: Path = ()) -> set[Path]:
    """The fields an applied configuration sets (structured-merge-diff's ToFieldSet rules)."""
    out: set[Path] = set()
    _walk_applied(value, shape, path, out)
    return out


def _walk_applied(value: Any, shape: Shape, path: Path, out: set[Path]) -> None:
    if isinstance(value, dict):
        if shape.atomic:
            out.add(path)
            return
        for key, val in value.items():
            child_path = path + ("f:" + key,)
            _walk_applied(val, shape.child(key), child_path, out)
            if val is None or (isinstance(val, dict) and not val) or not shape.declared(key):
                out.add(child_path)
    elif isinstance(value, list):
        if not _is_list_shape(shape):
            out.add(path)
            return
        item_shape = shape.item()
        for i, item in enumerate(value):
            child_path = path + (item_element(shape, item, i),)
            _walk_applied(item, item_shape, child_path, out)
            out.add(child_path)
    elif path:
        out.add(path)


def object_set(value: Any, shape: Shape, path: Path = ()) -> set[Path]:
    """Every field of an object as an Update records it: leaves, plus maps and items that can be absent."""
    out: set[Path] = set()
    _walk_object(value, shape, path, out)
    return out


def _walk_object(value: Any, shape: Shape, path: Path, out: set[Path]) -> None:
    if isinstance(value, dict):
        if shape.atomic:
            out.add(path)
            return
        if path and not shape.is_struct_value():
            out.add(path)
        for key, val in value.items():
            _walk_object(val, shape.child(key), path + ("f:" + key,), out)
    elif isinstance(value, list):
        if not _is_list_shape(shape):
            out.add(path)
            return
        item_shape = shape.item()
        for i, item in enumerate(value):
            child_path = path + (item_element(shape, item, i),)
            out.add(child_path)
            if isinstance(item, (dict, list)):
                _walk_object(item, item_shape, child_path, out)
    elif path:
        out.add(path)


def _find_item(items: list[Any], element: str) -> int:
    kind, _, rest = element.partition(":")
    if kind == "i":
        idx = int(rest)
        return idx if 0 <= idx < len(items) else -1
    want = json.loads(rest)
    for i, item in enumerate(items):
        if kind == "v" and item == want:
            return i
        if kind == "k" and isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
            return i
    return -1


def value_at(obj: Any, path: Path) -> Any:
    """The value at ``path`` or the module's missing sentinel (compare with :func:`missing`)."""
    cur = obj
    for element in path:
        if element.startswith("f:"):
            if not isinstance(cur, dict) or element[2:] not in cur:
                return _MISSING
            cur = cur[element[2:]]
        else:
            if not isinstance(cur, list):
                return _MISSING
            idx = _find_item(cur, element)
            if idx < 0:
                return _MISSING
            cur = cur[idx]
    return cur


def missing(value: Any) -> bool:
    return value is _MISSING


def remove_path(obj: Any, path: Path) -> bool:
    """Delete the node at ``path``; True when something was removed."""
    if not path:
        return False
    parent = value_at(obj, path[:-1])
    last = path[-1]
    if last.startswith("f:"):
        if isinstance(parent, dict) and last[2:] in parent:
            del parent[last[2:]]
            return True
        return False
    if isinstance(parent, list):
        idx = _find_item(parent, last)
        if idx >= 0:
            del parent[idx]
            return True
    return False


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """Render a set of paths as the nested ``fieldsV1`` map (``.`` for members that have members below)."""
    members = set(paths)
    tree: dict[str, Any] = {}
    for path in sorted(members):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    for path in members:
        node = tree
        for element in path:
            node = node[element]
        if node:
            node["."] = {}
    return _sorted_tree(tree)


def _sorted_tree(node: dict[str, Any]) -> dict[str, Any]:
    return {k: _sorted_tree(node[k]) for k in sorted(node)}


def from_fields_v1(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for key, sub in tree.items():
        if key == ".":
            out.add(prefix)
            continue
        path = prefix + (key,)
        if not sub:
            out.add(path)
        else:
            out |= from_fields_v1(sub, path)
    return out


def render(path: Path) -> str:
    """A path as the apiserver prints it in conflict messages: ``.spec.containers[name="app"].image``."""
    out = []
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            out.append("." + rest)
        elif kind == "k":
            keys = json.loads(rest)
            out.append("[" + ",".join(f"{k}={_compact(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            out.append(f"[={rest}]")
        else:
            out.append(f"[{rest}]")
    return "".join(out)


def deep_merge_apply(live: Any, applied: Any, shape: Shape) -> Any:
    """Merge an applied configuration over the live object: maps field by field, keyed lists by key."""
    if isinstance(applied, dict) and isinstance(live, dict) and not shape.atomic:
        out = copy.deepcopy(live)
        for key, val in applied.items():
            if val is None:
                out.pop(key, None)
            elif key in live:
                out[key] = deep_merge_apply(live[key], val, shape.child(key))
            else:
                out[key] = _drop_nulls(copy.deepcopy(val))
        return out
    if isinstance(applied, list) and isinstance(live, list) and _is_list_shape(shape):
        out_list = copy.deepcopy(live)
        item_shape = shape.item()
        for i, item in enumerate(applied):
            element = item_element(shape, item, i)
            idx = _find_item(out_list, element)
            if idx >= 0:
                out_list[idx] = deep_merge_apply(out_list[idx], item, item_shape)
            else:
                out_list.append(_drop_nulls(copy.deepcopy(item)))
        return out_list
    return _drop_nulls(copy.deepcopy(applied))


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
