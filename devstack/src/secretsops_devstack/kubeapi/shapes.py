"""What the schema says about a field, as far as merging and field ownership need it.

Server-side apply and strategic merge depend on the schema: which maps are structs (declared fields)
and which are free-form maps, which lists are keyed (``containers`` by ``name``) and which are atomic.
Custom resources answer from their CRD's ``openAPIV3Schema`` (``x-kubernetes-list-type`` and friends);
built-in types from a table of the well-known fields, since the full built-in OpenAPI is not bundled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: free-form string maps in built-in types: their keys are not declared fields
FREE_MAPS = frozenset(
    {
        "labels",
        "annotations",
        "data",
        "stringData",
        "binaryData",
        "nodeSelector",
        "matchLabels",
        "limits",
        "requests",
        "capacity",
        "allocatable",
        "parameters",
        "hard",
        "used",
    }
)
#: fields whose whole value is one unit (LabelSelector is a ``structType=atomic``; Service selector atomic)
ATOMIC_FIELDS = frozenset(
    {
        "selector",
        "podSelector",
        "namespaceSelector",
        "labelSelector",
        "command",
        "args",
        "rules",
        "subjects",
        "roleRef",
    }
)
#: struct-valued fields that are always present, so an Update never records them as added
STRUCTS = frozenset({"metadata", "spec", "status", "template", "strategy", "jobTemplate", "updateStrategy"})
#: associative lists of built-ins and their merge keys (patchMergeKey / listMapKeys)
LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "imagePullSecrets": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
    "resourceClaims": ("name",),
}
SET_LISTS = frozenset({"finalizers"})


@dataclass(frozen=True)
class Shape:
    """The shape of one value: ``struct`` | ``map`` (free keys) | ``list`` | ``atomic`` | ``scalar``."""

    kind: str
    name: str = ""
    builtin: bool = True
    list_type: str = "atomic"  # atomic | map | set (lists only)
    keys: tuple[str, ...] = ()
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    parent: str = ""

    @property
    def atomic(self) -> bool:
        return self.kind == "atomic" or (self.kind == "list" and self.list_type == "atomic")

    def declared(self, key: str) -> bool:
        """Whether ``key`` is a declared struct field (its path is then not owned as a map entry)."""
        if self.schema is not None:
            return key in (self.schema.get("properties") or {})
        return self.kind == "struct" and self.builtin

    def is_struct_value(self) -> bool:
        """Struct values are always present, so an Update never lists them as added (no ``.`` entry)."""
        if self.schema is not None:
            return self.name == "metadata"
        return self.builtin and (self.name in STRUCTS or self.name == "")

    def child(self, key: str) -> Shape:
        if self.schema is not None:
            return _from_schema(
                key, (self.schema.get("properties") or {}).get(key) or _additional(self.schema), self
            )
        if not self.builtin:
            return Shape("map", key, builtin=False, parent=self.name)
        return builtin_shape(key, self.name)

    def item(self) -> Shape:
        if self.schema is not None:
            return _from_schema(self.name, self.schema.get("items") or {}, self, item=True)
        if not self.builtin:
            return Shape("map", self.name, builtin=False)
        return Shape("struct", self.name + "[]", parent=self.name)


def _additional(schema: dict[str, Any]) -> dict[str, Any] | None:
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return {"x-kubernetes-preserve-unknown-fields": True}
    return None


def _from_schema(name: str, schema: dict[str, Any] | None, parent: Shape, item: bool = False) -> Shape:
    if schema is None:
        return Shape("map", name, builtin=False, parent=parent.name)
    if name == "metadata" and parent.name == "" and not item:
        return builtin_shape("metadata", "")
    kind_of = schema.get("type")
    if kind_of == "array":
        list_type = schema.get("x-kubernetes-list-type", "atomic")
        return Shape(
            "list",
            name,
            builtin=False,
            list_type=list_type,
            keys=tuple(schema.get("x-kubernetes-list-map-keys") or ()),
            schema=schema,
            parent=parent.name,
        )
    if kind_of == "object" or "properties" in schema or _additional(schema) is not None:
        if schema.get("x-kubernetes-map-type") == "atomic":
            return Shape("atomic", name, builtin=False, parent=parent.name)
        return Shape(
            "struct" if "properties" in schema else "map",
            name,
            builtin=False,
            schema=schema,
            parent=parent.name,
        )
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return Shape("map", name, builtin=False, parent=parent.name)
    return Shape("scalar", name, builtin=False, parent=parent.name)


def builtin_shape(name: str, parent: str) -> Shape:
    if name in ATOMIC_FIELDS:
        return Shape("atomic", name, parent=parent)
    if name in FREE_MAPS:
        return Shape("map", name, parent=parent)
    if name in SET_LISTS:
        return Shape("list", name, list_type="set", parent=parent)
    if name == "ports":
        keys = ("port", "protocol") if parent == "spec" else ("containerPort", "protocol")
        return Shape("list", name, list_type="map", keys=keys, parent=parent)
    if name in LIST_KEYS:
        return Shape("list", name, list_type="map", keys=LIST_KEYS[name], parent=parent)
    return Shape("struct", name, parent=parent)


def root_shape(builtin: bool, schema: dict[str, Any] | None) -> Shape:
    """The shape of a whole object of a type: built-in table, CRD schema, or deduced (all maps free)."""
    if builtin:
        return Shape("struct", "")
    if schema:
        return Shape("struct", "", builtin=False, schema=schema)
    return Shape(
        "struct",
        "",
        builtin=False,
        schema={
            "properties": {"apiVersion": {}, "kind": {}, "metadata": {}},
            "x-kubernetes-preserve-unknown-fields": True,
        },
    )
