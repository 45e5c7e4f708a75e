"""The non-apply patch types: JSON merge patch (RFC 7386), strategic merge patch, JSON patch (RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

from .fieldpaths import item_element
from .shapes import Shape
from .status import ApiError, bad_request


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def strategic_merge_patch(target: Any, patch: Any, shape: Shape) -> Any:
    """Strategic merge: like a merge patch, but keyed lists (``containers`` by ``name``) merge item by item.

    Supports the ``$patch: replace|delete`` directives, ``$deleteFromPrimitiveList/<field>`` and ignores
    ``$setElementOrder/<field>`` and ``$retainKeys`` beyond their ordering/retention hints.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(out.get(field), list) and isinstance(value, list):
                out[field] = [v for v in out[field] if v not in value]
            continue
        child = shape.child(key)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list) and child.kind == "list" and child.list_type != "atomic":
            out[key] = _merge_list(out.get(key), value, child)
        elif isinstance(value, dict) and not child.atomic:
            merged = strategic_merge_patch(out.get(key), value, child)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        else:
            out[key] = copy.deepcopy(value)
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(current: Any, patch: list[Any], shape: Shape) -> list[Any]:
    items = copy.deepcopy(current) if isinstance(current, list) else []
    if shape.list_type == "set":
        for value in patch:
            if value not in items:
                items.append(copy.deepcopy(value))
        return items
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [copy.deepcopy(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    item_shape = shape.item()
    for i, value in enumerate(patch):
        if not isinstance(value, dict):
            items.append(copy.deepcopy(value))
            continue
        element = item_element(shape, {k: v for k, v in value.items() if k != "$patch"}, i)
        idx = next(
            (
                n
                for n, it in enumerate(items)
                if isinstance(it, dict) and item_element(shape, it, n) == element
            ),
            -1,
        )
        if value.get("$patch") == "delete":
            if idx >= 0:
                del items[idx]
        elif idx >= 0:
            items[idx] = strategic_merge_patch(items[idx], value, item_shape)
        else:
            items.append(strategic_merge_patch({}, value, item_shape))
    return items


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(
            f'the server rejected our request due to an error in our request: invalid JSON pointer "{path}"'
        )
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _failed(message: str) -> ApiError:
    return ApiError(422, "Invalid", message, {"causes": [{"message": message}]})


def _container(doc: Any, parts: list[str], op: str) -> Any:
    cur = doc
    for part in parts:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise _failed(
                f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}: missing value"
            )
    return cur


def _get(doc: Any, parts: list[str], op: str) -> Any:
    if not parts:
        return doc
    parent = _container(doc, parts[:-1], op)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise _failed(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}: missing value")


def _remove(doc: Any, parts: list[str], op: str) -> Any:
    parent = _container(doc, parts[:-1], op)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _failed(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}: missing value")


def _add(doc: Any, parts: list[str], value: Any, op: str) -> Any:
    if not parts:
        return value
    parent = _container(doc, parts[:-1], op)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _failed(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    else:
        raise _failed(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 operations applied in order; any failure rejects the whole patch (422)."""
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise bad_request("the server rejected our request due to an error in our request")
        kind = op["op"]
        parts = _pointer(str(op.get("path", "")))
        if kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), kind)
        elif kind == "remove":
            _remove(doc, parts, kind)
        elif kind == "replace":
            if not parts:
                doc = copy.deepcopy(op.get("value"))
                continue
            _get(doc, parts, kind)
            parent = _container(doc, parts[:-1], kind)
            last = parts[-1]
            parent[int(last) if isinstance(parent, list) else last] = copy.deepcopy(op.get("value"))
        elif kind in ("move", "copy"):
            source = _pointer(str(op.get("from", "")))
            value = _remove(doc, source, kind) if kind == "move" else copy.deepcopy(_get(doc, source, kind))
            doc = _add(doc, parts, value, kind)
        elif kind == "test":
            if _get(doc, parts, kind) != op.get("value"):
                raise _failed(f"testing value {op.get('path')} failed: test failed")
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc
