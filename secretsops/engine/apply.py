"""Server-side apply of a source's desired objects, validated whole first; pruning of what left git.

Objects are prepared the way the API server would store them so that what we compare and
apply is canonical: a Secret's ``stringData`` is folded into ``data`` (so a key removed from
git is removed from the cluster: SSA drops fields our manager no longer sends) and ``data``
values are re-encoded as canonical base64.

A pass is all or nothing (issue 11 row 8): before anything is written, every object the pass
would write is sent to the API server as a server-side dry run (``dryRun=All``, the same apply
as field manager ``secretsops``), so the API server's validation, admission webhooks and
policies and quotas judge the whole pass; only when every object passes is anything applied.
Some dry runs need other objects to exist first, so the pass is staged as Flux's
kustomize-controller stages it: cluster definitions (Namespaces, CRDs, ClusterRoles) and then
classes (``*Class`` kinds) are applied for real before the objects that use them are dry-run.
They are validated first as well, and so is everything that does not need one of them; only
objects in a Namespace this pass creates, custom resources of a CRD this pass writes, and
bindings to a ClusterRole this pass creates are dry-run after their prerequisites are written.
A failure then leaves at most those prerequisites behind (named in the error), never a workload,
a Secret or a ConfigMap. Pruning runs only after a successful apply, in reverse order,
Namespaces last.

Objects exactly as the last pass left them (same keyed digest of the desired object, no drift in
the live copy) are neither dry-run nor written again: a pass writes only what changed.
"""

from __future__ import annotations

import base64
import binascii
import copy
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from secretsops.engine.drift import Fingerprinter, ObjectPrint
from secretsops.engine.inventory import Entry
from secretsops.errors import KubeError, KubeForbidden, KubeRejected, RenderError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, ObjectId, SourcedObject

