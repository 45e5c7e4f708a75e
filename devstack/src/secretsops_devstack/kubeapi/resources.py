"""The resource types the server knows: built-ins, plus whatever CustomResourceDefinitions add."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One servable resource (``secrets`` in ``v1``): its names, scope and behaviour."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    has_status: bool = False
    tracks_generation: bool = False
    builtin: bool = True
    categories: tuple[str, ...] = ()
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    #: built-ins whose DELETE echoes the object instead of a Success Status
    returns_deleted: bool = False

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def has_scale(self) -> bool:
        """Workloads with a ``/scale`` subresource (autoscaling/v1 Scale over ``spec.replicas``)."""
        return self.group == "apps" and self.kind in ("Deployment", "StatefulSet", "ReplicaSet")

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Objects are stored per group and plural, whatever version they were written in."""
        return (self.group, self.plural)

    def discovery(self) -> list[dict[str, Any]]:
        """The APIResourceList entries for this type (itself and its subresources)."""
        entry: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        entry["storageVersionHash"] = _storage_hash(self)
        out = [entry]
        if self.has_scale:
            out.append(
                {
                    "name": f"{self.plural}/scale",
                    "singularName": "",
                    "namespaced": True,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
        if self.group == "" and self.kind == "ServiceAccount":
            out.append(
                {
                    "name": "serviceaccounts/token",
                    "singularName": "",
                    "namespaced": True,
                    "group": "authentication.k8s.io",
                    "version": "v1",
                    "kind": "TokenRequest",
                    "verbs": ["create"],
                }
            )
        if self.has_status:
            out.append(
                {
                    "name": f"{self.plural}/status",
                    "singularName": "",
                    "namespaced": self.namespaced,
                    "kind": self.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        return out


def _storage_hash(rt: ResourceType) -> str:
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    import base64

    return base64.b64encode(digest[:8]).decode()


def _core(plural: str, kind: str, *, ns: bool = True, short: tuple[str, ...] = (), **kw: Any) -> ResourceType:
    return ResourceType("", "v1", plural, kind, ns, short, **kw)


def _g(
    group: str,
    version: str,
    plural: str,
    kind: str,
    *,
    ns: bool = True,
    short: tuple[str, ...] = (),
    **kw: Any,
) -> ResourceType:
    return ResourceType(group, version, plural, kind, ns, short, **kw)


def _workload(group: str, plural: str, kind: str, short: tuple[str, ...] = ()) -> ResourceType:
    return ResourceType(
        group, "v1", plural, kind, True, short, has_status=True, tracks_generation=True, categories=("all",)
    )


BUILTINS: tuple[ResourceType, ...] = (
    _core(
        "namespaces",
        "Namespace",
        ns=False,
        short=("ns",),
        verbs=NS_VERBS,
        has_status=True,
        returns_deleted=True,
    ),
    _core("secrets", "Secret"),
    _core("configmaps", "ConfigMap", short=("cm",)),
    _core(
        "services",
        "Service",
        short=("svc",),
        has_status=True,
        returns_deleted=True,
        categories=("all",),
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    _core("serviceaccounts", "ServiceAccount", short=("sa",)),
    _core("events", "Event", short=("ev",)),
    _core("pods", "Pod", short=("po",), has_status=True, returns_deleted=True, categories=("all",)),
    _core("endpoints", "Endpoints", short=("ep",)),
    _workload("apps", "deployments", "Deployment", ("deploy",)),
    _workload("apps", "statefulsets", "StatefulSet", ("sts",)),
    _workload("apps", "daemonsets", "DaemonSet", ("ds",)),
    _workload("apps", "replicasets", "ReplicaSet", ("rs",)),
    _workload("batch", "jobs", "Job"),
    _workload("batch", "cronjobs", "CronJob", ("cj",)),
    _g("coordination.k8s.io", "v1", "leases", "Lease"),
    _g("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", ns=False, verbs=("create",)),
    _g("events.k8s.io", "v1", "events", "Event", short=("ev",)),
    _g("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _g("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _g("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", ns=False),
    _g("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", ns=False),
    _g(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        short=("netpol",),
        tracks_generation=True,
    ),
    _g(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        short=("ing",),
        has_status=True,
        tracks_generation=True,
    ),
    _g(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        ns=False,
        short=("crd", "crds"),
        has_status=True,
        tracks_generation=True,
        returns_deleted=True,
    ),
)


class Catalog:
    """Which resources are served, by group/version/plural. Not locked: the store's lock guards it."""

    def __init__(self, builtins: Iterable[ResourceType] = BUILTINS) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        #: group -> versions in preference order
        self._versions: dict[str, list[str]] = {}
        for rt in builtins:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        self._types[(rt.group, rt.version, rt.plural)] = rt
        versions = self._versions.setdefault(rt.group, [])
        if rt.version not in versions:
            versions.append(rt.version)

    def remove_group_resource(self, group: str, plural: str) -> None:
        for key in [k for k in self._types if k[0] == group and k[2] == plural]:
            del self._types[key]
        served = {k[1] for k in self._types if k[0] == group}
        if group in self._versions:
            self._versions[group] = [v for v in self._versions[group] if v in served]
            if not self._versions[group]:
                del self._versions[group]

    def set_preferred(self, group: str, versions: list[str]) -> None:
        """Order a group's versions: the given ones first (deduplicated), then any others served."""
        served = {k[1] for k in self._types if k[0] == group}
        ordered = list(dict.fromkeys(v for v in versions if v in served))
        others = [v for v in self._versions.get(group, []) if v not in ordered]
        self._versions[group] = ordered + others

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def by_storage(self, group: str, plural: str) -> ResourceType | None:
        versions = self._versions.get(group, [])
        for v in versions:
            rt = self._types.get((group, v, plural))
            if rt:
                return rt
        return None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._types.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def groups(self) -> list[str]:
        """Named groups in a stable order: built-ins first as registered, then custom ones."""
        return [g for g in self._versions if g]

    def versions(self, group: str) -> list[str]:
        return list(self._versions.get(group, []))

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return sorted(
            (rt for k, rt in self._types.items() if k[0] == group and k[1] == version), key=lambda r: r.plural
        )

    def served(self, group: str, version: str) -> bool:
        return any(k[0] == group and k[1] == version for k in self._types)


def crd_types(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types one CustomResourceDefinition serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out = []
    for ver in spec.get("versions") or []:
        if not ver.get("served", True):
            continue
        subresources = ver.get("subresources") or {}
        schema = (ver.get("schema") or {}).get("openAPIV3Schema")
        out.append(
            ResourceType(
                group=spec.get("group", ""),
                version=ver.get("name", ""),
                plural=names.get("plural", ""),
                kind=names.get("kind", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                has_status="status" in subresources,
                tracks_generation=True,
                builtin=False,
                categories=tuple(names.get("categories") or ()),
                schema=schema,
                returns_deleted=True,
            )
        )
    return out
