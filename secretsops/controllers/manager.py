"""Run the controllers: informers, workers, leader election, key renewal, HTTP API, ``--once``.

Continuous mode (the Deployment): the HTTP server starts at once (probes, metrics, the sealing
API, which every replica answers); with ``--leader-elect`` the replica then waits for the Lease
and only the holder watches and writes (its writes fenced by the Lease, as the engine's). A
replica that loses the Lease stops with exit code 1 so Kubernetes restarts it as a standby, as
controller-runtime does.

``--once`` (tests, CI, a Job): list every watched object once, reconcile each (temporary errors
retried with backoff a few times), exit 0 when all succeeded, else 1. Nothing is watched.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secretsops.controllers.base import Controller, ControllerContext
from secretsops.controllers.keyring import ClusterKeyring
from secretsops.controllers.metrics import ControllerMetrics
from secretsops.controllers.queue import WorkQueue
from secretsops.errors import SecretsOpsError, UsageError
from secretsops.kube.client import KubeClient

log = logging.getLogger("secretsops.controllers.manager")

ALL_CONTROLLERS = ("sealedsecrets", "externalsecrets", "sopssecrets")
LEASE_NAME = "secretsops-controllers"


@dataclass
class ControllerSettings:
    namespace: str = "secretsops-system"
    watch_namespaces: tuple[str, ...] = ()
    controllers: tuple[str, ...] = ALL_CONTROLLERS
    sealing_key_namespace: str = "kube-system"
    key_renew_period: dt.timedelta = dt.timedelta(days=30)
    key_size: int = 4096
    leader_elect: bool = False
    lease_duration: float = 15.0
    metrics_port: int | None = 8080
    bind_address: str = "0.0.0.0"  # noqa: S104 - in-cluster the kubelet and Prometheus connect from outside
    once: bool = False
    #: reconciles per controller at once. A SealedSecret's reconcile is ~3 ms of RSA (GIL released)
    #: and one Secret create whose round trip (10-40 ms when the API server is busy) dominates, so
    #: workers wait more than they compute: with 4, a client creating with 4 threads through the same
    #: API server outran the controller (BENCHMARKS.md, Controllers); 8 keep up.
    workers: int = 8
    #: Flux-style decryption Secret in ``namespace`` for SopsSecrets (``*.agekey``, ``sops.vault-token``...)
    decryption_secret: str = "sops-keys"
    #: attempts per object in ``--once`` before a temporary error counts as a failure
    once_attempts: int = 4
    #: statuses and Events wait until no object was queued for this many seconds (or their bound)
    quiet: float = 1.0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.controllers) - set(ALL_CONTROLLERS))
        if unknown:
            raise UsageError(
                f"--controllers: unknown controller {', '.join(unknown)}"
                f" (known: {', '.join(ALL_CONTROLLERS)})"
            )
        if not self.controllers:
            raise UsageError("--controllers: name at least one controller")


def _depth(queue: WorkQueue) -> Callable[[], float]:
    return lambda: float(len(queue))


@dataclass
class Manager:
    kube: KubeClient
    settings: ControllerSettings
    env: Mapping[str, str] = field(default_factory=dict)
    metrics: ControllerMetrics = field(default_factory=ControllerMetrics.create)
    stop: threading.Event = field(default_factory=threading.Event)
    controllers: list[Controller] = field(default_factory=list)
    keyring: ClusterKeyring | None = None
    #: engine.backup_state.BackupStateReporter, with the sealedsecrets controller
    backup_state: Any = None
    elector: Any = None
    server: Any = None
    failures: dict[str, int] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)
    lost_leadership: bool = False

    def __post_init__(self) -> None:
        self.ctx = ControllerContext(self.kube, self.settings, self.metrics, self.env, self.stop)
        self.ctx.statuses.busy = self._busy
        self.ctx.events.busy = self._busy
        self._build()

    def _build(self) -> None:
        s = self.settings
        if "sealedsecrets" in s.controllers:
            from secretsops.controllers.sealedsecrets import SealedSecretsController

            self.keyring = ClusterKeyring(
                self.kube, s.sealing_key_namespace, s.key_renew_period, key_size=s.key_size
            )
            self.controllers.append(SealedSecretsController(self.ctx, self.keyring))
            # is the newest key in a backup? gauge + BackedUp condition (engine/backup_state.py)
            from secretsops.engine.backup_state import BackupStateReporter

            self.backup_state = BackupStateReporter(
                self.kube, s.sealing_key_namespace, s.namespace, self.metrics.registry
            )
            self.keyring.on_change.append(self.backup_state.wake)
        if "externalsecrets" in s.controllers:
            from secretsops.controllers.externalsecrets import ExternalSecretsController
            from secretsops.controllers.secretstores import SecretStoresController

            self.controllers.append(ExternalSecretsController(self.ctx))
            self.controllers.append(SecretStoresController(self.ctx))
        if "sopssecrets" in s.controllers:
            from secretsops.controllers.sopssecrets import SopsSecretsController

            self.controllers.append(SopsSecretsController(self.ctx))
        for c in self.controllers:
            c.setup()
            self.metrics.queue_depth.labels(c.name).set_function(_depth(c.queue))
        # a connection per concurrent request: each watch holds one, each worker uses one, plus
        # the keyring's watch, the Event writer and the Lease
        watches = sum(len(c.informers) for c in self.controllers)
        self.kube.size_pool(watches + len(self.controllers) * max(1, s.workers) + 4)

    # --- one key ---------------------------------------------------------------------------------
    def process(self, c: Controller, key: Any, *, once: bool = False) -> bool:
        """Reconcile one key; True when done with it (success or permanent failure recorded)."""
        started = time.perf_counter()
        try:
            result = c.reconcile(key)
        except SecretsOpsError as exc:
            self.metrics.reconciles.labels(c.name, "error").inc()
            retry = exc.temporary and (not once or c.queue.failures(key) + 1 < self.settings.once_attempts)
            log.warning(
                "reconcile failed" + (", will retry" if retry else ""),
                extra={
                    "object": f"{c.name} {key[0]}/{key[1]}",
                    "reason": str(exc),
                    "attempt": c.queue.failures(key) + 1,
                },
            )
            if retry:
                c.queue.retry(key)
                return False
            c.queue.forget(key)
            self.failures[c.name] = self.failures.get(c.name, 0) + 1
            return True
        except Exception as exc:  # noqa: BLE001 - an internal error stalls this object, never the process
            self.metrics.reconciles.labels(c.name, "internal-error").inc()
            log.error(
                "reconcile failed",
                extra={"reason": f"{c.name} {key[0]}/{key[1]}: internal error ({type(exc).__name__})"},
            )
            c.queue.forget(key)
            self.failures[c.name] = self.failures.get(c.name, 0) + 1
            return True
        finally:
            self.metrics.duration.labels(c.name).observe(time.perf_counter() - started)
        c.queue.forget(key)
        self.metrics.reconciles.labels(c.name, "ok" if result.ok else "failed").inc()
        if not result.ok:
            self.failures[c.name] = self.failures.get(c.name, 0) + 1
        if result.requeue_after is not None and not once:
            c.queue.add_after(key, result.requeue_after)
        return True

    def _worker(self, c: Controller) -> None:
        while not self.stop.is_set():
            key = c.queue.get(timeout=0.5)
            if key is None:
                continue
            try:
                self.process(c, key)
            finally:
                c.queue.done(key)

    # --- --once ----------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Every object that exists now, once; 0 when all succeeded (statuses and Events written)."""
        self.ctx.events.start()
        self.ctx.statuses.start()
        self._sync_keyring()
        if self.backup_state is not None:
            self.backup_state.refresh()
        for c in self.controllers:
            for inf in c.primaries:
                inf.sync()
        for c in self.controllers:
            while c.queue.pending(horizon=3600):
                key = c.queue.get(timeout=1.0)
                if key is None:
                    continue
                try:
                    self.process(c, key, once=True)
                finally:
                    c.queue.done(key)
        self._drain()
        failed = sum(self.failures.values())
        if failed:
            log.warning(
                "objects failed", extra={"reason": ", ".join(f"{k}: {v}" for k, v in self.failures.items())}
            )
        return 1 if failed else 0

    def _busy(self) -> bool:
        """Objects are queued, or were queued less than ``settings.quiet`` seconds ago (a burst is
        still arriving: a worker that just emptied its queue gets the next object at once)."""
        quiet = self.settings.quiet
        return any(len(c.queue) or c.queue.quiet_for() < quiet for c in self.controllers)

    def _drain(self, timeout: float = 30.0) -> None:
        """Write what reconciles left for later (statuses, Events) before stopping."""
        if not self.ctx.statuses.flush(timeout):
            log.warning("statuses not all written", extra={"reason": f"still owed after {timeout:g} s"})
        self.ctx.statuses.close()
        if not self.ctx.events.flush(timeout):
            log.warning("events not all written", extra={"reason": f"still queued after {timeout:g} s"})
        self.ctx.events.close()

    def _sync_keyring(self) -> None:
        if self.keyring is None:
            return
        inf = self.keyring.make_informer()
        inf.sync()
        self.keyring.load_legacy()

    # --- continuous ------------------------------------------------------------------------------
    def leading(self) -> bool:
        return self.elector is None or bool(self.elector.is_leader())

    def start_http(self) -> None:
        if self.settings.metrics_port is None:
            return
        from secretsops.controllers.httpapi import ApiRuntime, serve

        self.server = serve(ApiRuntime(self), self.settings.bind_address, self.settings.metrics_port)

    def _thread(self, target: Any, name: str, *args: Any) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def run(self) -> int:
        """Until ``stop`` (SIGTERM): 0 on a clean stop, 1 when leadership was lost."""
        self.start_http()
        if self.keyring is not None:
            # every replica holds the keys: the sealing API answers on standbys too
            inf = self.keyring.make_informer()
            self._thread(inf.run, "keyring-watch", self.stop)
            while not inf.synced.wait(0.5):
                if self.stop.is_set():
                    self.shutdown()
                    return 0
            try:
                self.keyring.load_legacy()
            except SecretsOpsError as exc:
                log.warning("legacy key not read", extra={"reason": str(exc)})
        if self.settings.leader_elect:
            self._elect()
            while not self.stop.is_set() and not self.elector.is_leader():
                self.stop.wait(0.2)
            if self.stop.is_set():
                self.shutdown()
                return 0
            log.info("leading", extra={"reason": self.elector.identity})
        if self.keyring is not None:
            self._thread(self.keyring.renew_forever, "key-renewal", self.stop, self.leading)
            if self.backup_state is not None:
                self._thread(self.backup_state.run, "backup-state", self.stop)
        self.ctx.events.start()
        self.ctx.statuses.start()
        for c in self.controllers:
            for inf in c.informers:
                self._thread(inf.run, f"{c.name}-{inf.kind}-watch", self.stop)
            for i in range(max(1, self.settings.workers)):
                self._thread(self._worker, f"{c.name}-worker-{i}", c)
        while not self.stop.is_set():
            if self.elector is not None and not self.elector.is_leader():
                self.lost_leadership = True
                log.error("leadership lost; stopping", extra={"reason": self.elector.identity})
                self.stop.set()
                break
            self.stop.wait(0.5)
        self.shutdown()
        return 1 if self.lost_leadership else 0

    def _elect(self) -> None:
        from secretsops.engine.leader import FencedKube, LeaderElector, LeaseTimings

        self.elector = LeaderElector(
            self.kube,
            self.settings.namespace,
            LEASE_NAME,
            timings=LeaseTimings.for_lease(self.settings.lease_duration),
        )
        fenced = FencedKube.around(self.kube, self.elector.is_leader)
        self.kube = fenced
        self.ctx.kube = fenced
        for c in self.controllers:
            for inf in c.informers:
                inf.kube = fenced
        if self.keyring is not None:
            self.keyring.kube = fenced
        self._thread(self.elector.run, "leader-election")

    def shutdown(self) -> None:
        self.stop.set()
        for c in self.controllers:
            c.queue.shutdown()
            for inf in c.informers:
                inf.stop()
        self._drain(timeout=5.0)
        if self.keyring is not None and self.keyring.informer is not None:
            self.keyring.informer.stop()
        if self.elector is not None:
            self.elector.shutdown()
        if self.server is not None:
            self.server.close()
