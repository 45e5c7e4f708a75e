"""Which sealing keys are in a backup: recorded on the key Secrets, read by backup and the controllers.

The sealing controller renews its key every 30 days and seals new SealedSecrets with the newest
one; a backup taken before the renewal cannot open them. So ``secretsops backup`` (and
``bootstrap``, for keys it restored from a backup) annotates each key Secret it holds with
``secretsops.io/backed-up-at`` = the backup's ``createdAt``. The annotation holds a time, never
key material, and sits on the Secrets the controller already watches, so a renewal (a new Secret
without the annotation) is noticed at once: the controller exports ``secretsops_sealing_key_backup_stale``
and a kstatus-shaped ``BackedUp`` condition (``backup_condition``), and the next ``backup`` warns.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from secretsops.errors import SecretsOpsError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import SealingKey, key_from_secret
from secretsops.sealed.keyring import cluster_key_secrets, newest_first

log = logging.getLogger("secretsops.backup_state")

BACKED_UP_AT = "secretsops.io/backed-up-at"
#: field manager of the annotation writes (its own, so the controller's fields stay the controller's)
FIELD_MANAGER = "secretsops-backup"
#: the ConfigMap the controllers keep the condition in (in their own namespace)
STATE_CONFIGMAP = "secretsops-backup-state"
STATE_KEY = "status.json"


def backed_up_at(secret: Obj) -> str:
    """The ``createdAt`` of the latest backup holding this key Secret ("" when none is recorded)."""
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(BACKED_UP_AT) or "")


def record(kube: KubeClient, namespace: str, names: Iterable[str], created_at: str) -> None:
    """Annotate key Secrets ``names`` as held by the backup made at ``created_at`` (server-side apply)."""
    for name in names:
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace, "annotations": {BACKED_UP_AT: created_at}},
            },
            field_manager=FIELD_MANAGER,
        )


@dataclass(frozen=True)
class BackupState:
    """The newest sealing key and whether a backup holds it (names, fingerprints and times only)."""

    newest_name: str
    newest_fingerprint: str
    #: createdAt of the latest backup holding the newest key ("" when none does)
    newest_backed_up_at: str
    #: key Secrets (names) no backup is recorded for, newest first
    not_backed_up: tuple[str, ...]

    @property
    def stale(self) -> bool:
        """True when the newest key (the one new SealedSecrets are sealed with) is in no backup."""
        return bool(self.newest_name) and not self.newest_backed_up_at


def state_of(keys: Sequence[SealingKey], secrets: Sequence[Obj]) -> BackupState:
    """The backup state of ``keys`` (newest first) from their Secrets' annotations."""
    recorded = {str((s.get("metadata") or {}).get("name") or ""): backed_up_at(s) for s in secrets}
    missing = tuple(k.name for k in keys if not recorded.get(k.name))
    if not keys:
        return BackupState("", "", "", ())
    newest = keys[0]
    return BackupState(newest.name, newest.fingerprint, recorded.get(newest.name, ""), missing)


def backup_condition(state: BackupState) -> dict[str, str]:
    """A kstatus-shaped condition: ``BackedUp`` True/False with a reason and a message (no values)."""
    if not state.newest_name:
        return {
            "type": "BackedUp",
            "status": "Unknown",
            "reason": "NoSealingKey",
            "message": "no sealing key",
        }
    if state.stale:
        return {
            "type": "BackedUp",
            "status": "False",
            "reason": "NewestKeyNotBackedUp",
            "message": (
                f"sealing key {state.newest_name} ({state.newest_fingerprint}) is in no backup: "
                "run `secretsops backup`"
            ),
        }
    return {
        "type": "BackedUp",
        "status": "True",
        "reason": "NewestKeyBackedUp",
        "message": f"sealing key {state.newest_name} is in the backup of {state.newest_backed_up_at}",
    }


