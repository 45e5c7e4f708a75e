"""The sealing keys as the controller holds them: watched in the API server, renewed on time.

Keys are the Bitnami controller's key Secrets (label ``sealedsecrets.bitnami.com/sealed-secrets-key
=active`` in the sealing-key namespace, plus the legacy Secret named ``sealed-secrets-key``),
used exactly as they are, so a cluster moving from the Bitnami controller keeps opening every
SealedSecret. A watch on the labelled Secrets makes a key added (by renewal, by an operator,
by a restore) usable at once, and a key relabelled (``compromised``) unusable at once.

Renewal (``--key-renew-period``, default 30 days as Bitnami; 0 turns it off) writes a new key
Secret with Bitnami's labels when the newest key is older than the period, and at start-up when
there is no key at all. It runs only on the leader (the manager starts it there).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from secretsops.controllers.informer import Informer
from secretsops.errors import SealedError, SecretsOpsError
from secretsops.kube.client import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import (
    DEFAULT_KEY_SIZE,
    KEY_PREFIX,
    SealingKey,
    generate_key,
    key_from_secret,
    key_secret,
)
from secretsops.sealed.keyring import ACTIVE_SELECTOR, newest_first

log = logging.getLogger("secretsops.controllers.keyring")


@dataclass
class ClusterKeyring:
    kube: KubeClient
    namespace: str = "kube-system"
    renew_period: dt.timedelta = dt.timedelta(days=30)
    key_size: int = DEFAULT_KEY_SIZE
    #: called with no argument whenever the set of keys changes
    on_change: list[Callable[[], None]] = field(default_factory=list)
    keys: list[SealingKey] = field(default_factory=list)
    informer: Informer | None = None
    _parsed: dict[str, tuple[str, SealingKey | None]] = field(default_factory=dict)
    _legacy: SealingKey | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Event = field(default_factory=threading.Event)
    renewals: int = 0
    #: counts changes of the key set: users may keep what they derive from the keys until it moves
    generation: int = 0

    def make_informer(self) -> Informer:
        self.informer = Informer(
            self.kube,
            "v1",
            "Secret",
            self.namespace,
            label_selector=ACTIVE_SELECTOR,
            handlers=[self._on_event],
        )
        return self.informer

    def load_legacy(self) -> None:
        """The pre-0.9 key Secret named exactly ``sealed-secrets-key`` (read once at start)."""
        obj = self.kube.get("v1", "Secret", self.namespace, KEY_PREFIX)
        labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
        if obj is not None and "sealedsecrets.bitnami.com/sealed-secrets-key" not in labels:
            self._legacy = self._parse(obj)
            self._rebuild()

    def _parse(self, obj: Obj) -> SealingKey | None:
        name = str((obj.get("metadata") or {}).get("name") or "")
        try:
            return key_from_secret(obj, f"secret {self.namespace}/{name}")
        except SecretsOpsError as exc:
            log.warning("key Secret ignored", extra={"reason": str(exc)})
            return None

    def _on_event(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        name, version = str(meta.get("name") or ""), str(meta.get("resourceVersion") or "")
        with self._lock:
            if kind == "DELETED":
                self._parsed.pop(name, None)
            elif self._parsed.get(name, ("", None))[0] != version or not version:
                self._parsed[name] = (version, self._parse(obj))
        self._rebuild()

    def _rebuild(self) -> None:
        with self._lock:
            found = [k for _, k in self._parsed.values() if k is not None]
            if self._legacy is not None:
                found.append(self._legacy)
            ring = newest_first(found)
            changed = [k.fingerprint for k in ring] != [k.fingerprint for k in self.keys]
            self.keys = ring
            if changed:
                self.generation += 1
        if changed:
            self._changed.set()
            for callback in self.on_change:
                callback()

    def current(self) -> list[SealingKey]:
        with self._lock:
            return list(self.keys)

    def snapshot(self) -> tuple[int, list[SealingKey]]:
        """The keys with their generation, read together."""
        with self._lock:
            return self.generation, list(self.keys)

    def newest(self) -> SealingKey:
        keys = self.current()
        if not keys:
            raise SealedError(f"no sealing key in namespace {self.namespace}")
        return keys[0]

    # --- renewal -------------------------------------------------------------------------------
    def renew_due_in(self, now: dt.datetime | None = None) -> float | None:
        """Seconds until a new key is due (0: now), None when renewal is off and a key exists."""
        keys = self.current()
        if not keys:
            return 0.0
        if self.renew_period <= dt.timedelta(0):
            return None
        age = (now or dt.datetime.now(dt.UTC)) - keys[0].not_before
        return max(0.0, (self.renew_period - age).total_seconds())

    def create_key(self) -> str:
        """Write a new active key Secret (generateName ``sealed-secrets-key``); returns its name."""
        key, cert = generate_key(self.key_size)
        body = key_secret(key, cert, self.namespace)
        del body["metadata"]["name"]
        created = self.kube.create(body)
        self.renewals += 1
        name = str((created.get("metadata") or {}).get("name") or "")
        log.info("new sealing key", extra={"reason": f"{self.namespace}/{name}"})
        self._on_event("ADDED", created)
        return name

    def renew_forever(self, stop: threading.Event, leading: Callable[[], bool]) -> None:
        """Sleep until the next key is due (woken when keys change), then write it; on the leader."""
        while not stop.is_set():
            due = self.renew_due_in()
            if due is not None and due <= 0 and leading():
                try:
                    self.create_key()
                    continue
                except SecretsOpsError as exc:
                    log.warning("key renewal failed", extra={"reason": str(exc)})
                    due = 30.0
            self._changed.clear()
            wait = 2.0 if due is None else min(max(due, 0.5), 2.0)
            if self._changed.wait(wait):
                continue
