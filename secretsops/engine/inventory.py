"""Which objects a source applied, stored in the cluster so pruning survives restarts.

One ConfigMap per source, ``secretsops-inventory-<source>`` in the engine's namespace, with a
single key ``inventory`` holding a JSON list of ``[apiVersion, kind, namespace, name]``: object
ids only, never a value. Entries are sorted so the ConfigMap only changes when the set does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from secretsops.kube import KubeClient
from secretsops.manifests import Obj, ObjectId

INVENTORY_KEY = "inventory"
LABELS = {"app.kubernetes.io/managed-by": "secretsops", "secretsops.io/component": "inventory"}


@dataclass(frozen=True, order=True)
class Entry:
    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Obj) -> Entry:
        meta = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion")),
            str(obj.get("kind")),
            str(meta.get("namespace") or ""),
            str(meta.get("name")),
        )

    @property
    def id(self) -> ObjectId:
        group = self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""
        return ObjectId(group, self.kind, self.namespace, self.name)


def configmap_name(source: str) -> str:
    return f"secretsops-inventory-{source}"


def stale_entries(old: list[Entry], desired: list[Entry]) -> list[Entry]:
    """Entries to prune: in the old inventory, not declared now (matched by id, not version)."""
    wanted = {e.id for e in desired}
    return [e for e in old if e.id not in wanted]


def load(kube: KubeClient, namespace: str, source: str) -> list[Entry]:
    cm = kube.get("v1", "ConfigMap", namespace, configmap_name(source))
    if cm is None:
        return []
    raw = (cm.get("data") or {}).get(INVENTORY_KEY) or "[]"
    return sorted(Entry(*row) for row in json.loads(raw))


def save(kube: KubeClient, namespace: str, source: str, entries: list[Entry]) -> None:
    rows = [[e.api_version, e.kind, e.namespace, e.name] for e in sorted(set(entries))]
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": configmap_name(source), "namespace": namespace, "labels": dict(LABELS)},
            "data": {INVENTORY_KEY: json.dumps(rows, separators=(",", ":"))},
        }
    )
