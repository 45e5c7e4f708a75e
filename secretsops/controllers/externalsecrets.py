"""ExternalSecret (``external-secrets.io`` v1 and v1beta1) → Secret, as ESO does it.

Per object: resolve when due (``refreshPolicy`` Periodic / OnChange / CreatedOnce, the
``refreshInterval``, a changed generation, labels or annotations — so setting the
``force-sync`` annotation to a new value refreshes at once, as in ESO), write the Secret per
``creationPolicy`` (Owner: owned with ``controller: true``; Orphan: not owned; Merge: into an
existing Secret only; None: nothing) and ``deletionPolicy`` when the provider has no data
(Delete / Retain / Merge), then record ``Ready`` (``SecretSynced`` / ``SecretSyncedError``),
``refreshTime``, ``syncedResourceVersion`` (``<generation>-<hash of labels and annotations>``)
and ``binding``. The next refresh is a delayed requeue of the key, never a poll.

Trust: stores and their auth Secrets are read only from the API server (never from anything
an ExternalSecret carries), ClusterSecretStore ``conditions`` are matched against namespace
names and the live namespace labels, and a template that would make a ServiceAccount token or
bootstrap token Secret is refused. Each reconcile reads each remote key once (the provider
answers are kept for that reconcile only; logins and connections are kept across reconciles).
"""

from __future__ import annotations

import hashlib
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
from secretsops.decryptors.guard import guard_objects
from secretsops.errors import ExternalError, KubeConflict, SecretsOpsError
from secretsops.external import privileged
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.refresh import refresh_interval
from secretsops.external.resolve import LABEL_OWNER, ExternalCache, Resolver, owner_label
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
                    label_selector="reconcile.external-secrets.io/managed=true",
                    handlers=[self._on_secret],
                )
                for ns in self.ctx.namespaces()
            ]

    def _on_event(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if kind == "DELETED":
            self.seen.pop(key, None)
            return
        if kind == "MODIFIED" and self.seen.get(key) == resource_version(obj):
            return  # our own status update: the refresh timer is already set
        self.queue.add(key)

    def _on_secret(self, kind: str, obj: Obj) -> None:
        """An owned Secret was deleted (by someone, or a namespace clean-up): write it again."""
        meta = obj.get("metadata") or {}
        for ref in meta.get("ownerReferences") or []:
            if ref.get("kind") == KIND and ref.get("controller"):
                key = (str(meta.get("namespace") or ""), str(ref.get("name") or ""))
                if kind == "DELETED":  # our own writes come back as ADDED/MODIFIED: not a change
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
            kube.create(desired)
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
            kube.replace(out)

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
