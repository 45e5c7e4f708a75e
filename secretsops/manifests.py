"""Load and dump Kubernetes manifests; name objects the way the API does.

Every object keeps where it came from (file and document index) so errors and findings can
point at it. Parsing is PyYAML's safe loader (fast, no comments needed here); the SOPS stores
that must keep comments use ruamel.yaml instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secretsops.errors import InputError

Obj = dict[str, Any]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, order=True)
class ObjectId:
    """group/kind/namespace/name: how the API server tells objects apart."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Obj) -> ObjectId:
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        meta = obj.get("metadata") or {}
        kind = str(obj.get("kind") or "")
        return cls(group, kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind}/{self.namespace}/{self.name}" if self.namespace else f"{kind}/{self.name}"


@dataclass
class SourcedObject:
    """One manifest object and where it came from."""

    obj: Obj
    path: str = "<memory>"
    index: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> ObjectId:
        return ObjectId.of(self.obj)

    @property
    def where(self) -> str:
        return f"{self.path}#{self.index}" if self.index else self.path


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings (Kubernetes reads them as strings too)."""


_UniqueKeyLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_documents(text: str, path: str = "<memory>") -> list[Any]:
    """Parse YAML (multi-document) or JSON text into Python values; empty documents dropped."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) and path.endswith(".json"):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}") from None
    try:
        return [d for d in yaml.load_all(text, Loader=_UniqueKeyLoader) if d is not None]  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"{path}: cannot parse YAML{where}: {problem}") from None


def iter_objects(docs: Iterable[Any], path: str = "<memory>") -> Iterator[SourcedObject]:
    """Yield Kubernetes objects, flattening ``kind: List`` / ``*List`` items."""
    for index, doc in enumerate(docs):
        if not isinstance(doc, dict):
            continue
        kind = str(doc.get("kind") or "")
        if kind.endswith("List") and isinstance(doc.get("items"), list):
            for item in doc["items"]:
                if isinstance(item, dict):
                    yield SourcedObject(item, path, index)
            continue
        yield SourcedObject(doc, path, index)


def load_file(path: Path, root: Path | None = None) -> list[SourcedObject]:
    """Objects of one YAML/JSON file; ``root`` makes the recorded path relative."""
    shown = str(path.relative_to(root)) if root else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{shown}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror})") from None
    return list(iter_objects(parse_documents(text, shown), shown))


def is_kubernetes_object(doc: Any) -> bool:
    return isinstance(doc, dict) and bool(doc.get("apiVersion")) and bool(doc.get("kind"))


def dump_yaml(objs: Iterable[Obj]) -> str:
    """Multi-document YAML in a stable, kubectl-like layout."""
    return "---\n".join(
        yaml.safe_dump(o, sort_keys=False, default_flow_style=False, allow_unicode=True) for o in objs
    )


def dump_json(objs: list[Obj]) -> str:
    if len(objs) == 1:
        return json.dumps(objs[0], indent=2) + "\n"
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}, indent=2) + "\n"
