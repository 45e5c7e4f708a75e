"""The shared loader, remembering the line of every key and item (for ``check`` findings).

Findings must point at ``file:line``; PyYAML's nodes know their lines but its objects do not.
This loader keeps the C parser's speed, the shared loader's rules and limits, and records
lines on dict/list subclasses. When a key is repeated, the plaintext copy wins over an
``ENC[...]`` one, so a duplicate cannot hide a leak behind a later encrypted value. Custom
tags (``!Ref``, ``!vault``) are kept as plain values: a scanner must read what it is given.
"""

from __future__ import annotations

from typing import Any

import yaml

from secretsops.yamlio.limits import DEFAULT_LIMITS, ReadLimits
from secretsops.yamlio.loader import SafeLoader, iter_documents

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


def _construct_tagged(loader: Any, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return _construct_sequence(loader, node)
    return loader.construct_scalar(node)


class LineLoader(SafeLoader):
    """SafeLoader building LineDict/LineList (``deep=True``: bounded by ``max_depth``)."""


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
LineLoader.add_multi_constructor("!", _construct_tagged)


def load_with_lines(text: str, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> list[Any]:
    """All non-empty documents of ``text`` as LineDict/LineList trees; errors are InputErrors."""
    return [d for d in iter_documents(text, source, limits, LineLoader) if d is not None]
