"""What every controller shares: the context it runs in, its queue, conditions and Events.

A controller declares the informers it needs and reconciles one key ``(namespace, name)`` at a
time. A reconcile raises ``SecretsOpsError`` to be retried with backoff when the error is
temporary (``exc.temporary``); a permanent failure is written to the object's status by the
controller itself and not retried until the object changes. ``Result.requeue_after`` asks for
the key again later (ExternalSecret refreshes).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from secretsops.controllers.events import EventRecorder
from secretsops.controllers.informer import Informer, Key
from secretsops.controllers.queue import WorkQueue
from secretsops.controllers.statuswriter import StatusWriter, unchanged
from secretsops.errors import KubeError
from secretsops.kube.client import KubeClient
from secretsops.manifests import Obj

log = logging.getLogger("secretsops.controllers")

FIELD_MANAGER = "secretsops-controller"


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Result:
    requeue_after: float | None = None
    #: False when the object failed permanently (status written; counted by ``--once``)
    ok: bool = True


@dataclass
class ControllerContext:
    """Injected by the manager: the (fenced) gateway, settings, metrics, the edge's environment."""

    kube: KubeClient
    settings: Any  # secretsops.controllers.manager.ControllerSettings
    metrics: Any  # secretsops.controllers.metrics.ControllerMetrics
    env: Mapping[str, str] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    events: EventRecorder = field(init=False)
    statuses: StatusWriter = field(init=False)

    def informer(self, api_version: str, kind: str, namespace: str = "", **kw: Any) -> Informer:
        return Informer(self.kube, api_version, kind, namespace, **kw)

    def namespaces(self) -> list[str]:
        """Namespaces to watch: the list given, or [""] (all)."""
        return list(self.settings.watch_namespaces) or [""]

    def __post_init__(self) -> None:
        self.events = EventRecorder(lambda: self.kube, self.metrics)
        self.statuses = StatusWriter(lambda: self.kube)

    def event(self, obj: Obj, reason: str, message: str, *, warning: bool = False) -> None:
        """A core/v1 Event about ``obj``, queued: written by the recorder's thread (best effort)."""
        self.events.record(obj, reason, message, warning=warning)


class Controller(ABC):
    """One kind of object turned into Secrets."""

    name: ClassVar[str]

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.queue = WorkQueue()
        self.primaries: list[Informer] = []
        self.informers: list[Informer] = []

    @abstractmethod
    def setup(self) -> None:
        """Create ``self.primaries`` (objects reconciled) and ``self.informers`` (all watched)."""

    @abstractmethod
    def reconcile(self, key: Key) -> Result:
        """Bring the Secret of one object in line with it; raise to retry with backoff."""

    def cached(self, key: Key) -> Obj | None:
        for inf in self.primaries:
            found = inf.get(key)
            if found is not None:
                return found
        return None

    def enqueue_event(self, kind: str, obj: Obj) -> None:
        del kind
        meta = obj.get("metadata") or {}
        self.queue.add((str(meta.get("namespace") or ""), str(meta.get("name") or "")))

    def write_status(
        self, obj: Obj, api_version: str, kind: str, new: dict[str, Any], *, deferred: bool = False
    ) -> None:
        """Patch the status fields in ``new`` when they changed; a failed write is logged, not raised
        (the object is reconciled again and the status written then). ``deferred``: hand it to the
        status writer (``statuswriter``) and go on; for controllers that never read their own status
        back to decide what to do next."""
        if deferred:
            self.ctx.statuses.submit(obj, api_version, kind, new)
            return
        if unchanged(obj, new):
            return
        old = dict(obj.get("status") or {})
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name"))
        try:
            patched = self.ctx.kube.patch_status(api_version, kind, ns, name, new)
        except KubeError as exc:
            log.warning("status update failed", extra={"reason": str(exc)})
            return
        if patched is not None:
            obj["status"] = patched.get("status") or {**old, **new}

    def keys(self) -> list[Key]:
        out: list[Key] = []
        for inf in self.primaries:
            out.extend(inf.cache)
        return out


def same_secret(live: Obj, new: Obj) -> bool:
    """True when writing ``new`` would change nothing a controller owns in the live Secret."""
    lm, nm = live.get("metadata") or {}, new.get("metadata") or {}
    return (
        live.get("data") == new.get("data")
        and live.get("type") == new.get("type")
        and all(lm.get(k) == nm.get(k) for k in ("labels", "annotations", "ownerReferences"))
    )


def condition(conditions: list[dict[str, Any]], type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions if c.get("type") == type_), None)


def set_condition(
    conditions: list[dict[str, Any]],
    type_: str,
    status: str,
    reason: str,
    message: str,
    *,
    update_time_field: str = "",
) -> list[dict[str, Any]]:
    """The list with ``type_`` set; ``lastTransitionTime`` moves only when the status changes."""
    old = condition(conditions, type_)
    stamp = now_rfc3339()
    new: dict[str, Any] = {"type": type_, "status": status}
    if reason:
        new["reason"] = reason
    new["message"] = message
    new["lastTransitionTime"] = (
        old.get("lastTransitionTime", stamp) if old and old.get("status") == status else stamp
    )
    if update_time_field:
        same = old is not None and all(old.get(k) == new.get(k) for k in ("status", "reason", "message"))
        new[update_time_field] = old.get(update_time_field, stamp) if same and old else stamp
    return [c for c in conditions if c.get("type") != type_] + [new]
