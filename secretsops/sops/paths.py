"""Tree paths as sops writes them on the command line: ``["a"]["b"][0]``."""

from __future__ import annotations

import re

from secretsops.errors import InvalidSetFormat, TreePathNotFound
from secretsops.sops.cipher import Comment
from secretsops.sops.tree import Branch

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

_PART = re.compile(r'\[\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|-?\d+)\s*\]')


def parse_path(text: str) -> list[str | int]:
    out: list[str | int] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _PART.match(text, pos)
        if m is None:
            raise InvalidSetFormat(f'invalid tree path {text!r}: expected a sequence like ["key"][0]')
        tok = m.group(1)
        if tok[0] == '"':
            import json  # lazy: only --extract/set/unset parse paths

            out.append(json.loads(tok))
        elif tok[0] == "'":
            out.append(tok[1:-1])
        else:
            out.append(int(tok))
        pos = m.end()
    if not out:
        raise InvalidSetFormat("the tree path is empty")
    return out


def _show(path: list[str | int]) -> str:
    import json

    return "".join(f"[{json.dumps(p)}]" for p in path)


def get_path(branch: Branch, path: list[str | int]) -> Any:
    cur: Any = branch
    for i, p in enumerate(path):
        if isinstance(cur, Branch) and isinstance(p, str):
            for k, v in cur:
                if k == p:
                    cur = v
                    break
            else:
                raise TreePathNotFound(f"key {_show(path[: i + 1])} not found")
        elif isinstance(cur, list) and isinstance(p, int):
            items = [v for v in cur if not isinstance(v, Comment)]
            if not -len(items) <= p < len(items):
                raise TreePathNotFound(f"index {_show(path[: i + 1])} is out of range")
            cur = items[p]
        else:
            raise TreePathNotFound(f"path {_show(path[: i + 1])} does not exist")
    return cur


def go_equals(a: Any, b: Any) -> bool:
    """sops' ``equals``: same shape and, for leaves, same Go type and value (``1`` is not ``1.0``)."""
    if isinstance(a, Branch):
        return (
            isinstance(b, Branch)
            and len(a) == len(b)
            and all(go_equals(x[0], y[0]) and go_equals(x[1], y[1]) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and not isinstance(b, Branch)
            and len(a) == len(b)
            and all(go_equals(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and bool(a == b)


def _from_path(path: list[str | int], leaf: Any) -> Any:
    """sops' ``valueFromPathAndLeaf``: the nested value that ``path`` would reach."""
    inner = leaf if len(path) == 1 else _from_path(path[1:], leaf)
    return [inner] if isinstance(path[0], int) else Branch([(path[0], inner)])


def _set(node: Any, path: list[str | int], value: Any, where: list[str | int]) -> tuple[Any, bool]:
    p = path[0]
    if isinstance(node, Branch):
        for j, (k, v) in enumerate(node):
            if not isinstance(k, Comment) and type(k) is type(p) and k == p:
                if len(path) == 1:
                    changed = not go_equals(v, value)
                    node[j] = (k, value)
                else:
                    new, changed = _set(v, path[1:], value, [*where, p])
                    node[j] = (k, new)
                return node, changed
        if isinstance(p, int):
            raise TreePathNotFound(f"{_show([*where, p])}: a mapping needs a string key")
        node.append((p, _from_path(path[1:], value) if len(path) > 1 else value))
        return node, True
    if isinstance(node, list):
        if not isinstance(p, int) or p < 0:
            raise TreePathNotFound(f"{_show([*where, p])}: a list needs an index of 0 or more")
        if p >= len(node):
            node.append(value if len(path) == 1 else _from_path(path[1:], value))
            return node, True
        if len(path) == 1:
            changed = not go_equals(node[p], value)
            node[p] = value
            return node, changed
        node[p], changed = _set(node[p], path[1:], value, [*where, p])
        return node, changed
    # a scalar on the way: replaced by the branch the rest of the path describes, as sops does
    new = _from_path(path, value)
    return new, not go_equals(node, new)


def set_path(branch: Branch, path: list[str | int], value: Any) -> bool:
    """Set ``value`` at ``path`` in place, as sops' ``TreeBranch.Set`` does: mappings and list
    entries are created as needed and a scalar in the way is replaced. Returns whether the
    tree changed (``--idempotent`` writes nothing when it did not)."""
    _, changed = _set(branch, path, value, [])
    return changed


def unset_path(branch: Branch, path: list[str | int]) -> None:
    parent = get_path(branch, path[:-1]) if len(path) > 1 else branch
    last = path[-1]
    if isinstance(parent, Branch) and isinstance(last, str):
        for j, (k, _) in enumerate(parent):
            if k == last:
                del parent[j]
                return
    elif isinstance(parent, list) and isinstance(last, int) and -len(parent) <= last < len(parent):
        del parent[last]
        return
    raise TreePathNotFound(f"key {_show(path)} not found")
