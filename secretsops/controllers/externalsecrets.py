"""ExternalSecret (``external-secrets.io`` v1 and v1beta1) → Secret, as ESO does it.

Per object: resolve when due (``refreshPolicy`` Periodic / OnChange / CreatedOnce, the
``refreshInterval``, a changed generation, labels or annotations — so setting the
``force-sync`` annotation to a new value refreshes at once, as in ESO), write the Secret per
``creationPolicy`` (Owner: owned with ``controller: true``; Orphan: not owned; Merge: into an
existing Secret only; None: nothing) and ``deletionPolicy`` when the provider has no data
(Delete / Retain / Merge), then record ``Ready`` (``SecretSynced`` / ``SecretSyncedError``),
``refreshTime``, ``syncedResourceVersion`` (``<generation>-<hash of labels and annotations>``)
and ``binding``. The next refresh is a delayed requeue of the key, never a poll.

A Secret we write that someone edits, strips of the ``managed`` label or deletes is refreshed at
once, as in ESO: a metadata-only watch of Secrets labelled ``managed`` enqueues the ExternalSecrets
that target it (echoes of our own writes are told apart by ``owned.OwnedWrites``), and the
reconcile refreshes when the Secret is invalid by ESO's rule (data-hash annotation not matching the
data, label missing). Events as ESO's: ``Created``, ``Updated``, ``Deleted`` (Normal),
``UpdateFailed`` (Warning).

Trust: stores and their auth Secrets are read only from the API server (never from anything
an ExternalSecret carries), ClusterSecretStore ``conditions`` are matched against namespace
names and the live namespace labels, and a template that would make a ServiceAccount token or
bootstrap token Secret is refused. Each reconcile reads each remote key once (the provider
answers are kept for that reconcile only; logins and connections are kept across reconciles).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from datetime import UTC, datetime
from typing import Any, ClassVar

from secretsops.controllers.base import (
    Controller,
    ControllerContext,
    Result,
    now_rfc3339,
    same_secret,
    set_condition,
)
from secretsops.controllers.informer import Key
from secretsops.controllers.owned import OwnedWrites
from secretsops.decryptors.guard import guard_objects
from secretsops.errors import ExternalError, KubeConflict, SecretsOpsError
from secretsops.external import privileged
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.refresh import refresh_interval
from secretsops.external.resolve import (
    ANNOTATION_DATA_HASH,
    LABEL_MANAGED,
    LABEL_MANAGED_VALUE,
    LABEL_OWNER,
    ExternalCache,
    Resolver,
    object_hash_of_data,
    owner_label,
)
from secretsops.external.resources import GROUP, ExternalSecret
from secretsops.manifests import Obj

KIND = "ExternalSecret"
VERSIONS = ("v1", "v1beta1")


def resource_version(obj: Obj) -> str:
    """ESO's ``getResourceVersion``: generation plus a hash of labels and annotations."""
    meta = obj.get("metadata") or {}
    blob = repr((sorted((meta.get("annotations") or {}).items()), sorted((meta.get("labels") or {}).items())))
    return f"{meta.get('generation') or 0}-{hashlib.md5(blob.encode(), usedforsecurity=False).hexdigest()}"


def _parse_time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


