"""Lease-based leader election (``coordination.k8s.io/v1``), so one replica of many applies.

The algorithm is client-go's: read the Lease; if another holder's record has not changed for
``leaseDurationSeconds`` (judged on *our* monotonic clock since we last saw it change, so clock
skew between nodes does not matter) or the holder is empty (released), take it with an update
that carries the ``resourceVersion`` we read (optimistic concurrency: of two candidates one gets
409 and stays standby). The leader renews every ``retry_period``; if it cannot renew for
``renew_deadline`` it stops leading at once, before the lease can expire for the others. On a
clean stop the lease is released (holder emptied) so a standby takes over immediately.

The official client's ``kubernetes.leaderelection`` is not used: its ``run`` blocks in callbacks
and cannot be asked "am I leader right now?", which the loop needs before every pass. Elections
have no fencing, so on top of the check before each pass, :class:`FencedKube` refuses writes the
moment leadership is lost, and applies are idempotent server-side applies anyway.
"""

from __future__ import annotations

import logging
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secretsops.errors import ApplyError, KubeConflict, KubeError
from secretsops.kube import KubeClient

log = logging.getLogger("secretsops.engine.leader")

LEASE_NAME = "secretsops-leader"
LEASE_API = "coordination.k8s.io/v1"


def default_identity() -> str:
    """``<hostname>_<random>`` as client-go does (the pod name in-cluster)."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


@dataclass
class LeaseTimings:
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        if not (self.lease_duration > self.renew_deadline > self.retry_period > 0):
            raise ValueError("lease timings need lease_duration > renew_deadline > retry_period > 0")

    @classmethod
    def for_lease(cls, lease_duration: float) -> LeaseTimings:
        """client-go's default ratios (15 s / 10 s / 2 s) scaled to one lease duration."""
        return cls(lease_duration, lease_duration * 2 / 3, lease_duration * 2 / 15)


