"""A work queue of object keys, as client-go's rate-limited delaying queue behaves.

A key is queued at most once; a key being processed is never handed to a second worker, and
if it is added meanwhile it is queued again when the first worker is ``done`` with it (so no
change is lost and no object is reconciled by two threads at once). ``retry`` puts a key back
after a per-key exponential backoff (``forget`` resets it after a success); ``add_after``
schedules a key for later (refreshes). Keys are plain hashables: ``(namespace, name)``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Per-key delay: ``base * 2**(failures-1)``, capped (client-go: 5 ms .. 1000 s)."""

    base: float = 0.05
    cap: float = 300.0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.base * (2 ** max(0, failures - 1))))


@dataclass
class WorkQueue:
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    _queue: deque[Hashable] = field(default_factory=deque)
    _dirty: set[Hashable] = field(default_factory=set)
    _processing: set[Hashable] = field(default_factory=set)
    _waiting: list[tuple[float, int, Hashable]] = field(default_factory=list)
    _failures: dict[Hashable, int] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _shut: bool = False
    _last_add: float = float("-inf")

    def add(self, key: Hashable) -> None:
        with self._cond:
            self._add(key)

    def _add(self, key: Hashable) -> None:
        if self._shut:
            return
        self._last_add = self.clock()
        if key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._cond.notify()

    def add_after(self, key: Hashable, delay: float) -> None:
        """Queue ``key`` in ``delay`` seconds (at once when ``delay`` <= 0)."""
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shut:
                return
            heapq.heappush(self._waiting, (self.clock() + delay, next(self._seq), key))
            self._cond.notify()

    def retry(self, key: Hashable) -> float:
        """Queue ``key`` again after its backoff; returns the delay chosen."""
        with self._cond:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
        delay = self.backoff.delay(failures)
        self.add_after(key, delay)
        return delay

    def failures(self, key: Hashable) -> int:
        with self._cond:
            return self._failures.get(key, 0)

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def get(self, timeout: float | None = None) -> Hashable | None:
        """The next key (marked as processing), or None after ``timeout`` or on shutdown."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._cond:
            while True:
                self._promote()
                if self._queue:
                    key = self._queue.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    return key
                if self._shut:
                    return None
                now = self.clock()
                wait = None if deadline is None else deadline - now
                if wait is not None and wait <= 0:
                    return None
                if self._waiting:
                    due = self._waiting[0][0] - now
                    wait = due if wait is None else min(wait, due)
                self._cond.wait(None if wait is None else max(0.0, wait))

    def _promote(self) -> None:
        now = self.clock()
        while self._waiting and self._waiting[0][0] <= now:
            _, _, key = heapq.heappop(self._waiting)
            self._add(key)

    def done(self, key: Hashable) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def pending(self, horizon: float = 0.0) -> int:
        """Keys queued, being processed, or due within ``horizon`` seconds."""
        with self._cond:
            limit = self.clock() + horizon
            due = sum(1 for at, _, _ in self._waiting if at <= limit)
            return len(self._queue) + len(self._processing) + due

    def quiet_for(self) -> float:
        """Seconds since a key was last added (objects still arriving while this is small)."""
        with self._cond:
            return self.clock() - self._last_add

    def next_due_in(self) -> float | None:
        """Seconds until the earliest scheduled key (None: nothing scheduled)."""
        with self._cond:
            return (self._waiting[0][0] - self.clock()) if self._waiting else None

    def shutdown(self) -> None:
        with self._cond:
            self._shut = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)