class ExternalSecretsController(Controller):
    name: ClassVar[str] = "externalsecrets"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api_version = f"{GROUP}/v1"
        #: logins and connections, kept across reconciles (never provider answers)
        self.cache = ExternalCache()
        self.seen: dict[Key, str] = {}
        self.owned = OwnedWrites()
        #: (namespace, target Secret name) -> the ExternalSecrets writing it (ESO's target-name index)
        self.targets: dict[Key, set[Key]] = {}
        self._target_of: dict[Key, Key] = {}
        self._targets_lock = threading.Lock()

    def setup(self) -> None:
        served = self.ctx.kube.served_version(GROUP, VERSIONS, KIND)
        self.api_version = served or self.api_version
        self.primaries = [
            self.ctx.informer(self.api_version, KIND, ns, handlers=[self._on_event])
            for ns in self.ctx.namespaces()
        ]
        self.informers = list(self.primaries)
        if not self.ctx.settings.once:
            self.informers += [
                self.ctx.informer(
                    "v1",
                    "Secret",
                    ns,
                    keep=False,
                    metadata_only=True,
                    label_selector=f"{LABEL_MANAGED}={LABEL_MANAGED_VALUE}",
                    handlers=[self._on_secret],
                )
                for ns in self.ctx.namespaces()
            ]

    def _on_event(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        self._index(key, None if kind == "DELETED" else _target_name(obj))
        if kind == "DELETED":
            self.seen.pop(key, None)
            return
        if kind == "MODIFIED" and self.seen.get(key) == resource_version(obj):
            return  # our own status update: the refresh timer is already set
        self.queue.add(key)

    def _index(self, key: Key, target: str | None) -> None:
        with self._targets_lock:
            old = self._target_of.pop(key, None)
            if old is not None:
                owners = self.targets.get(old, set())
                owners.discard(key)
                if not owners:
                    self.targets.pop(old, None)
            if target is not None:
                where = (key[0], target)
                self._target_of[key] = where
                self.targets.setdefault(where, set()).add(key)

    def _on_secret(self, kind: str, obj: Obj) -> None:
        """A Secret we manage (label ``managed``) was deleted or changed by someone else, or lost the
        label: refresh the ExternalSecrets that write it now, as ESO does, not at the next interval."""
        if not self.owned.foreign(kind, obj):
            return
        meta = obj.get("metadata") or {}
        where = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        with self._targets_lock:
            owners = list(self.targets.get(where, ()))
        for key in owners:
            self.seen.pop(key, None)
            self.queue.add(key)

    # --- when ------------------------------------------------------------------------------------
    def _due(self, obj: Obj, live: Obj | None) -> tuple[bool, float | None]:
        """(refresh now?, seconds until the next refresh) — ESO's shouldRefresh per refreshPolicy."""
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        policy = spec.get("refreshPolicy") or "Periodic"
        synced = str(status.get("syncedResourceVersion") or "")
        changed = synced != resource_version(obj)
        creation = ((spec.get("target") or {}).get("creationPolicy")) or "Owner"
        missing = live is None and creation in ("Owner", "Orphan")
        # ESO's isSecretValid: a Secret edited by someone (data no longer matching its data-hash
        # annotation) or stripped of the managed label is refreshed now, whatever the policy
        missing = missing or (live is not None and creation != "None" and not secret_valid(live))
        if policy == "CreatedOnce":
            return (not synced or missing, None)
        if policy == "OnChange":
            return (changed or missing, None)
        interval = refresh_interval(obj)
        if changed or missing:
            return True, interval.total_seconds() if interval else None
        if interval is None:
            return False, None
        last = _parse_time(status.get("refreshTime"))
        if last is None:
            return True, interval.total_seconds()
        left = (last + interval - datetime.now(UTC)).total_seconds()
        return (left <= 0, interval.total_seconds() if left <= 0 else left)

    # --- reconcile -------------------------------------------------------------------------------
    def reconcile(self, key: Key) -> Result:
        obj = self.cached(key)
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            return Result()
        ns, name = key
        metrics = self.ctx.metrics
        try:
            es = ExternalSecret.parse(obj)
        except SecretsOpsError as exc:
            return self._failed(obj, "could not read ExternalSecret", exc)
        live = self.ctx.kube.get("v1", "Secret", ns, es.target.name)
        due, next_in = self._due(obj, live)
        if not due:
            self.seen[key] = resource_version(obj)
            return Result(requeue_after=next_in)
        metrics.es_sync_calls.labels(name, ns).inc()
        started = now_rfc3339()
        try:
            self._sync(obj, es, live)
        except KubeConflict:
            raise  # the Secret changed under us: read again (retried with backoff)
        except SecretsOpsError as exc:
            if exc.temporary:
                self._mark(obj, "False", "SecretSyncedError", _summary(exc), started=None)
                metrics.es_sync_errors.labels(name, ns).inc()
                raise
            return self._failed(obj, "could not sync Secret", exc)
        self.seen[key] = resource_version(obj)
        self._mark(obj, "True", "SecretSynced", "Secret was synced", started=started)
        _, next_in = self._due(obj, {})  # just written: only the refresh timer is left
        return Result(requeue_after=next_in)

    def _failed(self, obj: Obj, what: str, exc: SecretsOpsError) -> Result:
        meta = obj.get("metadata") or {}
        self.ctx.metrics.es_sync_errors.labels(str(meta.get("name")), str(meta.get("namespace"))).inc()
        self.seen[(str(meta.get("namespace")), str(meta.get("name")))] = resource_version(obj)
        self._mark(obj, "False", "SecretSyncedError", f"{what}: {_summary(exc)}", started=None)
        self.ctx.event(obj, "UpdateFailed", f"{what}: {_summary(exc)}", warning=True)
        return Result(ok=False)

    def _resolver(self) -> Resolver:
        settings = ProviderSettings(env=dict(self.ctx.env))
        cache = ExternalCache(connections=self.cache.connections)
        lookup = ObjectLookup([], self.ctx.kube)  # stores and auth Secrets: the API server only
        return Resolver(lookup, settings, cache, self._count)

    def _count(self, what: str, n: int = 1) -> None:
        self.ctx.metrics.provider_calls.labels(self.name, what).inc(n)

    def _sync(self, obj: Obj, es: ExternalSecret, live: Obj | None) -> None:
        resolver = self._resolver()
        target = es.target
        privileged.check_template(target.template)  # ESO's webhook rule, before any fetch
        data, _skipped = resolver.provider_data(es)
        if target.creation_policy == "None":
            return
        if not data and target.deletion_policy == "Delete":
            if target.creation_policy != "Owner":
                raise ExternalError(
                    f"invalid creationPolicy={target.creation_policy}. Can not delete secret i do not own"
                )
            if live is not None and _owned_by(live, obj):
                self.ctx.kube.delete("v1", "Secret", es.namespace, target.name)
                self.owned.forget((es.namespace, target.name))
                self.ctx.event(obj, "Deleted", "secret deleted due to DeletionPolicy=Delete")
            return
        if not data and target.deletion_policy == "Retain":
            return
        produced = resolver.resolve_parsed(es)
        if not produced:
            return
        desired = produced[0]
        guard_objects([desired], f"ExternalSecret {es.namespace}/{es.name}")
        privileged.check_secret(desired)
        self._write(obj, es, live, desired)

    def _write(self, obj: Obj, es: ExternalSecret, live: Obj | None, desired: Obj) -> None:
        kube = self.ctx.kube
        policy = es.target.creation_policy
        if live is None:
            if policy == "Merge":
                raise ExternalError(
                    f"the desired secret {es.target.name} was not found. "
                    "With creationPolicy=Merge the secret won't be created"
                )
            self.owned.wrote(kube.create(desired))
            self.ctx.event(obj, "Created", "secret created")
            return
        if policy in ("Owner", "Orphan"):
            other = _foreign_controller(live, obj)
            if other:
                raise ExternalError(
                    f"Secret {es.namespace}/{es.target.name} is already controlled by {other}"
                )
        dmeta = desired.get("metadata") or {}
        meta = dict(live.get("metadata") or {})
        meta["labels"] = {**(meta.get("labels") or {}), **(dmeta.get("labels") or {})}
        meta["annotations"] = {**(meta.get("annotations") or {}), **(dmeta.get("annotations") or {})}
        out = dict(live)
        if policy == "Merge":
            out["data"] = {**(live.get("data") or {}), **(desired.get("data") or {})}
            meta["labels"].pop(LABEL_OWNER, None)
            meta["annotations"][ANNOTATION_DATA_HASH] = object_hash_of_data(_decoded(out["data"]))
        else:
            out["data"] = desired.get("data") or {}
            out["type"] = desired.get("type") or live.get("type")
            if policy == "Owner" and dmeta.get("ownerReferences"):
                others = [r for r in meta.get("ownerReferences") or [] if not r.get("controller")]
                meta["ownerReferences"] = others + list(dmeta["ownerReferences"])
            if policy == "Orphan":
                meta["labels"].pop(LABEL_OWNER, None)
        out["metadata"] = meta
        if desired.get("immutable"):
            out["immutable"] = True
        if not same_secret(live, out):
            self.owned.wrote(kube.replace(out))
            self.ctx.event(obj, "Updated", "secret updated")

    def _mark(self, obj: Obj, status: str, reason: str, message: str, *, started: str | None) -> None:
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace")), str(meta.get("name"))
        old = dict(obj.get("status") or {})
        conditions = set_condition(list(old.get("conditions") or []), "Ready", status, reason, message)
        new: dict[str, Any] = {"conditions": conditions}
        if started is not None:
            new["refreshTime"] = started
            new["syncedResourceVersion"] = resource_version(obj)
            target = ((obj.get("spec") or {}).get("target") or {}).get("name") or name
            new["binding"] = {"name": target}
        for cond_status in ("True", "False"):
            self.ctx.metrics.es_condition.labels(name, ns, "Ready", cond_status.lower()).set(
                1.0 if cond_status == status else 0.0
            )
        self.write_status(obj, self.api_version, KIND, new)


def _target_name(obj: Obj) -> str:
    target = ((obj.get("spec") or {}).get("target") or {}).get("name")
    return str(target or (obj.get("metadata") or {}).get("name") or "")


def _decoded(data: Any) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for k, v in (data or {}).items():
        try:
            out[str(k)] = base64.b64decode(str(v or ""), validate=True)
        except (binascii.Error, ValueError):
            out[str(k)] = b""  # not base64: cannot match any hash, so the Secret counts as edited
    return out


def secret_valid(secret: Obj) -> bool:
    """ESO's ``isSecretValid``: the managed label is set and the data-hash annotation matches the data."""
    meta = secret.get("metadata") or {}
    if (meta.get("labels") or {}).get(LABEL_MANAGED) != LABEL_MANAGED_VALUE:
        return False
    expected = (meta.get("annotations") or {}).get(ANNOTATION_DATA_HASH)
    return expected == object_hash_of_data(_decoded(secret.get("data")))


def _summary(exc: SecretsOpsError) -> str:
    return str(exc)[:1000]


def _owned_by(secret: Obj, owner: Obj) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    refs = (secret.get("metadata") or {}).get("ownerReferences") or []
    labels = (secret.get("metadata") or {}).get("labels") or {}
    meta = owner.get("metadata") or {}
    return any(r.get("uid") == uid for r in refs) or labels.get(LABEL_OWNER) == owner_label(
        str(meta.get("namespace")), str(meta.get("name"))
    )


def _foreign_controller(secret: Obj, owner: Obj) -> str:
    """The controller owning ``secret`` when it is not ``owner`` (ESO refuses to take it over)."""
    uid = (owner.get("metadata") or {}).get("uid")
    for ref in (secret.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("uid") != uid:
            return f"{ref.get('kind')} {ref.get('name')}"
    return ""