#: label/annotation values that protect a live object from pruning
PRUNE_DISABLED = {
    "secretsops.io/prune": "disabled",
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
}
#: Flux's first stage ("cluster definitions"), in the order they are applied
DEFINITIONS = (
    ("", "Namespace"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
)
#: apply order: the definitions, then classes (Flux's second stage), then everything else
CLASS_STAGE = len(DEFINITIONS)
REST_STAGE = CLASS_STAGE + 1
#: at most this many rejected objects are named in a pass's error (the status ConfigMap is small)
MAX_NAMED = 10
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


def stage(obj: Obj) -> int:
    """0..2: the definitions (Namespace, CRD, ClusterRole); 3: a ``*Class`` kind; 4: the rest."""
    key = (ObjectId.of(obj).group, str(obj.get("kind") or ""))
    if key in DEFINITIONS:
        return DEFINITIONS.index(key)
    return CLASS_STAGE if key[1].endswith("Class") else REST_STAGE


def apply_order(objs: list[Obj]) -> list[Obj]:
    """Namespaces, CRDs, ClusterRoles, classes, then the rest in declared order (stable)."""
    return sorted(objs, key=stage)


def prune_protected(live: Obj) -> bool:
    meta = live.get("metadata") or {}
    marks = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
    return any(marks.get(k) == v for k, v in PRUNE_DISABLED.items())


@dataclass
class ApplyResult:
    #: every object now as declared: written this pass, or ``unchanged``
    applied: list[ObjectId] = field(default_factory=list)
    pruned: list[ObjectId] = field(default_factory=list)
    kept: list[ObjectId] = field(default_factory=list)  # prune opted out
    live: dict[ObjectId, Obj] = field(default_factory=dict)
    #: as the last pass left them: neither dry-run nor written
    unchanged: list[ObjectId] = field(default_factory=list)


@dataclass
class LastApplied:
    """Keyed digests of the objects a source's last passes applied, so that the next full pass
    dry-runs and writes only what changed.

    Digests are HMACs with the drift fingerprinter's per-process key: nothing kept here reveals
    a value, and a restarted engine (new key) validates and writes everything once.
    """

    digests: dict[ObjectId, str | None] = field(default_factory=dict)

    def in_sync(
        self,
        desired: list[Obj],
        fingerprinter: Fingerprinter,
        prints: Mapping[ObjectId, ObjectPrint],
        live: Mapping[ObjectId, Obj | None],
    ) -> dict[ObjectId, Obj]:
        """The desired objects declared exactly as last applied whose live copy has not drifted,
        with that live copy (what health and the next fingerprints read)."""
        out: dict[ObjectId, Obj] = {}
        for obj in desired:
            oid = ObjectId.of(obj)
            seen, expected = live.get(oid), prints.get(oid)
            if seen is None or expected is None or oid not in self.digests:
                continue
            if (
                self.digests[oid] == fingerprinter.digest(obj)
                and fingerprinter.compare(oid, expected, seen) is None
            ):
                out[oid] = seen
        return out

    def remember(self, applied: list[Obj], fingerprinter: Fingerprinter, *, replace: bool) -> None:
        """After a successful pass: its objects (``replace``: and no others) are as declared."""
        digests = {ObjectId.of(o): fingerprinter.digest(o) for o in applied}
        self.digests = digests if replace else {**self.digests, **digests}


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
    kube: KubeClient,
    objs: list[Obj],
    result: ApplyResult,
    *,
    unchanged: Mapping[ObjectId, Obj] | None = None,
    workers: int = 8,
) -> None:
    """Validate the pass with a server-side dry run, then apply it (see the module docstring).

    ``unchanged`` (object id -> live copy) are in sync already: recorded, not sent. Raises a
    :class:`KubeRejected` naming every rejected object (and any prerequisite already written)
    when a dry run fails, a temporary :class:`KubeError` when the API server could not answer.
    """
    in_sync = dict(unchanged or {})
    todo: list[Obj] = []
    for obj in objs:
        oid = ObjectId.of(obj)
        if oid in in_sync:
            result.applied.append(oid)
            result.unchanged.append(oid)
            result.live[oid] = in_sync[oid]
        else:
            todo.append(obj)
    if not todo:
        return
    todo = apply_order(todo)
    crd_kinds = {_defined_kind(o) for o in todo if stage(o) == 1}
    first = [o for o in todo if stage(o) < REST_STAGE and _kind_of(o) not in crd_kinds]
    answers, failed = _each(kube, first, dry_run=True, workers=workers)
    created = {
        oid for oid, answer in answers.items() if not (answer.get("metadata") or {}).get("resourceVersion")
    }
    first_ids = {ObjectId.of(o) for o in first}
    later_ids = {
        ObjectId.of(o) for o in todo if ObjectId.of(o) not in first_ids and _needs(o, crd_kinds, created)
    }
    now = [o for o in todo if ObjectId.of(o) not in first_ids | later_ids]
    failed += _each(kube, now, dry_run=True, workers=workers)[1]
    if failed:
        raise _rejected(failed, len(todo), [])
    for obj in first:
        _record(result, obj, kube.apply(obj))
    crds = [str((o.get("metadata") or {}).get("name")) for o in first if stage(o) == 1]
    if crds:
        wait_established(kube, crds)
        kube.forget_discovery()
    rest = [o for o in todo if ObjectId.of(o) not in first_ids]
    later = [o for o in rest if ObjectId.of(o) in later_ids]
    failed = _each(kube, later, dry_run=True, workers=workers)[1]
    if failed:
        raise _rejected(failed, len(todo), [ObjectId.of(o) for o in first])
    lives, failed = _each(kube, rest, dry_run=False, workers=workers)
    for obj in rest:
        oid = ObjectId.of(obj)
        if oid in lives:
            _record(result, obj, lives[oid])
    if failed:
        raise failed[0][1]


def _kind_of(obj: Obj) -> tuple[str, str]:
    return ObjectId.of(obj).group, str(obj.get("kind") or "")


def _defined_kind(crd: Obj) -> tuple[str, str]:
    """(group, kind) a CRD serves."""
    spec = crd.get("spec") or {}
    return str(spec.get("group") or ""), str((spec.get("names") or {}).get("kind") or "")


def validate(kube: KubeClient, objs: list[Obj], *, workers: int = 8) -> None:
    """``reconcile --dry-run``: the server-side dry run of :func:`apply_all` with nothing written.

    Added for issue 11 rows 1/2 (impersonation): a tenant source's dry run asks the API server as
    the tenant, so an object outside the tenant's RBAC fails the dry run too. Objects whose dry run
    needs a prerequisite this pass would write (see :func:`apply_all`) cannot be judged yet and
    are skipped, as their prerequisites are never written here.
    """
    todo = apply_order(list(objs))
    crd_kinds = {_defined_kind(o) for o in todo if stage(o) == 1}
    first = [o for o in todo if stage(o) < REST_STAGE and _kind_of(o) not in crd_kinds]
    answers, failed = _each(kube, first, dry_run=True, workers=workers)
    created = {
        oid for oid, answer in answers.items() if not (answer.get("metadata") or {}).get("resourceVersion")
    }
    first_ids = {ObjectId.of(o) for o in first}
    now = [o for o in todo if ObjectId.of(o) not in first_ids and not _needs(o, crd_kinds, created)]
    failed += _each(kube, now, dry_run=True, workers=workers)[1]
    if failed:
        raise _rejected(failed, len(todo), [])


