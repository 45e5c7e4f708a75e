"""The recent change events that watches replay and wait on, bounded like the apiserver's watch cache."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

HISTORY = 10_000

Key = tuple[str, str]  # (namespace or "", name)


@dataclass(frozen=True)
class Event:
    """One watch event as stored in the history: the object as it was at ``rv``."""

    rv: int
    type: str
    storage: tuple[str, str]
    namespace: str
    obj: dict[str, Any]

    @property
    def key(self) -> Key:
        return (self.namespace, self.obj["metadata"]["name"])


class History:
    """Events oldest first; guarded by the store's condition, which watchers wait on."""

    def __init__(self, cond: threading.Condition, size: int = HISTORY) -> None:
        self._cond = cond
        self._events: deque[Event] = deque(maxlen=size)
        self.closed = False

    def append(self, event: Event) -> None:
        self._events.append(event)
        self._cond.notify_all()

    def clear(self) -> None:
        self._events.clear()
        self._cond.notify_all()

    def covers(self, rv: int, current: int) -> bool:
        """Whether every event after ``rv`` is still kept (else a watch from ``rv`` is 410 Expired)."""
        if rv >= current:
            return True
        return bool(self._events) and rv >= self._events[0].rv - 1

    def _matching(self, storage: tuple[str, str], namespace: str | None) -> list[Event]:
        return [
            e
            for e in self._events
            if e.storage == storage and (namespace is None or e.namespace == namespace)
        ]

    def wait_after(
        self, storage: tuple[str, str], namespace: str | None, after: int, current: int, timeout: float
    ) -> list[Event] | None:
        """Matching events newer than ``after``, waiting up to ``timeout``; None when ``after`` expired."""
        with self._cond:
            if not self.covers(after, current):
                return None
            self._cond.wait_for(
                lambda: self.closed or (bool(self._events) and self._events[-1].rv > after), timeout=timeout
            )
            if self.closed:
                return []
            return [e for e in self._matching(storage, namespace) if e.rv > after]

    def rewind(
        self, state: dict[Key, dict[str, Any]], storage: tuple[str, str], namespace: str | None, at: int
    ) -> list[dict[str, Any]]:
        """``state`` (the objects now) as it was at resource version ``at``, by undoing later events."""
        with self._cond:
            events = self._matching(storage, namespace)
            for index in range(len(events) - 1, -1, -1):
                event = events[index]
                if event.rv <= at:
                    break
                if event.type == "ADDED":
                    state.pop(event.key, None)
                    continue
                earlier = next((e.obj for e in reversed(events[:index]) if e.key == event.key), event.obj)
                state[event.key] = earlier
            return list(state.values())
