"""Server-side apply of a source's desired objects, and pruning of what left git.

Objects are prepared the way the API server would store them so that what we compare and
apply is canonical: a Secret's ``stringData`` is folded into ``data`` (so a key removed from
git is removed from the cluster: SSA drops fields our manager no longer sends) and ``data``
values are re-encoded as canonical base64. Namespaces and CRDs go first, then everything
else; pruning runs in reverse order, namespaces last.
"""

from __future__ import annotations

import base64
import binascii
import copy
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from secretsops.engine.inventory import Entry
from secretsops.errors import RenderError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, ObjectId, SourcedObject

#: label/annotation values that protect a live object from pruning
PRUNE_DISABLED = {
    "secretsops.io/prune": "disabled",
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
}
FIRST_KINDS = ("Namespace", "CustomResourceDefinition")
CRD_API = "apiextensions.k8s.io/v1"
#: how long a pass waits for the CRDs it applied to be served (kube-apiserver takes a moment)
CRD_ESTABLISH_TIMEOUT = 30.0
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "APIService",
    }
)


def prepare(item: SourcedObject, target_namespace: str = "") -> Obj:
    """A copy of the object as it will be applied (stringData folded, namespace defaulted)."""
    obj = copy.deepcopy(item.obj)
    meta = obj.setdefault("metadata", {})
    if target_namespace and obj.get("kind") not in CLUSTER_SCOPED_KINDS:
        meta["namespace"] = target_namespace
    for noisy in ("creationTimestamp", "resourceVersion", "uid", "managedFields", "generation"):
        meta.pop(noisy, None)
    if obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1":
        _fold_secret(obj, item.where)
    return obj


def _fold_secret(obj: Obj, where: str) -> None:
    data: dict[str, str] = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            raw = base64.b64decode(str(value or "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            raise RenderError(f"{where}: Secret data key {key!r} is not valid base64") from None
        data[str(key)] = base64.b64encode(raw).decode("ascii")
    for key, value in (obj.pop("stringData", None) or {}).items():
        data[str(key)] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")
    obj["data"] = data


def apply_order(objs: list[Obj]) -> list[Obj]:
    """Namespaces, then CRDs, then the rest in declared order (stable)."""

    def rank(o: Obj) -> int:
        kind = o.get("kind")
        return FIRST_KINDS.index(kind) if kind in FIRST_KINDS else len(FIRST_KINDS)

    return sorted(objs, key=rank)


def prune_protected(live: Obj) -> bool:
    meta = live.get("metadata") or {}
    marks = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
    return any(marks.get(k) == v for k, v in PRUNE_DISABLED.items())


@dataclass
class ApplyResult:
    applied: list[ObjectId] = field(default_factory=list)
    pruned: list[ObjectId] = field(default_factory=list)
    kept: list[ObjectId] = field(default_factory=list)  # prune opted out
    live: dict[ObjectId, Obj] = field(default_factory=dict)


def wait_established(kube: KubeClient, names: list[str], timeout: float = CRD_ESTABLISH_TIMEOUT) -> None:
    """Wait until each CRD reports ``Established`` (the API server serves its kinds), as Flux waits
    for the CRDs of a pass; after ``timeout`` the pass goes on and a kind still not served fails
    it with a clear error."""
    pending = set(names)
    deadline = time.monotonic() + timeout
    while pending:
        for name in sorted(pending):
            live = kube.get(CRD_API, "CustomResourceDefinition", "", name) or {}
            conditions = (live.get("status") or {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                pending.discard(name)
        if not pending or time.monotonic() >= deadline:
            return
        time.sleep(0.1)


def apply_all(
    kube: KubeClient, objs: list[Obj], result: ApplyResult, *, dry_run: bool = False, workers: int = 8
) -> None:
    """Namespaces and CRDs first, one by one; then the rest concurrently (they are independent).

    After CRDs, discovery is refreshed so their kinds resolve in the same pass. The first
    failure is raised once every started request has finished.
    """
    ordered = apply_order(objs)
    first = [o for o in ordered if o.get("kind") in FIRST_KINDS]
    rest = [o for o in ordered if o.get("kind") not in FIRST_KINDS]
    for obj in first:
        _apply_one(kube, obj, result, dry_run)
    crds = [o for o in first if o.get("kind") == "CustomResourceDefinition"]
    if crds:
        if not dry_run:
            wait_established(kube, [str((o.get("metadata") or {}).get("name")) for o in crds])
        kube.forget_discovery()
    if workers <= 1 or len(rest) < 2:
        for obj in rest:
            _apply_one(kube, obj, result, dry_run)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        futures = [pool.submit(kube.apply, obj, dry_run=dry_run) for obj in rest]
        errors: list[BaseException] = []
        for obj, fut in zip(rest, futures, strict=True):
            exc = fut.exception()
            if exc is not None:
                errors.append(exc)
                continue
            oid = ObjectId.of(obj)
            result.applied.append(oid)
            result.live[oid] = fut.result()
    if errors:
        raise errors[0]


def _apply_one(kube: KubeClient, obj: Obj, result: ApplyResult, dry_run: bool) -> None:
    live = kube.apply(obj, dry_run=dry_run)
    oid = ObjectId.of(obj)
    result.applied.append(oid)
    result.live[oid] = live


def prune(kube: KubeClient, stale: list[Entry], result: ApplyResult, *, dry_run: bool = False) -> None:
    """Delete inventory entries no longer declared, unless the live object opted out."""
    ordered = sorted(
        stale,
        key=lambda e: (e.kind in FIRST_KINDS, FIRST_KINDS.index(e.kind) if e.kind in FIRST_KINDS else 0),
    )
    for entry in ordered:
        live = kube.get(entry.api_version, entry.kind, entry.namespace, entry.name)
        if live is None:
            continue
        if prune_protected(live):
            result.kept.append(entry.id)
            continue
        if not dry_run:
            kube.delete(entry.api_version, entry.kind, entry.namespace, entry.name)
        result.pruned.append(entry.id)
