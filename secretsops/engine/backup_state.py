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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from secretsops.kube import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import SealingKey

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


__all__ = [
    "BACKED_UP_AT",
    "STATE_CONFIGMAP",
    "BackupState",
    "backed_up_at",
    "backup_condition",
    "record",
    "state_of",
]
