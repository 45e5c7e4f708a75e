"""List + watch one resource type into a memory cache, as client-go's reflector does.

``sync()`` lists (paged) and remembers the list's ``resourceVersion``; ``run()`` then watches
from it, following every event's and bookmark's resourceVersion, and lists again when the
server answers 410 Gone (the version is older than etcd keeps). After a new list, objects that
disappeared meanwhile are reported as deleted. No polling: between events nothing is read.

The cache keeps what reconciling needs, without ``managedFields`` (often the largest part of
an object and never read), so thousands of objects stay small in memory. An informer with
``keep=False`` caches nothing and only reports events (e.g. Secrets, to notice a deleted
owned Secret); with ``metadata_only`` it receives only metadata (``PartialObjectMetadata``, as
client-go's metadata informers): names, labels and owners of Secrets, never their values.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from secretsops.errors import SecretsOpsError, WatchExpired
from secretsops.kube.client import KubeClient, WatchStream
from secretsops.manifests import Obj

log = logging.getLogger("secretsops.controllers.informer")

Key = tuple[str, str]
Handler = Callable[[str, Obj], None]
PAGE = 500


def key_of(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def slim(obj: Obj) -> Obj:
    """The object without ``managedFields`` (never read by a controller)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


@dataclass
class Informer:
    kube: KubeClient
    api_version: str
    kind: str
    namespace: str = ""
    label_selector: str = ""
    field_selector: str = ""
    keep: bool = True
    #: names, labels, owners only (``PartialObjectMetadata``): for watching Secrets without their values
    metadata_only: bool = False
    handlers: list[Handler] = field(default_factory=list)
    #: seconds the server keeps one watch open (jittered up to 2x, as client-go does)
    watch_timeout: int = 300
    cache: dict[Key, Obj] = field(default_factory=dict)
    resource_version: str = ""
    synced: threading.Event = field(default_factory=threading.Event)
    lists: int = 0
    watches: int = 0
    _stream: WatchStream | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __str__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.kind}{where}"

    def get(self, key: Key) -> Obj | None:
        with self._lock:
            return self.cache.get(key)

    def objects(self) -> list[Obj]:
        with self._lock:
            return list(self.cache.values())

    def _emit(self, kind: str, obj: Obj) -> None:
        for handler in self.handlers:
            try:
                handler(kind, obj)
            except Exception as exc:  # noqa: BLE001 - a handler must not end the watch
                log.warning("event handler failed", extra={"reason": type(exc).__name__})

    # --- list ------------------------------------------------------------------------------------
    def sync(self) -> None:
        """List everything (in pages); report adds, changes and what vanished since the last list."""
        items: dict[Key, Obj] = {}
        token = ""
        version = ""
        while True:
            page = self.kube.list_page(
                self.api_version,
                self.kind,
                self.namespace,
                label_selector=self.label_selector,
                field_selector=self.field_selector,
                limit=PAGE,
                continue_token=token,
                metadata_only=self.metadata_only,
            )
            for item in page.get("items") or []:
                item.setdefault("apiVersion", self.api_version)
                item.setdefault("kind", self.kind)
                items[key_of(item)] = slim(item)
            meta = page.get("metadata") or {}
            version = str(meta.get("resourceVersion") or version)
            token = str(meta.get("continue") or "")
            if not token:
                break
        self.lists += 1
        with self._lock:
            gone = [obj for key, obj in self.cache.items() if key not in items]
            previous = self.cache
            self.cache = items if self.keep else {}
            self.resource_version = version
        for obj in gone:
            self._emit("DELETED", obj)
        for key, obj in items.items():
            self._emit("MODIFIED" if key in previous else "ADDED", obj)
        self.synced.set()

    # --- watch -----------------------------------------------------------------------------------
    def watch_once(self, stop: threading.Event) -> None:
        """One watch request from the current resourceVersion until the server ends it."""
        timeout = int(self.watch_timeout * (1 + random.random()))  # noqa: S311 - jitter
        stream = self.kube.watch(
            self.api_version,
            self.kind,
            self.namespace,
            resource_version=self.resource_version,
            timeout_seconds=timeout,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            metadata_only=self.metadata_only,
        )
        self._stream = stream
        self.watches += 1
        if stop.is_set():
            stream.close()
        for event in stream:
            if stop.is_set():
                break
            self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type") or "")
        obj = event.get("object")
        if not isinstance(obj, dict):
            return
        version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if kind == "BOOKMARK":
            if version:
                self.resource_version = version
            return
        obj.setdefault("apiVersion", self.api_version)
        obj.setdefault("kind", self.kind)
        obj = slim(obj)
        key = key_of(obj)
        with self._lock:
            if kind == "DELETED":
                self.cache.pop(key, None)
            elif self.keep:
                self.cache[key] = obj
            if version:
                self.resource_version = version
        self._emit(kind, obj)

    def run(self, stop: threading.Event) -> None:
        """List, then watch until ``stop``; list again after 410 Gone; back off on errors."""
        failures = 0
        while not stop.is_set():
            try:
                if not self.synced.is_set() or not self.resource_version:
                    self.sync()
                self.watch_once(stop)
                failures = 0
            except WatchExpired:
                log.info("watch expired; listing again", extra={"reason": str(self)})
                self.resource_version = ""
                self.synced.clear()
            except SecretsOpsError as exc:
                failures += 1
                log.warning("watch failed", extra={"reason": f"{self}: {exc}"})
                stop.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.close()
