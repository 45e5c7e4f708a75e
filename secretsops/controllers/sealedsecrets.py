"""SealedSecret (``bitnami.com/v1alpha1``) → Secret, as the sealed-secrets controller does it.

The Secret has the SealedSecret's name and namespace, ``spec.template`` applied (metadata,
type, immutable, templated ``data``) and an ownerReference with ``controller: true`` (unless
the template says ``sealedsecrets.bitnami.com/skip-set-owner-references``). An existing Secret
is overwritten only when the SealedSecret controls it or it is annotated ``managed``/``patch``
(``secretsops.sealed.ownership``). The status carries ``observedGeneration`` and a ``Synced``
condition whose message says why a value does not open (another scope, another key, tampered).

Unlike the Bitnami controller, a SealedSecret that did not open is tried again as soon as the
keyring changes (a restored key opens it without touching the object). An owned Secret deleted or
edited by someone else is written again at once: a metadata-only watch of Secrets reports it, and
``owned.OwnedWrites`` tells those events from the echoes of our own writes.

The reconcile path is one API call per new object (create the Secret, no read before): the status
goes to the status writer (``statuswriter``: coalesced, behind the Secrets) and the ``Unsealed``
Event to the Event recorder (``events``), so a burst of objects waits only for Secrets.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.controllers.base import Controller, ControllerContext, Result, same_secret, set_condition
from secretsops.controllers.informer import Key
from secretsops.controllers.keyring import ClusterKeyring
from secretsops.controllers.owned import OwnedWrites
from secretsops.decryptors.guard import guard_objects
from secretsops.errors import KubeConflict, KubeError, RenderError, SealedError, UnsealError
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import SealingKey
from secretsops.sealed.ownership import secret_to_write
from secretsops.sealed.sealing import API_VERSION, KIND
from secretsops.sealed.unsealing import Unsealer, UnsealMemory

WHERE = "\0"


def _signature(obj: Obj) -> tuple[Any, ...]:
    """What a change must touch to need a new unseal (status-only updates do not)."""
    meta = obj.get("metadata") or {}
    return (
        meta.get("uid"),
        meta.get("generation"),
        repr(sorted((meta.get("annotations") or {}).items())),
        repr(sorted((meta.get("labels") or {}).items())),
    )


def _was_synced(obj: Obj) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Synced" and c.get("status") == "True" for c in conditions)


class SealedSecretsController(Controller):
    name: ClassVar[str] = "sealedsecrets"

    def __init__(self, ctx: ControllerContext, keyring: ClusterKeyring) -> None:
        super().__init__(ctx)
        self.keyring = keyring
        self.memory = UnsealMemory()
        self.seen: dict[Key, tuple[Any, ...]] = {}
        self.failed: set[Key] = set()
        self.owned = OwnedWrites()
        self._unsealer: tuple[int, Unsealer] | None = None
        keyring.on_change.append(self._keys_changed)

    def setup(self) -> None:
        self.primaries = [
            self.ctx.informer(API_VERSION, KIND, ns, handlers=[self._on_sealed])
            for ns in self.ctx.namespaces()
        ]
        self.informers = list(self.primaries)
        if not self.ctx.settings.once:
            self.informers += [
                self.ctx.informer(
                    "v1", "Secret", ns, keep=False, metadata_only=True, handlers=[self._on_secret]
                )
                for ns in self.ctx.namespaces()
            ]

    # --- events ----------------------------------------------------------------------------------
    def _on_sealed(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if kind == "DELETED":
            self.seen.pop(key, None)
            self.failed.discard(key)
            return
        if kind == "MODIFIED" and self.seen.get(key) == _signature(obj):
            return  # our own status update, or nothing that changes the Secret
        self.queue.add(key)

    def _on_secret(self, kind: str, obj: Obj) -> None:
        """An owned Secret was deleted or changed by someone else: write it again now."""
        meta = obj.get("metadata") or {}
        for ref in meta.get("ownerReferences") or []:
            if (
                ref.get("kind") == KIND
                and ref.get("controller")
                and str(ref.get("apiVersion")) == API_VERSION
                and self.owned.foreign(kind, obj)
            ):
                key = (str(meta.get("namespace") or ""), str(ref.get("name") or ""))
                self.seen.pop(key, None)
                self.queue.add(key)

    def _keys_changed(self) -> None:
        for key in list(self.failed):
            self.queue.add(key)

    # --- reconcile -------------------------------------------------------------------------------
    def reconcile(self, key: Key) -> Result:
        obj = self.cached(key)
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            return Result()  # gone: the garbage collector removes the owned Secret
        metrics = self.ctx.metrics
        metrics.unseal_requests.inc()
        ns = key[0]
        generation, keys = self.keyring.snapshot()
        try:
            if not keys:
                raise UnsealError(f"no sealing key in namespace {self.keyring.namespace}")
            before = self.memory.rsa_operations
            result = self._unsealer_for(generation, keys).unseal_with_report(obj, WHERE)
            metrics.provider_calls.labels(self.name, "rsa").inc(self.memory.rsa_operations - before)
            guard_objects([result.secret], WHERE)
        except (UnsealError, RenderError) as exc:
            metrics.unseal_errors.labels("unseal", ns).inc()
            self.failed.add(key)
            self.seen[key] = _signature(obj)
            self._status(obj, str(exc).removeprefix(f"{WHERE}: "))
            self.ctx.event(
                obj, "ErrUnsealFailed", f"Failed to unseal: {exc}".replace(f"{WHERE}: ", ""), warning=True
            )
            return Result(ok=False)
        desired = result.secret
        wrote = False
        try:
            created = not _was_synced(obj) and self._create(desired)
            live = None if created else self.ctx.kube.get("v1", "Secret", ns, key[1])
            if not created:
                try:
                    to_write = secret_to_write(live, desired, obj)
                except SealedError as exc:
                    metrics.unseal_errors.labels("unmanaged", ns).inc()
                    self.failed.add(key)
                    self.seen[key] = _signature(obj)
                    self._status(obj, f"failed update: {exc}")
                    self.ctx.event(obj, "ErrUpdateFailed", str(exc), warning=True)
                    return Result(ok=False)
                if live is None:
                    self.owned.wrote(self.ctx.kube.create(to_write))
                    wrote = True
                elif not same_secret(live, to_write):
                    self.owned.wrote(self.ctx.kube.replace(to_write))
                    wrote = True
        except KubeConflict:
            raise  # someone wrote the Secret since we read it: read again (retried with backoff)
        except KubeError as exc:
            metrics.unseal_errors.labels("update", ns).inc()
            if not exc.temporary:
                self._status(obj, str(exc))
            raise
        self.failed.discard(key)
        self.seen[key] = _signature(obj)  # before the status write, whose event must not requeue
        self._status(obj, "")
        if created or wrote:
            self.ctx.event(obj, "Unsealed", "SealedSecret unsealed successfully")
        return Result()

    def _unsealer_for(self, generation: int, keys: list[SealingKey]) -> Unsealer:
        """One Unsealer per key set (building one fingerprints every key: not per object)."""
        cached = self._unsealer
        if cached is None or cached[0] != generation:
            cached = self._unsealer = (generation, Unsealer(keys, memory=self.memory))
        return cached[1]

    def _create(self, secret: Obj) -> bool:
        """Create the Secret of a SealedSecret never synced (one call, no read); False if it exists."""
        try:
            self.owned.wrote(self.ctx.kube.create(secret))
        except KubeConflict:
            return False
        return True

    def _status(self, obj: Obj, error: str) -> None:
        """observedGeneration and the Synced condition (message: why not), patched when changed."""
        meta = obj.get("metadata") or {}
        status = obj.get("status") or {}
        old = list(status.get("conditions") or [])
        conditions = set_condition(
            old,
            "Synced",
            "False" if error else "True",
            "",
            error,
            update_time_field="lastUpdateTime",
        )
        new = {"observedGeneration": meta.get("generation"), "conditions": conditions}
        self.write_status(obj, API_VERSION, KIND, new, deferred=True)