@dataclass
class LeaderElector:
    """Campaign for one Lease in a thread (``run``); ask ``is_leader()`` before writing."""

    kube: KubeClient  # not fenced: campaigning writes the Lease while not leading
    namespace: str
    name: str = LEASE_NAME
    identity: str = field(default_factory=default_identity)
    timings: LeaseTimings = field(default_factory=LeaseTimings)
    clock: Callable[[], float] = time.monotonic
    stopped: threading.Event = field(default_factory=threading.Event)
    _leading: bool = False
    _renewed_at: float = 0.0
    _observed: tuple[str, str, str] | None = None
    _observed_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _contact_at: float | None = None
    #: the campaign thread when started by ``start_election``
    thread: threading.Thread | None = None

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop campaigning and wait for the Lease to be released."""
        self.stop()
        if self.thread is not None:
            self.thread.join(timeout)

    # --- what the engine asks ------------------------------------------------------------------
    def is_leader(self) -> bool:
        """Leading, and the last renewal is within the renew deadline (so never past expiry)."""
        with self._lock:
            return self._leading and self.clock() - self._renewed_at < self.timings.renew_deadline

    def run(self) -> None:
        """Acquire, then renew, until ``stop()``; then release the Lease if we hold it."""
        try:
            while not self.stopped.is_set():
                self.try_acquire_or_renew()
                wait = self.timings.retry_period
                if not self.is_leader():
                    wait *= 1 + random.uniform(0, 0.2)  # noqa: S311 - jitter, not crypto
                self.stopped.wait(wait)
        finally:
            self.release()

    def stop(self) -> None:
        self.stopped.set()

    def in_contact(self) -> bool:
        """The Lease was read within one lease duration: a standby that could take over."""
        seen = self._contact_at
        return seen is not None and self.clock() - seen < self.timings.lease_duration

    def observed_holder(self) -> str:
        """The holder in the Lease as we last read it (the leader's identity, or ours)."""
        return self._observed[0] if self._observed else ""

    # --- one round -----------------------------------------------------------------------------
    def try_acquire_or_renew(self) -> bool:
        """One round of client-go's ``tryAcquireOrRenew``; True when we hold the Lease after it."""
        started = self.clock()  # a renewal counts from before its request, never after
        try:
            ok = self._round()
        except KubeError as exc:
            log.warning(
                "lease round failed", extra={"reason": f"HTTP {exc.status}" if exc.status else str(exc)}
            )
            ok = False
        except Exception as exc:  # noqa: BLE001 - anything else: keep campaigning
            log.warning("lease round failed", extra={"reason": type(exc).__name__})
            ok = False
        now = self.clock()
        with self._lock:
            was = self._leading
            if ok:
                self._leading, self._renewed_at = True, started
            elif self._leading and now - self._renewed_at >= self.timings.renew_deadline:
                self._leading = False
            leading = self._leading
        if leading != was:
            log.info("leadership " + ("acquired" if leading else "lost"), extra={"reason": self.identity})
        return ok

    def _once(self, timeout: float | None = None) -> KubeClient:
        """One attempt per request: no request may outlive the renew deadline (a hung or retried
        call must not look like a renewal)."""
        return self.kube.with_policy(attempts=1, timeout=timeout or max(0.5, self.timings.renew_deadline / 2))

    def _round(self) -> bool:
        kube = self._once()
        now = _micro_time()
        duration = max(1, round(self.timings.lease_duration))
        lease = kube.get(LEASE_API, "Lease", self.namespace, self.name)
        self._contact_at = self.clock()
        if lease is None:
            body = {
                "apiVersion": LEASE_API,
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {
                    "holderIdentity": self.identity,
                    "leaseDurationSeconds": duration,
                    "acquireTime": now,
                    "renewTime": now,
                    "leaseTransitions": 0,
                },
            }
            try:
                kube.create(body)
            except KubeConflict:
                return False  # another candidate created it first
            return True
        spec = dict(lease.get("spec") or {})
        holder = str(spec.get("holderIdentity") or "")
        record = (holder, str(spec.get("renewTime") or ""), str(spec.get("leaseDurationSeconds") or ""))
        mono = self.clock()
        if record != self._observed:
            self._observed, self._observed_at = record, mono
        if holder and holder != self.identity:
            their_duration = float(spec.get("leaseDurationSeconds") or self.timings.lease_duration)
            if mono - self._observed_at < their_duration:
                return False  # held, and renewed within its duration as far as we can see
        if holder != self.identity:
            spec["acquireTime"] = now
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (1 if holder else 0)
        spec.update(holderIdentity=self.identity, leaseDurationSeconds=duration, renewTime=now)
        try:
            kube.replace({**lease, "spec": spec})  # carries the resourceVersion we read
        except KubeConflict:
            return False  # someone else wrote it since we read it
        self._observed = (self.identity, now, str(duration))
        self._observed_at = mono
        return True

    def release(self) -> None:
        """Give the Lease up (holder emptied, 1 s duration) so a standby need not wait it out."""
        with self._lock:
            leading, self._leading = self._leading, False
        if not leading:
            return
        kube = self._once(self.kube.timeout)
        try:
            lease = kube.get(LEASE_API, "Lease", self.namespace, self.name)
            spec = dict((lease or {}).get("spec") or {})
            if lease is None or str(spec.get("holderIdentity") or "") != self.identity:
                return
            now = _micro_time()
            spec.update(holderIdentity="", leaseDurationSeconds=1, renewTime=now, acquireTime=now)
            kube.replace({**lease, "spec": spec})
            log.info("leadership released", extra={"reason": self.identity})
        except KubeError as exc:
            log.warning(
                "lease release failed", extra={"reason": f"HTTP {exc.status}" if exc.status else str(exc)}
            )
        except Exception as exc:  # noqa: BLE001 - best effort: the lease expires anyway
            log.warning("lease release failed", extra={"reason": type(exc).__name__})


def _micro_time() -> str:
    """Now as a Kubernetes ``MicroTime`` (RFC 3339, microseconds, UTC), as client-go writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FencedKube(KubeClient):
    """A KubeClient that refuses every write once ``fence()`` says we no longer lead."""

    fence: Callable[[], bool] = lambda: True

    @classmethod
    def around(cls, kube: KubeClient, fence: Callable[[], bool]) -> FencedKube:
        return cls(
            api=kube.api,
            backoff=kube.backoff,
            timeout=kube.timeout,
            impersonate=kube.impersonate,
            _discovery=kube._discovery,
            fence=fence,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if method.upper() not in ("GET", "HEAD") and not self.fence():
            what = kwargs.get("what") or path
            raise ApplyError(f"{what}: not the leader any more; write skipped")
        return super().request(method, path, **kwargs)


def _leader_gauge(registry: Any, elector: LeaderElector) -> None:
    """``secretsops_leader`` is 1 on the replica that holds the Lease (evaluated at scrape time)."""
    from prometheus_client import Gauge

    gauge = Gauge("secretsops_leader", "1 when this replica holds the leader Lease", registry=registry)
    gauge.set_function(lambda: 1.0 if elector.is_leader() else 0.0)


def lease_name(shard_key: str = "") -> str:
    """One Lease per shard, so each shard elects its own leader."""
    return f"{LEASE_NAME}-{shard_key}" if shard_key else LEASE_NAME


def start_election(engine: Any, settings: Any) -> LeaderElector:
    """Campaign in a daemon thread; the engine's writes are fenced by the outcome.

    Called by the engine builder for ``--leader-elect``; the elector releases the Lease when the
    engine's ``stop`` event is set (SIGTERM, Ctrl-C).
    """
    shard = str(getattr(settings, "shard_key", "") or "")
    duration = float(getattr(settings, "lease_duration", 0) or 15.0)
    elector = LeaderElector(
        engine.deps.kube, settings.namespace, lease_name(shard), timings=LeaseTimings.for_lease(duration)
    )
    _leader_gauge(engine.deps.metrics.registry, elector)
    fenced = FencedKube.around(engine.deps.kube, elector.is_leader)
    engine.deps.kube = fenced
    for rec in engine.reconcilers:
        rec.store.kube = fenced

    def stop_with_engine() -> None:
        engine.stop.wait()
        elector.stop()

    def campaign() -> None:
        threading.Thread(target=stop_with_engine, name="leader-stop", daemon=True).start()
        elector.run()

    thread = threading.Thread(target=campaign, name="leader-election", daemon=True)
    thread.start()
    if threading.current_thread() is threading.main_thread():
        # Kubernetes stops a pod with SIGTERM: end the loop cleanly so the Lease is released
        signal.signal(signal.SIGTERM, lambda *_: engine.stop.set())
    elector.thread = thread
    return elector
