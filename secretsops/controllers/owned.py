"""Tell our own writes of a Secret from someone else's, so an edited or deleted Secret is put back at once.

Each controller watches Secrets (metadata only: names, owners, resourceVersions, never values) and
asks this memory whether an event is news. Every Secret a controller creates or replaces is recorded
with the resourceVersion the API server gave the write; a later MODIFIED event carrying another
resourceVersion was written by someone else (``kubectl edit``, another controller, a restore), and a
DELETED event always is: the owner is reconciled at once, not at its next refresh, as ESO and the
Bitnami controller do. ADDED events are our own creates or a (re-)list and are not news.

A MODIFIED event that arrives before the write call returned is taken for foreign: one extra
reconcile, which finds the Secret as desired and writes nothing (never a loop).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from secretsops.controllers.informer import Key
from secretsops.manifests import Obj


def _key(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


@dataclass
class OwnedWrites:
    _versions: dict[Key, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, written: Obj | None) -> None:
        """Remember the resourceVersion of a Secret we just created or replaced (the API's answer)."""
        if not written:
            return
        version = str((written.get("metadata") or {}).get("resourceVersion") or "")
        with self._lock:
            if version:
                self._versions[_key(written)] = version

    def forget(self, secret_key: Key) -> None:
        with self._lock:
            self._versions.pop(secret_key, None)

    def foreign(self, kind: str, secret: Obj) -> bool:
        """True when this watch event on one of our Secrets was not caused by our own write."""
        key = _key(secret)
        if kind == "DELETED":
            self.forget(key)
            return True
        if kind != "MODIFIED":
            return False
        version = str((secret.get("metadata") or {}).get("resourceVersion") or "")
        with self._lock:
            return self._versions.get(key) != version

    def __len__(self) -> int:
        with self._lock:
            return len(self._versions)
