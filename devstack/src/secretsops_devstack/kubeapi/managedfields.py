"""Field ownership: ``metadata.managedFields`` bookkeeping for Apply and Update operations."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from . import fieldpaths as fp
from .fieldpaths import Path
from .shapes import Shape
from .status import ApiError, Cause

#: fields the apiserver never tracks ownership of
IGNORED: frozenset[Path] = frozenset(
    {("f:apiVersion",), ("f:kind",)}
    | {
        ("f:metadata", "f:" + name)
        for name in (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
            "generateName",
        )
    }
)


@dataclass
class Entry:
    """One ``ManagedFieldsEntry``."""

    manager: str
    operation: str  # Apply | Update
    api_version: str
    time: str
    fields: set[Path]
    subresource: str = ""

    def same_owner(self, other: Entry) -> bool:
        return (self.manager, self.operation, self.subresource) == (
            other.manager,
            other.operation,
            other.subresource,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": fp.to_fields_v1(self.fields),
        }
        if self.subresource:
            out["subresource"] = self.subresource
        return out

    def describe(self) -> str:
        """How conflict messages name a manager (``"x"`` or ``"x" using v1``, as kube-apiserver 1.34 does:
        the manager key it formats carries no time)."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def read_entries(obj: dict[str, Any]) -> list[Entry]:
    entries = []
    for raw in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(raw, dict) or not raw.get("manager") and not raw.get("fieldsV1"):
            continue
        entries.append(
            Entry(
                manager=str(raw.get("manager", "")),
                operation=str(raw.get("operation", "Update")),
                api_version=str(raw.get("apiVersion", "")),
                time=str(raw.get("time", "")),
                fields=fp.from_fields_v1(raw.get("fieldsV1") or {}),
                subresource=str(raw.get("subresource", "")),
            )
        )
    return entries


def write_entries(obj: dict[str, Any], entries: list[Entry]) -> None:
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time, e.manager, e.api_version, e.subresource))
    meta = obj.setdefault("metadata", {})
    if kept:
        meta["managedFields"] = [e.to_json() for e in kept]
    else:
        meta.pop("managedFields", None)


def _scope(paths: set[Path], subresource: str, has_status: bool) -> set[Path]:
    """Drop fields no manager owns through this endpoint (status belongs to /status when it exists)."""
    out = {p for p in paths if p not in IGNORED and p != ("f:metadata",)}
    if subresource == "status":
        return {p for p in out if p[:1] == ("f:status",)}
    if has_status:
        return {p for p in out if p[:1] != ("f:status",)}
    return out


@dataclass(frozen=True)
class Writer:
    """Who writes, through which endpoint, at which version and time, to a type of which shape."""

    shape: Shape
    manager: str
    api_version: str
    now: str
    subresource: str = ""
    has_status: bool = False
    force: bool = False


def record_update(old: dict[str, Any] | None, new: dict[str, Any], writer: Writer) -> None:
    """An Update (create, PUT, non-apply PATCH): the writer takes the fields it changed from everyone."""
    shape, manager, api_version, now = writer.shape, writer.manager, writer.api_version, writer.now
    subresource, has_status = writer.subresource, writer.has_status
    entries = read_entries(old) if old is not None else []
    before = _scope(fp.object_set(_strip(old), shape), subresource, has_status) if old is not None else set()
    after = _scope(fp.object_set(_strip(new), shape), subresource, has_status)
    changed = {p for p in after if p not in before or _leaf_changed(old, new, p)}
    removed = before - after
    for entry in entries:
        entry.fields -= removed
        if entry.subresource == subresource or not subresource:
            entry.fields -= changed
    mine = Entry(manager, "Update", api_version, now, set(changed), subresource)
    for entry in entries:
        if entry.same_owner(mine) and entry.api_version == api_version:
            entry.fields |= changed
            if changed:
                entry.time = now
            break
    else:
        entries.append(mine)
    write_entries(new, entries)


