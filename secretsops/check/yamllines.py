"""Parse YAML/JSON into plain Python values that remember the line of every key and item.

Findings must point at ``file:line``; PyYAML's nodes know their lines but its objects do not.
This loader keeps the C parser's speed and records lines on dict/list subclasses. When a key
is repeated, the plaintext copy wins over an ``ENC[...]`` one, so a duplicate cannot hide a
leak behind a later encrypted value.
"""

from __future__ import annotations

from typing import Any

import yaml

from secretsops.errors import InputError

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ENC_PREFIX = "ENC[AES256_GCM,"


class LineDict(dict[Any, Any]):
    """A mapping with ``lines[key]`` = 1-based line of the key."""

    __slots__ = ("lines", "line")

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}
        self.line = 0


class LineList(list[Any]):
    """A sequence with ``lines[i]`` = 1-based line of item i."""

    __slots__ = ("lines", "line")

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []
        self.line = 0


class _LineLoader(_Base):  # type: ignore[misc,valid-type]
    pass


_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _plaintext_wins(old: Any, new: Any) -> bool:
    return (
        isinstance(old, str)
        and not old.startswith(_ENC_PREFIX)
        and isinstance(new, str)
        and (new.startswith(_ENC_PREFIX))
    )


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        value = loader.construct_object(value_node, deep=True)
        if key in out and _plaintext_wins(out[key], value):
            continue
        out[key] = value
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    out = LineList()
    out.line = node.start_mark.line + 1
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.lines.append(item.start_mark.line + 1)
    return out


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
# Kubernetes manifests sometimes carry custom tags (!Ref, !vault ...): keep them as plain values.
_LineLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        _construct_mapping(loader, node)
        if isinstance(node, yaml.MappingNode)
        else _construct_sequence(loader, node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_scalar(node)
    ),
)


def parse_with_lines(text: str, path: str) -> list[Any]:
    """All non-empty documents of ``text``; raises InputError (with a line, never content)."""
    try:
        return [d for d in yaml.load_all(text, Loader=_LineLoader) if d is not None]  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: cannot parse YAML/JSON{where}") from None
    except (ValueError, TypeError, RecursionError):
        raise InputError(f"{path}: cannot parse YAML/JSON") from None


def parse_documents_leniently(text: str) -> list[Any]:
    """The documents of a stream that parse on their own, when the whole stream does not.

    One broken document (a bad Helm template, a stray tab) must not hide a plaintext Secret
    in the next one. Each chunk keeps its line numbers by being parsed at its own offset.
    """
    lines = text.split("\n")
    starts = [0] + [i for i, ln in enumerate(lines) if ln.startswith("---") and i > 0]
    out: list[Any] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "\n" * start + "\n".join(lines[start:end])
        try:
            out.extend(parse_with_lines(chunk, "<document>"))
        except InputError:
            continue
    return out


def line_of(container: Any, key: Any, default: int = 1) -> int:
    """Line of ``key`` in a LineDict/LineList, else the container's own line, else ``default``."""
    if isinstance(container, LineDict):
        return container.lines.get(key) or container.line or default
    if isinstance(container, LineList) and isinstance(key, int) and 0 <= key < len(container.lines):
        return container.lines[key]
    return getattr(container, "line", 0) or default
