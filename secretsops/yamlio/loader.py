"""The one YAML loader for manifests and config: safe, libyaml-accelerated, within limits.

Semantics, the same for every caller (render, the engine, check, ``.sops.yaml``, kustomize
files, sources.yaml, the KRM function):

* PyYAML's safe schema (YAML 1.1) on libyaml's C parser when available, the pure-Python
  parser otherwise (same values, slower);
* timestamps stay strings, as Kubernetes reads them; an explicit ``!!timestamp`` must still
  look like one;
* a malformed explicit scalar (``!!float 'x'``, ``!!int 'zz'``, ``!!bool 'maybe'``,
  ``!!binary '@@'``) and an integer too long to print are one-line errors with a position;
* ``!!binary`` stays its base64 text and ``!!set`` becomes a mapping to nulls, so every value
  is one JSON can carry (as sigs.k8s.io/yaml converts them);
* before a document is constructed its node graph is checked against ``ReadLimits``
  (recursive aliases, alias expansion, depth): an alias bomb costs what its text costs.

The SOPS YAML store keeps its own go-yaml-faithful resolution (``sops/formats/yaml.py``) and
calls ``check_node_graph`` itself.
"""

from __future__ import annotations

import base64
import binascii
import sys
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import Node, ScalarNode

from secretsops.errors import InputError
from secretsops.yamlio.graph import check_node_graph
from secretsops.yamlio.limits import DEFAULT_LIMITS, LimitExceeded, ReadLimits, position

#: True when libyaml's C parser is in use (``pip install pyyaml`` wheels include it)
C_ACCELERATED = hasattr(yaml, "CSafeLoader")

_SafeBase: Any = yaml.CSafeLoader if C_ACCELERATED else yaml.SafeLoader
_RawBase: Any = yaml.CBaseLoader if C_ACCELERATED else yaml.BaseLoader
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
#: an int whose decimal text would be longer than Python prints (``str(n)`` would raise)
_MAX_INT_BITS = int(_MAX_INT_DIGITS * 3.3219)


class MalformedValue(InputError):
    """A scalar that cannot be what its tag says (``!!float 'x'``) or is too long to use."""


class _MalformedScalar(ConstructorError):
    pass


def _bad(node: Node, problem: str) -> ConstructorError:
    return _MalformedScalar(None, None, problem, node.start_mark)


class _Limited:
    """Mixin: check a document's node graph before constructing it."""

    limits: ReadLimits = DEFAULT_LIMITS
    source: str = "<memory>"
    #: whether the text has an anchor at all (without one no node is shared: a cheaper check)
    anchors: bool = True

    def construct_document(self, node: Node) -> Any:
        check_node_graph(node, self.limits, self.source, anchors=self.anchors)
        return super().construct_document(node)  # type: ignore[misc]


class SafeLoader(_Limited, _SafeBase):  # type: ignore[misc,valid-type]
    """The manifest/config loader (see the module docstring for its rules)."""


SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def construct_int(loader: Any, node: ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if len(text) > _MAX_INT_DIGITS:
        raise _bad(node, f"integer longer than {_MAX_INT_DIGITS} digits")
    try:
        value: int = SafeConstructor.construct_yaml_int(loader, node)
    except (ValueError, IndexError):
        raise _bad(node, "not a valid !!int value") from None
    if value.bit_length() > _MAX_INT_BITS:
        raise _bad(node, f"integer longer than {_MAX_INT_DIGITS} digits")
    return value


def construct_float(loader: Any, node: ScalarNode) -> float:
    try:
        return float(SafeConstructor.construct_yaml_float(loader, node))
    except (ValueError, IndexError, OverflowError):
        raise _bad(node, "not a valid !!float value") from None


def construct_bool(loader: Any, node: Node) -> bool:
    text = loader.construct_scalar(node)
    value = SafeConstructor.bool_values.get(str(text).lower())
    if value is None:
        raise _bad(node, "not a valid !!bool value")
    return bool(value)


def construct_timestamp(loader: Any, node: ScalarNode) -> str:
    """An explicit ``!!timestamp``: checked, kept as its text (timestamps are strings here)."""
    text = loader.construct_scalar(node)
    try:
        if SafeConstructor.timestamp_regexp.match(text) is None:
            raise ValueError
        SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        raise _bad(node, "not a valid !!timestamp value") from None
    return str(text)


def construct_binary(loader: Any, node: Node) -> str:
    """``!!binary`` as its base64 text (what sigs.k8s.io/yaml puts in JSON for ``[]byte``)."""
    text = "".join(str(loader.construct_scalar(node)).split())
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(node, "not a valid !!binary (base64) value") from None
    return text


def construct_set(loader: Any, node: Node) -> Iterator[dict[Any, None]]:
    data: dict[Any, None] = {}
    yield data
    data.update(loader.construct_mapping(node))


for _tag, _fn in (
    ("int", construct_int),
    ("float", construct_float),
    ("bool", construct_bool),
    ("timestamp", construct_timestamp),
    ("binary", construct_binary),
    ("set", construct_set),
):
    SafeLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _fn)


class StringsLoader(_Limited, _RawBase):  # type: ignore[misc,valid-type]
    """Every scalar a string (PyYAML's BaseLoader): as Go unmarshals into ``map[string]string``."""


def yaml_error(exc: yaml.YAMLError, source: str, what: str = "cannot parse YAML") -> InputError:
    """One line: file, position, the parser's problem (which never quotes a value)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or "invalid YAML")
    where = f" {position(mark)}:" if mark is not None else ""
    if "nesting depth" in problem:  # libyaml's own limit (1,000 levels), below ours when raised
        return LimitExceeded(f"{source}:{where} nested too deeply (limit max_depth)")
    if isinstance(exc, _MalformedScalar):
        return MalformedValue(f"{source}:{where} {problem}")
    return InputError(f"{source}:{where} {what}: {problem}")


def iter_documents(
    text: str | bytes, source: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS, loader: Any = SafeLoader
) -> Iterator[Any]:
    """Every document of a YAML stream, ``None`` for empty ones; errors are InputErrors."""
    if len(text) > limits.max_bytes:
        raise LimitExceeded(f"{source}: larger than {limits.max_bytes} bytes (limit max_bytes)")
    parser = loader(text)
    parser.limits, parser.source = limits, source
    parser.anchors = ("&" in text) if isinstance(text, str) else (b"&" in text)
    try:
        while parser.check_data():
            yield parser.get_data()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, source) from None
    except RecursionError:
        raise LimitExceeded(f"{source}: cannot parse YAML: nested too deeply") from None
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        raise InputError(f"{source}: cannot parse YAML: unsupported value ({type(exc).__name__})") from None
    finally:
        parser.dispose()


def load_documents(
    text: str | bytes, source: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS
) -> list[Any]:
    """The non-empty documents of a YAML stream (manifests: ``---`` separated objects)."""
    return [d for d in iter_documents(text, source, limits) if d is not None]


def load_one(text: str | bytes, source: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS) -> Any:
    """The single document of a config file (``None`` when empty); several documents are an error."""
    docs = list(iter_documents(text, source, limits))
    if len(docs) > 1:
        raise InputError(f"{source}: expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def load_strings(text: str | bytes, source: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS) -> Any:
    """The single document with every scalar kept as a string (no type resolution at all)."""
    docs = list(iter_documents(text, source, limits, StringsLoader))
    if len(docs) > 1:
        raise InputError(f"{source}: expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None