def _leaf_changed(old: Any, new: Any, path: Path) -> bool:
    a, b = fp.value_at(old, path), fp.value_at(new, path)
    if isinstance(a, dict) and isinstance(b, dict):
        return False
    if isinstance(a, list) and isinstance(b, list) and (not path or not path[-1].startswith("f:")):
        return False
    return bool(a != b)


def _strip(obj: dict[str, Any] | None) -> dict[str, Any]:
    if obj is None:
        return {}
    out = copy.deepcopy(obj)
    out.get("metadata", {}).pop("managedFields", None)
    return out


def server_side_apply(live: dict[str, Any] | None, applied: dict[str, Any], writer: Writer) -> dict[str, Any]:
    """Apply ``applied`` for the writer over ``live`` (None: create). 409 on conflicts unless forced."""
    shape, manager, api_version, now = writer.shape, writer.manager, writer.api_version, writer.now
    subresource, has_status, force = writer.subresource, writer.has_status, writer.force
    config = copy.deepcopy(applied)
    config.get("metadata", {}).pop("managedFields", None)
    if subresource == "status":
        config = {k: v for k, v in config.items() if k in ("apiVersion", "kind", "status")}
        config["metadata"] = {}
    elif has_status:
        config.pop("status", None)
    new_set = _scope(fp.applied_set(config, shape), subresource, has_status)
    base = copy.deepcopy(live) if live is not None else {}
    base.get("metadata", {}).pop("managedFields", None)
    merged = fp.deep_merge_apply(base, config, shape)
    entries = read_entries(live) if live is not None else []
    me = next(
        (
            e
            for e in entries
            if e.manager == manager and e.operation == "Apply" and e.subresource == subresource
        ),
        None,
    )
    others = [e for e in entries if e is not me]
    changed = {p for p in new_set if _leaf_changed(base, merged, p)}
    conflicts = [(e, p) for e in others for p in sorted(e.fields & changed)]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for entry, path in conflicts:
        entry.fields.discard(path)
    previous = me.fields if me else set()
    owned_by_others: set[Path] = set().union(*(e.fields for e in others)) if others else set()
    still_owned = owned_by_others | new_set
    removable = [
        p for p in previous - new_set - owned_by_others if not any(o[: len(p)] == p for o in still_owned)
    ]
    removed: list[Path] = []
    for path in sorted(removable, key=lambda p: (len(p), p)):
        if any(path[: len(r)] == r for r in removed):
            continue  # inside something already removed (a list item is found by its key fields)
        fp.remove_path(merged, path)
        removed.append(path)
    for path in sorted(removed, key=len, reverse=True):
        _prune_empty_parents(merged, path, still_owned)
    if me is None:
        me = Entry(manager, "Apply", api_version, now, set(), subresource)
        entries.append(me)
    me.fields, me.api_version, me.time = new_set, api_version, now
    write_entries(merged, entries)
    return merged


def _prune_empty_parents(obj: dict[str, Any], path: Path, owned: set[Path]) -> None:
    for depth in range(len(path) - 1, 0, -1):
        parent = path[:depth]
        value = fp.value_at(obj, parent)
        if isinstance(value, (dict, list)) and not value and not any(o[:depth] == parent for o in owned):
            fp.remove_path(obj, parent)
        else:
            return


def _conflict_error(conflicts: list[tuple[Entry, Path]]) -> ApiError:
    causes = [
        Cause("FieldManagerConflict", f"conflict with {e.describe()}", fp.render(p)) for e, p in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {entry.describe()}: {fp.render(path)}"
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(entry.describe(), []).append(fp.render(path))
        lines = []
        for name in sorted(by_manager):
            lines.append(f"conflicts with {name}:")
            lines.extend(f"- {p}" for p in by_manager[name])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(409, "Conflict", message, {"causes": [c.to_json() for c in causes]})
