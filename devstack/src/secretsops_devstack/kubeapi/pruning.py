"""Pruning of custom resources to their CRD's structural schema, as the apiserver does on every write.

Fields a schema does not declare are dropped unless the node says
``x-kubernetes-preserve-unknown-fields: true`` or has ``additionalProperties``. The dropped paths
are returned so the caller can warn (``fieldValidation=Warn``, the default) or refuse (``Strict``).
"""

from __future__ import annotations

from typing import Any

ROOT_KEEP = ("apiVersion", "kind", "metadata")


def prune(obj: dict[str, Any], schema: dict[str, Any] | None) -> list[str]:
    """Drop undeclared fields from ``obj`` in place; returns them as dotted paths (``spec.foo``)."""
    if not schema:
        return []
    dropped: list[str] = []
    _prune(obj, schema, "", dropped, root=True)
    return dropped


def _prune(value: Any, schema: dict[str, Any], path: str, dropped: list[str], root: bool = False) -> None:
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                _prune(item, items, path, dropped)
        return
    if not isinstance(value, dict):
        return
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    for key in list(value):
        child_path = f"{path}.{key}" if path else key
        if (root or embedded) and key in ROOT_KEEP and key not in properties:
            continue
        if key in properties:
            _prune(value[key], properties[key] or {}, child_path, dropped)
        elif isinstance(extra, dict):
            _prune(value[key], extra, child_path, dropped)
        elif extra is True or preserve:
            continue
        else:
            del value[key]
            dropped.append(child_path)