@dataclass
class BackupStateReporter:
    """The controllers' view of the backup state: a gauge and the ``BackedUp`` condition.

    ``refresh`` lists the key Secrets (one LIST), sets ``secretsops_sealing_key_backup_stale``
    and writes the condition to the ConfigMap ``secretsops-backup-state`` in the controllers'
    namespace (``status.json``, only when it changed; ``lastTransitionTime`` moves only when the
    status does, as kstatus). ``run`` refreshes every ``period`` seconds and at once after ``wake``
    (the keyring calls it when keys change); an annotation written by ``backup`` is seen within
    ``period``.
    """

    kube: KubeClient
    sealing_namespace: str
    namespace: str
    registry: CollectorRegistry
    period: float = 60.0
    gauge: Any = field(init=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False)
    #: keys parsed from the key Secrets listed last, by (uid, resourceVersion): parsing an RSA-4096
    #: key (with its validation) costs ≈ 0.3 s of CPU, and the Secrets rarely change
    _parsed: dict[tuple[str, str], SealingKey] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.gauge = Gauge(
            "secretsops_sealing_key_backup_stale",
            "1 when the newest sealing key is in no backup (run `secretsops backup`)",
            ["namespace"],
            registry=self.registry,
        )

    def wake(self) -> None:
        self._wake.set()

    def refresh(self) -> BackupState | None:
        """Read the keys, export the gauge, write the condition; None when the cluster did not answer."""
        try:
            secrets = cluster_key_secrets(self.kube, self.sealing_namespace)
        except SecretsOpsError as exc:
            log.warning("backup state not read", extra={"reason": str(exc)})
            return None
        keys, parsed = [], {}
        for obj in secrets:
            meta = obj.get("metadata") or {}
            name = str(meta.get("name") or "")
            version = (str(meta.get("uid") or name), str(meta.get("resourceVersion") or ""))
            key = self._parsed.get(version) if version[1] else None
            if key is None:
                try:
                    key = key_from_secret(obj, f"secret {self.sealing_namespace}/{name}")
                except SecretsOpsError:
                    continue  # the keyring logs unreadable key Secrets
            if version[1]:
                parsed[version] = key
            keys.append(key)
        self._parsed = parsed  # only the Secrets that exist now
        state = state_of(newest_first(keys), secrets)
        self.gauge.labels(self.sealing_namespace).set(1 if state.stale else 0)
        try:
            self._write(state)
        except SecretsOpsError as exc:
            log.warning("backup state not written", extra={"reason": str(exc)})
        return state

    def _write(self, state: BackupState) -> None:
        condition = backup_condition(state)
        live = self.kube.get("v1", "ConfigMap", self.namespace, STATE_CONFIGMAP)
        old: dict[str, Any] = {}
        if live is not None:
            try:
                old = json.loads(str((live.get("data") or {}).get(STATE_KEY) or "{}"))
            except ValueError:
                old = {}
        previous: dict[str, Any] = next(iter(old.get("conditions") or []), {})
        same_status = previous.get("status") == condition["status"]
        condition["lastTransitionTime"] = (
            str(previous.get("lastTransitionTime"))
            if same_status and previous.get("lastTransitionTime")
            else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        status = {
            "conditions": [condition],
            "sealingKeyNamespace": self.sealing_namespace,
            "newestKey": state.newest_name,
            "newestKeyFingerprint": state.newest_fingerprint,
            "newestKeyBackedUpAt": state.newest_backed_up_at,
            "notBackedUp": list(state.not_backed_up),
        }
        if status == old:
            return
        self.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": STATE_CONFIGMAP,
                    "namespace": self.namespace,
                    "labels": {"app.kubernetes.io/managed-by": "secretsops"},
                },
                "data": {STATE_KEY: json.dumps(status, sort_keys=True)},
            },
            field_manager="secretsops-controllers",
        )

    def run(self, stop: threading.Event) -> None:
        """Refresh every ``period`` seconds, or at once when woken, until ``stop``."""
        while not stop.is_set():
            self.refresh()
            deadline = time.monotonic() + self.period
            while not stop.is_set() and time.monotonic() < deadline and not self._wake.wait(0.5):
                pass
            self._wake.clear()


__all__ = [
    "BACKED_UP_AT",
    "BackupStateReporter",
    "STATE_CONFIGMAP",
    "BackupState",
    "backed_up_at",
    "backup_condition",
    "record",
    "state_of",
]
