"""Server-side printing (``Accept: ...;as=Table``) as kubectl asks for it: Name and Age columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

COLUMNS = [
    {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": "Name must be unique within a namespace.",
        "priority": 0,
    },
    {
        "name": "Age",
        "type": "string",
        "format": "",
        "description": "CreationTimestamp is a timestamp representing "
        "the server time when this object was created.",
        "priority": 0,
    },
]


def wants_table(accept: str) -> bool:
    first = accept.split(",", maxsplit=1)[0]
    return "as=Table" in first and "g=meta.k8s.io" in first


def _row(obj: dict[str, Any], include: str) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    row: dict[str, Any] = {"cells": [meta.get("name", ""), age(str(meta.get("creationTimestamp", "")))]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        partial_meta = {k: v for k, v in meta.items() if k != "managedFields"}
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": partial_meta,
        }
    return row


def table(objs: list[dict[str, Any]], list_meta: dict[str, Any] | None, include: str) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "columnDefinitions": COLUMNS,
        "rows": [_row(o, include) for o in objs],
    }


def age(created: str) -> str:
    """A short human duration like the apiserver prints (``45s``, ``3m12s``, ``5h``, ``2d``)."""
    try:
        then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"
