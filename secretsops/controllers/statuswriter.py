"""Status patches behind the Secret: coalesced per object, written by threads of their own.

What a user waits for after ``kubectl apply`` of a SealedSecret is its Secret; the status
(``observedGeneration``, ``Synced``) reports on it. Patching the status in the same reconcile, as the
Bitnami controller does, puts a second API write on the path of every object, so during a burst
(1,000 objects applied at once) every Secret waited behind the status patches of the objects before
it. Here a reconcile hands its status over and goes on to the next object; two writer threads
patch what is owed, oldest first:

* one status per object is owed at a time, the newest wins (two reconciles of one object during a
  burst make one patch, not two), and a status equal to the object's current one is not written;
* the writer yields while the workers have objects queued or objects are still arriving (``busy``:
  one was queued less than a second ago), but never holds a status back longer than ``max_delay``
  seconds (30): a lone object's status follows its Secret within a second; during a burst (a status
  patch costs the API server as much as the Secret's create, and a worker that keeps up empties its
  queue between two arrivals) Secrets go first and statuses follow once the burst is over, within
  that bound, never starving;
* a failed patch is logged and dropped: the object's next reconcile writes its status again.

``flush`` writes everything pending at once (``--once`` exits only after every status is written,
and a stopping controller writes what it owes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from secretsops.errors import SecretsOpsError
from secretsops.kube.client import KubeClient
from secretsops.manifests import Obj

log = logging.getLogger("secretsops.controllers.status")

StatusKey = tuple[str, str, str, str]  # apiVersion, kind, namespace, name


@dataclass
class _Owed:
    obj: Obj
    new: dict[str, Any]
    since: float


def unchanged(obj: Obj, new: dict[str, Any]) -> bool:
    old = obj.get("status") or {}
    return all(old.get(k) == v for k, v in new.items())


@dataclass
class StatusWriter:
    #: the gateway at write time (the manager swaps in a fenced one when it leads)
    client: Callable[[], KubeClient]
    #: True while the workers have objects waiting: the writer then yields to them
    busy: Callable[[], bool] = lambda: False
    max_delay: float = 30.0
    #: writer threads (after a burst, the owed statuses drain this many at a time)
    threads: int = 2
    clock: Callable[[], float] = time.monotonic
    written: int = 0
    #: owed statuses in the order first owed (a dict keeps a replaced entry in its place)
    _owed: dict[StatusKey, _Owed] = field(default_factory=dict)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _writing: int = 0
    _urgent: bool = False
    _closed: bool = False
    _workers: list[threading.Thread] = field(default_factory=list)

    def submit(self, obj: Obj, api_version: str, kind: str, new: dict[str, Any]) -> None:
        """Owe ``new`` to ``obj``'s status (replacing what was owed); nothing when already so."""
        meta = obj.get("metadata") or {}
        key = (api_version, kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        with self._cond:
            if unchanged(obj, new):
                self._owed.pop(key, None)
                return
            previous = self._owed.get(key)
            self._owed[key] = _Owed(obj, new, previous.since if previous else self.clock())
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._owed) + self._writing

    def start(self) -> None:
        while len(self._workers) < max(1, self.threads):
            name = f"status-writer-{len(self._workers)}"
            thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._workers.append(thread)
            thread.start()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything owed now, not yielding to the workers; False after ``timeout``."""
        deadline = self.clock() + timeout
        if not any(t.is_alive() for t in self._workers):
            while (item := self._next()) is not None and self.clock() < deadline:
                self._write(*item)
            return not self._owed
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            while (self._owed or self._writing) and self.clock() < deadline:
                self._cond.wait(max(0.0, min(0.1, deadline - self.clock())))
            self._urgent = False
            return not self._owed and not self._writing

    def _next(self) -> tuple[StatusKey, _Owed] | None:
        with self._cond:
            if not self._owed:
                return None
            key = next(iter(self._owed))
            return key, self._owed.pop(key)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._owed and not self._closed:
                    self._cond.wait()
                if not self._owed:
                    return
                key, owed = next(iter(self._owed.items()))
                wait = owed.since + self.max_delay - self.clock()
                if wait > 0 and not (self._urgent or self._closed) and self.busy():
                    self._cond.wait(min(wait, 0.05))
                    continue
                del self._owed[key]
                self._writing += 1
            try:
                self._write(key, owed)
            finally:
                with self._cond:
                    self._writing -= 1
                    self._cond.notify_all()

    def _write(self, key: StatusKey, owed: _Owed) -> None:
        api_version, kind, ns, name = key
        if unchanged(owed.obj, owed.new):
            return
        try:
            patched = self.client().patch_status(api_version, kind, ns, name, owed.new)
        except SecretsOpsError as exc:
            log.warning("status update failed", extra={"reason": str(exc)})
            return
        self.written += 1
        if patched is not None:
            owed.obj["status"] = patched.get("status") or {**(owed.obj.get("status") or {}), **owed.new}
