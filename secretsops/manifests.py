"""Load and dump Kubernetes manifests; name objects the way the API does.

Every object keeps where it came from (file and document index) so errors and findings can
point at it. Reading and parsing is ``secretsops.yamlio`` (one loader, documented limits); the
SOPS YAML store, which must keep comments and go-yaml's resolution, has its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.yamlio import DEFAULT_LIMITS, ReadLimits

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


def parse_documents(text: str, path: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS) -> list[Any]:
    """Parse YAML (multi-document) or JSON text into Python values; empty documents dropped."""
    return yamlio.parse_documents(text, path, limits)


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


def load_file(
    path: Path, root: Path | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> list[SourcedObject]:
    """Objects of one YAML/JSON file; ``root`` makes the recorded path relative."""
    shown = str(path.relative_to(root)) if root else str(path)
    return list(iter_objects(yamlio.read_documents(path, shown, limits), shown))


def is_kubernetes_object(doc: Any) -> bool:
    return isinstance(doc, dict) and bool(doc.get("apiVersion")) and bool(doc.get("kind"))


def dump_yaml(objs: Iterable[Obj]) -> str:
    """Multi-document YAML in a stable, kubectl-like layout."""
    return yamlio.dump_all(objs)


def dump_json(objs: list[Obj]) -> str:
    if len(objs) == 1:
        return json.dumps(objs[0], indent=2) + "\n"
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}, indent=2) + "\n"
