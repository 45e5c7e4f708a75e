"""The in-memory cluster state: objects, resource versions, field ownership and the watch history.

One lock guards everything (objects, catalog, history); watchers wait on its condition. Nothing is
ever written to disk: in the tests and the demo this state holds decrypted Secrets.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import secrets as _random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from . import defaults, patches, status
from . import managedfields as mf
from .history import Event, History, Key
from .pruning import prune
from .resources import Catalog, ResourceType, crd_types
from .selectors import Requirement, labels_match
from .shapes import Shape, root_shape
from .validation import validate

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_SERVER_META = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
)


@dataclass(frozen=True)
class WriteOptions:
    """What the query string says about a write."""

    manager: str = ""
    dry_run: bool = False
    force: bool = False
    subresource: str = ""
    #: Strict | Warn (the default) | Ignore: what to do with fields a custom resource's schema lacks
    field_validation: str = "Warn"
    #: filled in by the store: ``Warning`` headers for the response
    warnings: list[str] = dataclasses.field(default_factory=list)


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """All objects of the test cluster, guarded by one lock."""

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.catalog = Catalog()
        self._objects: dict[tuple[str, str], dict[Key, dict[str, Any]]] = {}
        self._rv = 0
        self._service_ips = 0
        self._history = History(self.cond)
        self._bootstrap()

    # -- housekeeping -------------------------------------------------------------------------------
    def _bootstrap(self) -> None:
        ns_type = self.catalog.lookup("", "v1", "namespaces")
        assert ns_type is not None
        for name in DEFAULT_NAMESPACES:
            self.create(ns_type, "", {"metadata": {"name": name}}, WriteOptions(manager="kube-apiserver"))

    def reset(self) -> None:
        """Forget every object and custom type; resource versions keep increasing across resets."""
        with self.cond:
            self.catalog = Catalog()
            self._objects.clear()
            self._history.clear()
            self._bootstrap()
            self.cond.notify_all()

    def reopen(self) -> None:
        """Accept watchers again after :meth:`close` (a stopped server being started again)."""
        with self.cond:
            self._history.closed = False

    def close(self) -> None:
        """End every watch (the server is stopping)."""
        with self.cond:
            self._history.closed = True
            self.cond.notify_all()

    @property
    def resource_version(self) -> int:
        with self.cond:
            return self._rv

    def _bucket(self, rt: ResourceType) -> dict[Key, dict[str, Any]]:
        return self._objects.setdefault(rt.storage_key, {})

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _emit(self, kind: str, rt: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        event = Event(
            int(meta["resourceVersion"]), kind, rt.storage_key, meta.get("namespace", ""), copy.deepcopy(obj)
        )
        self._history.append(event)

    @staticmethod
    def render(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """The object as served at ``rt``'s version (no conversion needed: same schema per version)."""
        out = copy.deepcopy(obj)
        out = {
            "apiVersion": rt.group_version,
            "kind": rt.kind,
            **{k: v for k, v in out.items() if k not in ("apiVersion", "kind")},
        }
        return out

    def shape(self, rt: ResourceType) -> Shape:
        return root_shape(rt.builtin, rt.schema)

    def _writer(self, rt: ResourceType, opts: WriteOptions, now: str) -> mf.Writer:
        return mf.Writer(
            shape=self.shape(rt),
            manager=opts.manager,
            api_version=rt.group_version,
            now=now,
            subresource=opts.subresource,
            has_status=rt.has_status,
            force=opts.force,
        )

    # -- reads --------------------------------------------------------------------------------------
    def resolve(self, group: str, version: str, plural: str) -> ResourceType | None:
        with self.cond:
            return self.catalog.lookup(group, version, plural)

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        with self.cond:
            obj = self._bucket(rt).get((namespace, name))
            if obj is None:
                raise status.not_found(rt.plural, rt.group, name)
            return self.render(rt, obj)

    def crd_for(self, group: str, plural: str) -> dict[str, Any] | None:
        with self.cond:
            crd = self._objects.get(("apiextensions.k8s.io", "customresourcedefinitions"), {}).get(
                ("", f"{plural}.{group}")
            )
            return copy.deepcopy(crd) if crd else None

    def service_account_uid(self, namespace: str, name: str) -> str | None:
        with self.cond:
            account = self._objects.get(("", "serviceaccounts"), {}).get((namespace, name))
            return None if account is None else str(account["metadata"]["uid"])

    def list_objects(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: list[Requirement],
        fields: Callable[[dict[str, Any]], bool],
        *,
        limit: int = 0,
        cont: str = "",
    ) -> dict[str, Any]:
        with self.cond:
            start = ""
            rv = str(self._rv)
            if cont:
                try:
                    token = json.loads(base64.urlsafe_b64decode(cont.encode()).decode())
                    start, rv = str(token["start"]), str(token["rv"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise status.bad_request(
                        "continue key is not valid: incorrect encoded start "
                        "resourceVersion (version meta.k8s.io/v1)"
                    ) from exc
            keys = sorted(self._bucket(rt))
            matched = []
            for key in keys:
                if namespace is not None and key[0] != namespace:
                    continue
                if start and "/".join(key) <= start:
                    continue
                obj = self._bucket(rt)[key]
                if labels_match(labels, obj) and fields(obj):
                    matched.append((key, obj))
            meta: dict[str, Any] = {"resourceVersion": rv}
            if limit and len(matched) > limit:
                last_key = matched[limit - 1][0]
                token = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": "/".join(last_key)})
                meta["continue"] = base64.urlsafe_b64encode(token.encode()).decode()
                meta["remainingItemCount"] = len(matched) - limit
                matched = matched[:limit]
            items = []
            for _, obj in matched:
                item = self.render(rt, obj)
                if rt.builtin:
                    item.pop("apiVersion", None)
                    item.pop("kind", None)
                items.append(item)
            return {
                "kind": f"{rt.kind}List",
                "apiVersion": rt.group_version,
                "metadata": meta,
                "items": items,
            }

    # -- watch --------------------------------------------------------------------------------------
    def snapshot_events(self, rt: ResourceType, namespace: str | None) -> tuple[int, list[Event]]:
        """Synthetic ADDED events for what exists now, and the rv to continue from."""
        with self.cond:
            events = [
                Event(int(o["metadata"]["resourceVersion"]), "ADDED", rt.storage_key, k[0], copy.deepcopy(o))
                for k, o in sorted(self._bucket(rt).items())
                if namespace is None or k[0] == namespace
            ]
            return self._rv, events

    def events_after(
        self, rt: ResourceType, namespace: str | None, after: int, timeout: float
    ) -> list[Event] | None:
        """Events newer than ``after``, waiting up to ``timeout``; None when ``after`` is too old."""
        with self.cond:
            current = self._rv
        return self._history.wait_after(rt.storage_key, namespace, after, current, timeout)

    def objects_at(self, rt: ResourceType, namespace: str | None, at: int) -> list[dict[str, Any]]:
        """The objects as they were at resource version ``at``, by undoing the later history."""
        with self.cond:
            state = {k: o for k, o in self._bucket(rt).items() if namespace is None or k[0] == namespace}
            return self._history.rewind(state, rt.storage_key, namespace, at)

    def too_old(self, after: int) -> bool:
        with self.cond:
            return not self._history.covers(after, self._rv)

    # -- writes -------------------------------------------------------------------------------------
    def _check_body(self, rt: ResourceType, namespace: str, body: Any, opts: WriteOptions) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise status.bad_request("the object provided is unrecognized (must be of type " + rt.kind + ")")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rt.group_version:
            raise status.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({rt.group_version})"
            )
        if kind and kind != rt.kind:
            raise status.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
            )
        obj = copy.deepcopy(body)
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise status.bad_request("metadata must be an object")
        if rt.namespaced:
            given = meta.get("namespace") or ""
            if given and given != namespace:
                raise status.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not rt.builtin and opts.field_validation != "Ignore":
            unknown = prune(obj, rt.schema)
            if unknown and opts.field_validation == "Strict":
                fields = ", ".join(f'unknown field "{path}"' for path in unknown)
                raise status.bad_request(
                    f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                    f"strict decoding error: {fields}"
                )
            opts.warnings.extend(f'unknown field "{path}"' for path in unknown)
        elif not rt.builtin:
            prune(obj, rt.schema)
        return obj

    def _ensure_namespace(self, rt: ResourceType, namespace: str) -> None:
        if rt.namespaced and ("", namespace) not in self._objects.get(("", "namespaces"), {}):
            raise status.not_found("namespaces", "", namespace)

    def _normalize(self, rt: ResourceType, obj: dict[str, Any], live: dict[str, Any] | None = None) -> None:
        """Server-side defaulting the apiserver does on every write."""
        if rt.builtin:
            ip = ""
            if rt.group == "" and rt.kind == "Service":
                live_spec = (live or {}).get("spec") or {}
                spec = obj.setdefault("spec", {})
                for field in ("clusterIP", "clusterIPs"):
                    if field in live_spec and field not in spec:
                        spec[field] = live_spec[field]
                ip = defaults.service_ip(self._service_ips)
            defaults.apply_defaults(rt.group, rt.kind, obj, ip)
            if ip and (obj.get("spec") or {}).get("clusterIP") == ip:
                self._service_ips += 1
        defaults.normalize(rt.group, rt.kind, obj)

    def _invalid(self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        causes = validate(rt, obj, old)
        if causes:
            raise status.invalid(rt.kind, rt.group, str(obj["metadata"].get("name") or ""), causes)

    def create(self, rt: ResourceType, namespace: str, body: Any, opts: WriteOptions) -> dict[str, Any]:
        with self.cond:
            obj = self._check_body(rt, namespace, body, opts)
            meta = obj["metadata"]
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(_random.choice(_NAME_CHARS) for _ in range(5))
            self._ensure_namespace(rt, namespace)
            for field in _SERVER_META:
                meta.pop(field, None)
            if rt.has_status and rt.kind != "Namespace":
                obj.pop("status", None)
            self._normalize(rt, obj)
            self._invalid(rt, obj, None)
            key = (namespace if rt.namespaced else "", meta["name"])
            if key in self._bucket(rt):
                raise status.already_exists(rt.plural, rt.group, meta["name"])
            now = now_rfc3339()
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now
            if rt.tracks_generation:
                meta["generation"] = 1
            if rt.kind == "CustomResourceDefinition":
                self._establish(obj)
            mf.record_update(None, obj, self._writer(rt, opts, now))
            return self._store_new(rt, key, obj, opts)

    def _store_new(
        self, rt: ResourceType, key: Key, obj: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        if opts.dry_run:
            return self.render(rt, obj)
        obj["metadata"]["resourceVersion"] = self._next_rv()
        obj = self.render(rt, obj)
        self._bucket(rt)[key] = obj
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            self._serve_crd(obj)
        self._emit("ADDED", rt, obj)
        return self.render(rt, obj)

    def _establish(self, crd: dict[str, Any]) -> None:
        names = (crd.get("spec") or {}).get("names") or {}
        now = now_rfc3339()
        crd["status"] = {
            "acceptedNames": copy.deepcopy(names),
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": now,
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": now,
                },
            ],
            "storedVersions": [
                v.get("name") for v in (crd.get("spec") or {}).get("versions") or [] if v.get("storage")
            ],
        }

    def _serve_crd(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec") or {}
        group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
        self.catalog.remove_group_resource(group, plural)
        for rt in crd_types(crd):
            self.catalog.add(rt)
        self.catalog.set_preferred(
            group,
            [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
            + [v.get("name") for v in spec.get("versions") or []],
        )

    def _live(self, rt: ResourceType, namespace: str, name: str) -> tuple[Key, dict[str, Any]]:
        key = (namespace if rt.namespaced else "", name)
        live = self._bucket(rt).get(key)
        if live is None:
            raise status.not_found(rt.plural, rt.group, name)
        return key, live

    def update(
        self, rt: ResourceType, namespace: str, name: str, body: Any, opts: WriteOptions
    ) -> dict[str, Any]:
        with self.cond:
            key, live = self._live(rt, namespace, name)
            obj = self._check_body(rt, namespace, body, opts)
            return self._write(rt, key, live, obj, opts, apply=False)

    def _write(
        self,
        rt: ResourceType,
        key: Key,
        live: dict[str, Any],
        obj: dict[str, Any],
        opts: WriteOptions,
        *,
        apply: bool,
        applied: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Everything an update does after the new body is known: checks, defaulting, ownership, storage."""
        meta, live_meta = obj["metadata"], live["metadata"]
        name = key[1]
        if meta.get("name") and meta["name"] != name:
            raise status.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        given_rv = meta.get("resourceVersion")
        if given_rv and str(given_rv) != live_meta["resourceVersion"]:
            raise status.modified_conflict(rt.plural, rt.group, name)
        meta["name"] = name
        if opts.subresource == "status":
            merged = copy.deepcopy(live)
            if "status" in obj:
                merged["status"] = obj["status"]
            else:
                merged.pop("status", None)
            obj = merged
            meta = obj["metadata"]
        elif rt.has_status:
            if "status" in live:
                obj["status"] = copy.deepcopy(live["status"])
            else:
                obj.pop("status", None)
        for field in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if field in live_meta:
                meta[field] = live_meta[field]
            else:
                meta.pop(field, None)
        meta["resourceVersion"] = live_meta["resourceVersion"]
        if rt.has_status and rt.kind == "Namespace":
            obj["status"] = copy.deepcopy(live.get("status", {"phase": "Active"}))
        self._normalize(rt, obj, live)
        if rt.tracks_generation and _spec_changed(live, obj):
            meta["generation"] = int(live_meta.get("generation", 0)) + 1
        now = now_rfc3339()
        if apply:
            assert applied is not None
            obj = mf.server_side_apply(live, applied, self._writer(rt, opts, now))
            obj = self._finish_apply(rt, live, obj, opts)
        else:
            obj["metadata"]["managedFields"] = copy.deepcopy(live_meta.get("managedFields") or [])
            mf.record_update(live, obj, self._writer(rt, opts, now))
        self._invalid(rt, obj, live)
        if _same(live, obj):
            return self.render(rt, live)
        if opts.dry_run:
            return self.render(rt, obj)
        obj["metadata"]["resourceVersion"] = self._next_rv()
        obj = self.render(rt, obj)
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            self._remove(rt, key, obj)
            return self.render(rt, obj)
        self._bucket(rt)[key] = obj
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            self._establish(obj)
            self._serve_crd(obj)
        self._emit("MODIFIED", rt, obj)
        return self.render(rt, obj)

    def _finish_apply(
        self, rt: ResourceType, live: dict[str, Any], obj: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        """Re-impose what the server owns after an apply merge (identity, status scoping, generation)."""
        meta, live_meta = obj["metadata"], live["metadata"]
        for field in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "resourceVersion",
            "name",
            "namespace",
        ):
            if field in live_meta:
                meta[field] = live_meta[field]
        if opts.subresource != "status" and rt.has_status:
            if "status" in live:
                obj["status"] = copy.deepcopy(live["status"])
        self._normalize(rt, obj, live)
        if rt.tracks_generation:
            meta["generation"] = int(live_meta.get("generation", 0)) + (1 if _spec_changed(live, obj) else 0)
        return obj

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        *,
        content_type: str,
        raw: bytes,
        opts: WriteOptions,
    ) -> dict[str, Any]:
        if content_type == APPLY:
            return self.apply(rt, namespace, name, raw, opts)
        try:
            body = json.loads(raw.decode() or "null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise status.bad_request(f"error decoding patch: {exc.__class__.__name__}") from exc
        with self.cond:
            key, live = self._live(rt, namespace, name)
            current = self.render(rt, live)
            if content_type == JSON_PATCH:
                patched = patches.json_patch(current, body)
            elif content_type == MERGE:
                patched = patches.merge_patch(current, body)
            elif content_type == STRATEGIC:
                if not rt.builtin:
                    raise status.unsupported_media_type(content_type, [JSON_PATCH, MERGE, APPLY])
                patched = patches.strategic_merge_patch(current, body, self.shape(rt))
            else:
                raise status.unsupported_media_type(content_type, list(PATCH_TYPES))
            if not isinstance(patched, dict):
                raise status.bad_request("the patched object is not a JSON object")
            patched.setdefault("metadata", {})
            given_rv = (
                ((body or {}).get("metadata") or {}).get("resourceVersion")
                if isinstance(body, dict)
                else patched["metadata"].get("resourceVersion")
            )
            if not given_rv:
                patched["metadata"].pop("resourceVersion", None)
            obj = self._check_body(rt, namespace, patched, opts)
            return self._write(rt, key, live, obj, opts, apply=False)

    def apply(
        self, rt: ResourceType, namespace: str, name: str, raw: bytes, opts: WriteOptions
    ) -> dict[str, Any]:
        if not opts.manager:
            raise status.ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required '
                "value: is required for apply patch",
                {
                    "group": "meta.k8s.io",
                    "kind": "PatchOptions",
                    "causes": [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: is required for apply patch",
                            "field": "fieldManager",
                        }
                    ],
                },
            )
        try:
            applied = yaml.safe_load(raw.decode() or "")
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise status.bad_request(f"error decoding YAML: {exc.__class__.__name__}") from exc
        if not isinstance(applied, dict):
            raise status.bad_request("error decoding YAML: the applied configuration must be an object")
        if not applied.get("apiVersion") or not applied.get("kind"):
            missing = "Kind" if not applied.get("kind") else "apiVersion"
            # the apiserver quotes the body here; the body may hold Secret values, so it is left out
            raise status.bad_request(f"Object '{missing}' is missing in the applied configuration")
        with self.cond:
            checked = self._check_body(rt, namespace, applied, opts)
            given = checked["metadata"].get("name")
            if given and given != name:
                raise status.bad_request(
                    f"the name of the object ({given}) does not match the name on the URL ({name})"
                )
            checked["metadata"]["name"] = name
            key = (namespace if rt.namespaced else "", name)
            live = self._bucket(rt).get(key)
            given_rv = checked["metadata"].get("resourceVersion")
            if given_rv and (live is None or str(given_rv) != live["metadata"]["resourceVersion"]):
                if live is None:
                    raise status.not_found(rt.plural, rt.group, name)
                raise status.modified_conflict(rt.plural, rt.group, name)
            if live is None:
                if opts.subresource:
                    raise status.not_found(rt.plural, rt.group, name)
                return self._create_by_apply(rt, namespace, key, checked, opts)
            return self._write(rt, key, live, copy.deepcopy(live), opts, apply=True, applied=checked)

    def _create_by_apply(
        self, rt: ResourceType, namespace: str, key: Key, applied: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        self._ensure_namespace(rt, namespace)
        now = now_rfc3339()
        config = copy.deepcopy(applied)
        for field in _SERVER_META:
            config["metadata"].pop(field, None)
        if rt.has_status and rt.kind != "Namespace":
            config.pop("status", None)
        obj = mf.server_side_apply(None, config, self._writer(rt, opts, now))
        obj["apiVersion"], obj["kind"] = rt.group_version, rt.kind
        meta = obj["metadata"]
        meta["name"] = key[1]
        if rt.namespaced:
            meta["namespace"] = namespace
        self._normalize(rt, obj)
        self._invalid(rt, obj, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now
        if rt.tracks_generation:
            meta["generation"] = 1
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            self._establish(obj)
        return self._store_new(rt, key, obj, opts)

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        *,
        propagation: str = "",
        preconditions: dict[str, str] | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        with self.cond:
            key, live = self._live(rt, namespace, name)
            meta = live["metadata"]
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                want = (preconditions or {}).get(field)
                if want and want != meta.get(field) and field == "uid":
                    raise status.ApiError(
                        409,
                        "Conflict",
                        f'Operation cannot be fulfilled on {rt.kind} "{name}": the UID in the precondition '
                        f"({want}) does not match the UID in record ({meta.get(field)}). "
                        "The object might have been deleted and then recreated",
                        {"name": name, "kind": rt.kind},
                    )
                if want and want != meta.get(field):
                    raise status.conflict(
                        rt.plural,
                        rt.group,
                        name,
                        f"Precondition failed: {label} in precondition: {want}, {label} in "
                        f"object meta: {meta.get(field)}",
                    )
            if dry_run:
                return (
                    self.render(rt, live)
                    if rt.returns_deleted
                    else status.success(name, rt.group, rt.plural, meta["uid"])
                )
            if meta.get("finalizers"):
                if not meta.get("deletionTimestamp"):
                    obj = copy.deepcopy(live)
                    obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                    obj["metadata"]["deletionGracePeriodSeconds"] = 0
                    obj["metadata"]["resourceVersion"] = self._next_rv()
                    self._bucket(rt)[key] = obj
                    self._emit("MODIFIED", rt, obj)
                    live = obj
                return self.render(rt, live)
            if rt.group == "" and rt.kind == "Namespace":
                self._delete_namespace_contents(name)
                live = copy.deepcopy(live)
                live["metadata"]["deletionTimestamp"] = now_rfc3339()
                live.setdefault("status", {})["phase"] = "Terminating"
            gone = self._remove(rt, key, live)
            self._collect_dependents(meta["uid"], propagation or "Background")
            if rt.returns_deleted:
                return self.render(rt, gone)
            return status.success(name, rt.group, rt.plural, meta["uid"])

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: list[Requirement],
        fields: Callable[[dict[str, Any]], bool],
        *,
        propagation: str = "",
        dry_run: bool = False,
    ) -> dict[str, Any]:
        with self.cond:
            listed = self.list_objects(rt, namespace, labels, fields)
            for item in listed["items"]:
                meta = item["metadata"]
                self.delete(
                    rt, meta.get("namespace", ""), meta["name"], propagation=propagation, dry_run=dry_run
                )
            return listed

    def _remove(self, rt: ResourceType, key: Key, obj: dict[str, Any]) -> dict[str, Any]:
        """Drop the object for good: DELETED event with a fresh resource version."""
        self._bucket(rt).pop(key, None)
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self._next_rv()
        self._emit("DELETED", rt, gone)
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            spec = gone.get("spec") or {}
            group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
            served = self.catalog.by_storage(group, plural)
            if served is not None:
                for k, o in sorted(self._objects.get((group, plural), {}).items()):
                    self._remove(served, k, o)
            self._objects.pop((group, plural), None)
            self.catalog.remove_group_resource(group, plural)
        return gone

    def _delete_namespace_contents(self, namespace: str) -> None:
        for storage, bucket in list(self._objects.items()):
            rt = self.catalog.by_storage(*storage)
            if rt is None or not rt.namespaced:
                continue
            for key in [k for k in bucket if k[0] == namespace]:
                self._remove(rt, key, bucket[key])

    def _collect_dependents(self, owner_uid: str, propagation: str) -> None:
        """Garbage collection of objects whose ownerReferences name a deleted owner."""
        for storage, bucket in list(self._objects.items()):
            rt = self.catalog.by_storage(*storage)
            if rt is None:
                continue
            for key, obj in list(bucket.items()):
                refs = obj["metadata"].get("ownerReferences") or []
                if not any(r.get("uid") == owner_uid for r in refs):
                    continue
                if propagation == "Orphan":
                    updated = copy.deepcopy(obj)
                    rest = [r for r in refs if r.get("uid") != owner_uid]
                    if rest:
                        updated["metadata"]["ownerReferences"] = rest
                    else:
                        updated["metadata"].pop("ownerReferences")
                    updated["metadata"]["resourceVersion"] = self._next_rv()
                    bucket[key] = updated
                    self._emit("MODIFIED", rt, updated)
                elif all(r.get("uid") == owner_uid for r in refs):
                    self._remove(rt, key, obj)
                    self._collect_dependents(obj["metadata"]["uid"], propagation)


def _spec_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Generation tracks everything but metadata and status."""

    def body(o: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in o.items() if k not in ("metadata", "status", "apiVersion", "kind")}

    return body(old) != body(new)


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """A write that changes nothing but ownership timestamps is a no-op (no new resourceVersion)."""

    def strip(o: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
        meta = dict(out.get("metadata") or {})
        fields = [{k: v for k, v in e.items() if k != "time"} for e in meta.pop("managedFields", None) or []]
        out["metadata"] = meta
        out["__fields"] = sorted(json.dumps(f, sort_keys=True) for f in fields)
        return out

    return strip(old) == strip(new)