def _needs(obj: Obj, crd_kinds: set[tuple[str, str]], created: set[ObjectId]) -> bool:
    """Whether the object's dry run needs a prerequisite this pass writes: a CRD (its kind), a
    Namespace that does not exist yet (its namespace), a new ClusterRole (a binding's roleRef:
    the API server checks the binder holds what the role grants)."""
    if _kind_of(obj) in crd_kinds:
        return True
    meta = obj.get("metadata") or {}
    if meta.get("namespace") and ObjectId("", "Namespace", "", str(meta["namespace"])) in created:
        return True
    ref = obj.get("roleRef") or {}
    if stage(obj) == REST_STAGE and obj.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
        role = ObjectId("rbac.authorization.k8s.io", "ClusterRole", "", str(ref.get("name") or ""))
        return ref.get("kind") == "ClusterRole" and role in created
    return False


def _record(result: ApplyResult, obj: Obj, live: Obj) -> None:
    oid = ObjectId.of(obj)
    result.applied.append(oid)
    result.live[oid] = live


def _each(
    kube: KubeClient, objs: list[Obj], *, dry_run: bool, workers: int
) -> tuple[dict[ObjectId, Obj], list[tuple[ObjectId, KubeError]]]:
    """Server-side apply of each object (concurrently: they are independent of each other).

    Returns the API server's answers by id and the failures in the objects' order; every
    started request finishes before this returns.
    """
    answers: dict[ObjectId, Obj] = {}
    failed: list[tuple[ObjectId, KubeError]] = []
    if not objs:
        return answers, failed
    if workers <= 1 or len(objs) < 2:
        for obj in objs:
            try:
                answers[ObjectId.of(obj)] = kube.apply(obj, dry_run=dry_run)
            except KubeError as err:
                failed.append((ObjectId.of(obj), err))
        return answers, failed
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        futures = [pool.submit(kube.apply, obj, dry_run=dry_run) for obj in objs]
        for obj, fut in zip(objs, futures, strict=True):
            exc = fut.exception()
            if isinstance(exc, KubeError):
                failed.append((ObjectId.of(obj), exc))
            elif exc is not None:
                raise exc
            else:
                answers[ObjectId.of(obj)] = fut.result()
    return answers, failed


def _rejected(failed: list[tuple[ObjectId, KubeError]], total: int, written: list[ObjectId]) -> KubeError:
    """One error for a pass the dry run refused: every rejected object with the API server's
    status, reason and field names (never its message: it may quote a value)."""
    for _, exc in failed:
        if exc.temporary:
            return exc  # the API server could not judge: the whole pass is tried again
    cls = KubeForbidden if all(isinstance(e, KubeForbidden) for _, e in failed) else KubeRejected
    first = failed[0][1]
    outcome = (
        "only its prerequisites were applied: " + ", ".join(str(w) for w in written[:MAX_NAMED])
        if written
        else "nothing of the pass was applied"
    )
    if len(failed) == 1:
        oid, exc = failed[0]
        message = f"server-side dry run refused it ({exc.message}); {outcome}"
        return cls(message, status=exc.status, reason=exc.reason, fields=exc.fields, object=str(oid))
    named = "; ".join(f"{oid}: {exc.message}" for oid, exc in failed[:MAX_NAMED])
    if len(failed) > MAX_NAMED:
        named += f"; and {len(failed) - MAX_NAMED} more"
    message = f"server-side dry run refused {len(failed)} of {total} objects ({named}); {outcome}"
    return cls(message, status=first.status, reason=first.reason)


def prune(kube: KubeClient, stale: list[Entry], result: ApplyResult, *, dry_run: bool = False) -> None:
    """Delete inventory entries no longer declared, unless the live object opted out.

    The reverse of the apply order: workloads and Secrets first, Namespaces last.
    """
    ordered = sorted(stale, key=lambda e: -stage({"apiVersion": e.api_version, "kind": e.kind}))
    for entry in ordered:
        live = kube.get(entry.api_version, entry.kind, entry.namespace, entry.name)
        if live is None:
            continue
        if prune_protected(live):
            result.kept.append(entry.id)
            continue
        if not dry_run:
            try:
                kube.delete(entry.api_version, entry.kind, entry.namespace, entry.name)
            except KubeForbidden as exc:
                hint = " (deploy/components/prune-namespaces grants it)" if entry.kind == "Namespace" else ""
                raise KubeForbidden(
                    f"{exc.message}: the engine may not delete it{hint}; or mark it "
                    f"secretsops.io/prune: disabled",
                    status=exc.status,
                    reason=exc.reason,
                    object=str(entry.id),
                ) from None
        result.pruned.append(entry.id)
