"""Per-source status, shaped like kstatus, stored in the cluster; Kubernetes Events.

Status lives in a ConfigMap ``secretsops-status-<source>`` in the engine's namespace (labels
``app.kubernetes.io/managed-by=secretsops``, ``secretsops.io/component=status``), key
``status.json``: ``conditions`` (Ready / Reconciling / Stalled with reason, message and
lastTransitionTime), ``lastAppliedRevision``, ``lastAttemptedRevision``, counts, drifted ids.
Messages name files and objects only: they are built from ``SecretsOpsError`` texts.

A person confirms a blocked mass prune by annotating that ConfigMap with
``secretsops.io/allow-mass-prune=<commit>``: the confirmation is bound to one commit.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from secretsops.kube import KubeClient
from secretsops.manifests import Obj

STATUS_KEY = "status.json"
COMPONENT_LABEL = "secretsops.io/component"
LABELS = {"app.kubernetes.io/managed-by": "secretsops", COMPONENT_LABEL: "status"}
ALLOW_MASS_PRUNE = "secretsops.io/allow-mass-prune"
SOURCE_LABEL = "secretsops.io/source"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def configmap_name(source: str) -> str:
    return f"secretsops-status-{source}"


@dataclass
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str = ""
    lastTransitionTime: str = field(default_factory=now)  # noqa: N815 - kstatus field name


@dataclass
class SourceStatus:
    source: str
    conditions: list[Condition] = field(default_factory=list)
    lastAppliedRevision: str = ""  # noqa: N815
    lastAttemptedRevision: str = ""  # noqa: N815
    lastReconcileTime: str = ""  # noqa: N815
    objects: int = 0
    applied: int = 0
    pruned: int = 0
    drifted: list[str] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    def set(self, type_: str, status: str, reason: str, message: str = "") -> None:
        """Set a condition; lastTransitionTime moves only when the status changes (kstatus)."""
        old = self.condition(type_)
        if old is not None and old.status == status:
            old.reason, old.message = reason, message
            return
        self.conditions = [c for c in self.conditions if c.type != type_]
        self.conditions.append(Condition(type_, status, reason, message))
        self.conditions.sort(key=lambda c: ("Ready", "Reconciling", "Stalled").index(c.type))

    def ready(self, reason: str, message: str) -> None:
        self.set("Ready", "True", reason, message)
        self.set("Reconciling", "False", reason)
        self.set("Stalled", "False", reason)

    def progressing(self, reason: str, message: str) -> None:
        self.set("Ready", "Unknown", reason, message)
        self.set("Reconciling", "True", reason, message)
        self.set("Stalled", "False", reason)

    def failed(self, reason: str, message: str, *, stalled: bool) -> None:
        self.set("Ready", "False", reason, message)
        self.set("Reconciling", "False" if stalled else "True", reason, "" if stalled else message)
        self.set("Stalled", "True" if stalled else "False", reason, message if stalled else "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str, source: str) -> SourceStatus:
        raw: dict[str, Any] = json.loads(text or "{}")
        conds = [Condition(**c) for c in raw.pop("conditions", []) if isinstance(c, dict)]
        raw["source"] = source
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(conditions=conds, **known)


@dataclass
class StatusStore:
    kube: KubeClient
    namespace: str

    def load(self, source: str) -> tuple[SourceStatus, dict[str, str]]:
        """The stored status and the ConfigMap's annotations (for mass-prune confirmation)."""
        cm = self.kube.get("v1", "ConfigMap", self.namespace, configmap_name(source))
        if cm is None:
            return SourceStatus(source), {}
        annotations = dict((cm.get("metadata") or {}).get("annotations") or {})
        text = (cm.get("data") or {}).get(STATUS_KEY) or "{}"
        try:
            return SourceStatus.from_json(text, source), annotations
        except (ValueError, TypeError):
            return SourceStatus(source), annotations

    def save(self, status: SourceStatus) -> None:
        self.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": configmap_name(status.source),
                    "namespace": self.namespace,
                    "labels": {**LABELS, SOURCE_LABEL: status.source},
                },
                "data": {STATUS_KEY: status.to_json()},
            }
        )

    def list_all(self) -> list[SourceStatus]:
        items = self.kube.list_objects("v1", "ConfigMap", self.namespace, f"{COMPONENT_LABEL}=status")
        out: list[SourceStatus] = []
        for cm in items:
            source = str(((cm.get("metadata") or {}).get("labels") or {}).get(SOURCE_LABEL) or "")
            text = (cm.get("data") or {}).get(STATUS_KEY) or "{}"
            try:
                out.append(SourceStatus.from_json(text, source))
            except (ValueError, TypeError):
                continue
        return sorted(out, key=lambda s: s.source)

    def ensure_namespace(self) -> None:
        self.kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}})

    def event(self, source: str, reason: str, message: str, *, warning: bool = False) -> Obj:
        """A core/v1 Event about the source's status ConfigMap (what ``kubectl describe`` shows)."""
        stamp = now()
        name = configmap_name(source)
        return self.kube.create(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{name}.{os.urandom(8).hex()}", "namespace": self.namespace},
                "involvedObject": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "namespace": self.namespace,
                    "name": name,
                },
                "reason": reason,
                "message": message[:1024],
                "type": "Warning" if warning else "Normal",
                "source": {"component": "secretsops"},
                "reportingComponent": "secretsops",
                "reportingInstance": "secretsops",
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "count": 1,
            }
        )


def table(statuses: list[SourceStatus], width: int | None = None) -> str:
    """What ``secretsops status`` prints: one row per source.

    A message is never cut: with ``width`` (a terminal's) the MESSAGE column wraps to fit it, the
    continuation lines indented under the column; without (a pipe, a file) each row is one line,
    whole, so scripts and ``grep`` see every word.
    """
    rows = [["SOURCE", "READY", "REASON", "REVISION", "OBJECTS", "DRIFTED", "MESSAGE"]]
    for st in statuses:
        ready = st.condition("Ready")
        rows.append(
            [
                st.source,
                ready.status if ready else "Unknown",
                ready.reason if ready else "",
                st.lastAppliedRevision or "-",
                str(st.objects),
                str(len(st.drifted)),
                (ready.message if ready else "").replace("\n", " "),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    indent = sum(widths) + 2 * len(widths)
    room = max(width - indent, 20) if width else None
    lines: list[str] = []
    for row in rows:
        head = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  "
        message = row[-1]
        if room is None or len(message) <= room:
            lines.append((head + message).rstrip())
            continue
        first, *rest = textwrap.wrap(message, room, break_on_hyphens=False)
        lines.append(head + first)
        lines.extend(" " * indent + part for part in rest)
    return "\n".join(lines) + "\n"
