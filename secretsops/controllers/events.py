"""Events about our objects, written off the reconcile path and correlated as client-go's recorder does.

A reconcile hands an Event over (``record``) and goes on: one sender thread writes Events, and while
the workers have objects waiting or objects are still arriving (``busy``) it waits for them (at most
``max_delay`` seconds per Event), so a burst of objects is not slowed down by an Event per object
(before, every SealedSecret cost a blocking Event POST after its Secret). What reaches the API
server follows client-go's ``EventCorrelator`` defaults:

* **dedup**: the same Event (object, type, reason, message) again within the LRU of 4,096 is a PATCH
  of the existing Event's ``count`` and ``lastTimestamp``, not a new object;
* **aggregation**: more than 10 Events of one object, type and reason with different messages within
  10 minutes become one Event "(combined from similar events): <latest message>";
* **spam filter**: per object a token bucket of 25 Events, refilled one per 5 minutes;
* **bounded queue**: at most 1,000 Events wait (client-go's broadcaster queue); more are dropped
  and counted (``secretsops_controller_events_dropped_total``), never blocking a worker.

Events are best effort, as in Kubernetes: one that cannot be written is logged at debug and dropped.
``flush`` waits for the queue to drain (``--once`` exits only after its Events are written).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secretsops.errors import SecretsOpsError
from secretsops.kube.client import KubeClient
from secretsops.manifests import Obj

log = logging.getLogger("secretsops.controllers.events")

COMPONENT = "secretsops-controller"
LRU_SIZE = 4096
AGGREGATE_PREFIX = "(combined from similar events): "


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Pending:
    involved: dict[str, Any]
    namespace: str
    type: str
    reason: str
    message: str
    since: float


@dataclass
class _Written:
    """An Event already in the API server: its name and how often it was seen."""

    namespace: str
    name: str
    count: int


@dataclass
class _Similar:
    """Distinct messages of one object, type and reason within the aggregation window."""

    since: float
    messages: set[str] = field(default_factory=set)


@dataclass
class EventRecorder:
    #: the gateway at send time (the manager swaps in a fenced one when it leads)
    client: Callable[[], KubeClient]
    metrics: Any = None  # secretsops.controllers.metrics.ControllerMetrics
    component: str = COMPONENT
    capacity: int = 1000
    burst: int = 25
    refill_seconds: float = 300.0
    aggregate_after: int = 10
    window: float = 600.0
    clock: Callable[[], float] = time.monotonic
    #: True while the workers have objects waiting: Events then wait (up to ``max_delay`` seconds)
    busy: Callable[[], bool] = lambda: False
    max_delay: float = 60.0
    written: int = 0
    _urgent: bool = False
    _queue: deque[_Pending] = field(default_factory=deque)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _busy: bool = False
    _closed: bool = False
    _thread: threading.Thread | None = None
    _sent: OrderedDict[tuple[Any, ...], _Written] = field(default_factory=OrderedDict)
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)
    _similar: OrderedDict[tuple[Any, ...], _Similar] = field(default_factory=OrderedDict)

    # --- the reconcile side ----------------------------------------------------------------------
    def record(self, obj: Obj, reason: str, message: str, *, warning: bool = False) -> None:
        """Queue an Event about ``obj``; returns at once (dropped and counted when the queue is full)."""
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "default")
        involved = {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta.get("name"),
            "namespace": ns,
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        pending = _Pending(
            involved, ns, "Warning" if warning else "Normal", reason, message[:1024], self.clock()
        )
        with self._cond:
            if self._closed or len(self._queue) >= self.capacity:
                self._dropped("stopped" if self._closed else "queue-full")
                return
            self._queue.append(pending)
            self._cond.notify_all()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued Event was written (or dropped); False after ``timeout``."""
        if self._thread is None:
            self._drain()
            return True
        deadline = time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            try:
                while self._queue or self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            finally:
                self._urgent = False
        return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- the sender side -------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                wait = self._queue[0].since + self.max_delay - self.clock()
                if wait > 0 and not (self._urgent or self._closed) and self.busy():
                    self._cond.wait(min(wait, 0.05))
                    continue
                pending = self._queue.popleft()
                self._busy = True
            try:
                self._send(pending)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _drain(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    return
                pending = self._queue.popleft()
            self._send(pending)

    def _dropped(self, why: str) -> None:
        if self.metrics is not None:
            self.metrics.events_dropped.labels(why).inc()

    def _allowed(self, object_key: str) -> bool:
        """client-go's spam filter: a token bucket per object (``burst``, one token per ``refill``)."""
        now = self.clock()
        tokens, last = self._buckets.pop(object_key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) / self.refill_seconds)
        allowed = tokens >= 1.0
        self._buckets[object_key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > LRU_SIZE:
            self._buckets.popitem(last=False)
        return allowed

    def _aggregate(self, p: _Pending, object_key: str) -> tuple[str, str]:
        """(dedup key part, message): after ``aggregate_after`` distinct messages, one combined Event."""
        group = (object_key, p.type, p.reason)
        now = self.clock()
        similar = self._similar.pop(group, None)
        if similar is None or now - similar.since > self.window:
            similar = _Similar(now)
        similar.messages.add(p.message)
        self._similar[group] = similar
        while len(self._similar) > LRU_SIZE:
            self._similar.popitem(last=False)
        if len(similar.messages) > self.aggregate_after:
            return "(combined)", AGGREGATE_PREFIX + p.message
        return p.message, p.message

    def _send(self, p: _Pending) -> None:
        inv = p.involved
        object_key = f"{inv.get('kind')}/{p.namespace}/{inv.get('name')}/{inv.get('uid')}"
        dedup_part, message = self._aggregate(p, object_key)
        key = (object_key, p.type, p.reason, dedup_part)
        previous = self._sent.pop(key, None)
        if not self._allowed(object_key):
            if previous is not None:
                self._sent[key] = previous
            self._dropped("spam-filter")
            return
        kube = self.client()
        stamp = _stamp()
        try:
            written = None
            if previous is not None:
                previous.count += 1
                patched = kube.patch_merge(
                    "v1",
                    "Event",
                    previous.namespace,
                    previous.name,
                    {"count": previous.count, "lastTimestamp": stamp, "message": message},
                )
                written = previous if patched is not None else None  # None: the Event expired (TTL)
            if written is None:
                created = kube.create(
                    {
                        "apiVersion": "v1",
                        "kind": "Event",
                        "metadata": {"generateName": f"{inv.get('name')}.", "namespace": p.namespace},
                        "involvedObject": inv,
                        "reason": p.reason,
                        "message": message,
                        "type": p.type,
                        "source": {"component": self.component},
                        "reportingComponent": self.component,
                        "firstTimestamp": stamp,
                        "lastTimestamp": stamp,
                        "count": 1,
                    }
                )
                name = str((created.get("metadata") or {}).get("name") or "")
                written = _Written(p.namespace, name, 1)
        except SecretsOpsError as exc:
            self._dropped("write-failed")
            log.debug("event dropped", extra={"reason": str(exc)})
            return
        self.written += 1
        self._sent[key] = written
        while len(self._sent) > LRU_SIZE:
            self._sent.popitem(last=False)
