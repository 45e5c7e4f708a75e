"""Tree paths as sops writes them on the command line: ``["a"]["b"][0]``."""

from __future__ import annotations

import re
from typing import Any

from secretsops.errors import InvalidSetFormat, TreePathNotFound
from secretsops.sops.cipher import Comment
from secretsops.sops.tree import Branch

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


def set_path(branch: Branch, path: list[str | int], value: Any) -> bool:
    """Set (creating mappings as needed); returns False when the value was already equal."""
    cur: Any = branch
    for i, p in enumerate(path):
        last = i == len(path) - 1
        if isinstance(cur, Branch):
            if not isinstance(p, str):
                raise TreePathNotFound(f"{_show(path[: i + 1])}: a mapping needs a string key")
            for j, (k, v) in enumerate(cur):
                if k == p:
                    if last:
                        if v == value and type(v) is type(value):
                            return False
                        cur[j] = (k, value)
                        return True
                    child = v
                    if not isinstance(child, (Branch, list)):
                        child = Branch()
                        cur[j] = (k, child)
                    cur = child
                    break
            else:
                if last:
                    cur.append((p, value))
                    return True
                nxt: Any = Branch() if isinstance(path[i + 1], str) else []
                cur.append((p, nxt))
                cur = nxt
        elif isinstance(cur, list):
            if not isinstance(p, int):
                raise TreePathNotFound(f"{_show(path[: i + 1])}: a list needs an index")
            if p >= len(cur):
                if last:
                    cur.append(value)
                    return True
                cur.append(Branch() if isinstance(path[i + 1], str) else [])
            idx = min(p, len(cur) - 1)
            if last:
                if cur[idx] == value:
                    return False
                cur[idx] = value
                return True
            cur = cur[idx]
    return True


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
