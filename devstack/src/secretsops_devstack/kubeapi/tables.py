"""Server-side printing (``Accept: ...;as=Table``): the columns ``kubectl get`` shows for each kind.

Built-in kinds the engine deals with get the apiserver's columns (Secret: NAME TYPE DATA AGE, ...);
custom resources get their CRD's ``additionalPrinterColumns`` (NAME and AGE when it has none);
anything else NAME and AGE.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Row = Callable[[dict[str, Any]], list[Any]]


def _column(name: str, kind: str = "string", fmt: str = "", priority: int = 0) -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": "", "priority": priority}


NAME = _column("Name", fmt="name")
AGE = _column("Age", "date")


def wants_table(accept: str) -> bool:
    first = accept.split(",", maxsplit=1)[0]
    return "as=Table" in first and "g=meta.k8s.io" in first


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


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or {}


def _ports(obj: dict[str, Any]) -> str:
    ports = [f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in _spec(obj).get("ports") or []]
    return ",".join(ports) or "<none>"


BUILTIN: dict[tuple[str, str], tuple[list[dict[str, Any]], Row]] = {
    ("", "Secret"): (
        [_column("Type"), _column("Data", "integer")],
        lambda o: [o.get("type", ""), len(o.get("data") or {})],
    ),
    ("", "ConfigMap"): (
        [_column("Data", "integer")],
        lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {})],
    ),
    ("", "Namespace"): ([_column("Status")], lambda o: [_status(o).get("phase", "")]),
    ("", "Service"): (
        [_column("Type"), _column("Cluster-IP"), _column("External-IP"), _column("Port(s)")],
        lambda o: [_spec(o).get("type", ""), _spec(o).get("clusterIP", "<none>"), "<none>", _ports(o)],
    ),
    ("apps", "Deployment"): (
        [_column("Ready"), _column("Up-to-date", "integer"), _column("Available", "integer")],
        lambda o: [
            f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 0)}",
            _status(o).get("updatedReplicas", 0),
            _status(o).get("availableReplicas", 0),
        ],
    ),
}


def json_path(obj: Any, path: str) -> Any:
    """The subset of JSONPath printer columns use: ``.a.b``, ``[0]``, ``[?(@.type=="Ready")]``."""
    cur = obj
    for token in re.findall(
        r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_]+)==[\"']([^\"']*)[\"']\)\]", path
    ):
        field, index, key, value = token
        if field:
            cur = cur.get(field) if isinstance(cur, dict) else None
        elif index:
            cur = cur[int(index)] if isinstance(cur, list) and int(index) < len(cur) else None
        else:
            cur = (
                next((i for i in cur if isinstance(i, dict) and str(i.get(key)) == value), None)
                if isinstance(cur, list)
                else None
            )
        if cur is None:
            return None
    return cur


def _custom(printer_columns: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Row]:
    columns = [
        _column(
            str(c.get("name", "")),
            str(c.get("type", "string")),
            str(c.get("format", "")),
            int(c.get("priority", 0)),
        )
        for c in printer_columns
    ]

    def row(obj: dict[str, Any]) -> list[Any]:
        cells = []
        for column in printer_columns:
            value = json_path(obj, str(column.get("jsonPath", "")))
            if column.get("type") == "date" and isinstance(value, str):
                value = age(value)
            cells.append(value)
        return cells

    return columns, row


def _no_cells(obj: dict[str, Any]) -> list[Any]:
    return []


def table(
    objs: list[dict[str, Any]],
    list_meta: dict[str, Any] | None,
    include: str,
    *,
    kind: tuple[str, str],
    printer_columns: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``Table`` for ``kind`` = (group, Kind); ``include`` is the ``includeObject`` query value."""
    with_age = not printer_columns
    if printer_columns:
        extra, row = _custom(printer_columns)
    else:
        extra, row = BUILTIN.get(kind, ([], _no_cells))
    columns = [NAME, *extra, *([AGE] if with_age else [])]
    rows = []
    for obj in objs:
        cells = [_meta(obj).get("name", ""), *row(obj)]
        if with_age:
            cells.append(age(str(_meta(obj).get("creationTimestamp", ""))))
        entry: dict[str, Any] = {"cells": cells}
        if include == "Object":
            entry["object"] = obj
        elif include != "None":
            meta = {k: v for k, v in _meta(obj).items() if k != "managedFields"}
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "columnDefinitions": columns,
        "rows": rows,
    }
