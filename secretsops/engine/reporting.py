"""What a pass tells the world: the PassResult, kstatus conditions, Events, error metrics.

Messages come from ``SecretsOpsError`` texts (files, objects, fields), never values. Events are
recorded on changes only: a new revision applied, something pruned or healed, drift reported, or
a failure whose message differs from the last one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from secretsops.decryptors.base import DecryptFailed
from secretsops.engine.drift import Drift
from secretsops.engine.metrics import EngineMetrics
from secretsops.engine.source import Revision
from secretsops.engine.status import SourceStatus, StatusStore
from secretsops.errors import (
    ApplyRejected,
    KubeRejected,
    PruneGuardTripped,
    RenderError,
    SecretsOpsError,
    SignatureError,
    SourceError,
)
from secretsops.manifests import ObjectId

log = logging.getLogger("secretsops.engine")
#: at most this many drifted/unhealthy objects are listed in the status ConfigMap (1 MiB limit)
MAX_LISTED = 100


@dataclass
class PassResult:
    source: str
    ok: bool
    revision: str = ""
    rendered: bool = False
    applied: list[ObjectId] = field(default_factory=list)
    pruned: list[ObjectId] = field(default_factory=list)
    drifted: list[Drift] = field(default_factory=list)
    healed: bool = False
    error: str = ""
    reason: str = ""
    temporary: bool = False
    would_prune: list[ObjectId] = field(default_factory=list)
    #: ExternalSecrets waiting for a store or auth Secret not in the API server yet (one line each)
    waiting: list[str] = field(default_factory=list)


def reason_for(exc: SecretsOpsError) -> str:
    """kstatus-style reasons, as Flux names them where it has one."""
    named = getattr(exc, "condition_reason", "")
    if isinstance(named, str) and named:  # DependencyNotReady, HealthCheckFailed
        return named
    if isinstance(exc, PruneGuardTripped):
        return "PruneGuardTripped"
    if isinstance(exc, SignatureError):
        return "VerificationFailed"
    if isinstance(exc, SourceError):
        return "ArtifactFailed"
    if isinstance(exc, DecryptFailed):
        return "DecryptionFailed"
    if isinstance(exc, RenderError):
        return "BuildFailed"
    if isinstance(exc, ApplyRejected | KubeRejected):
        return "ApplyRejected"
    return "ReconciliationFailed"


@dataclass
class Reporter:
    source: str
    store: StatusStore
    metrics: EngineMetrics
    dry_run: bool = False

    def success(self, st: SourceStatus, rev: Revision, result: PassResult) -> None:
        previous = st.lastAppliedRevision
        if not self.dry_run:
            st.lastAppliedRevision = str(rev)
        st.drifted = [] if result.healed else [d.describe() for d in result.drifted[:MAX_LISTED]]
        if result.applied:
            st.applied = len(result.applied)
        st.pruned = len(result.pruned)
        message = f"Applied revision: {rev}"
        if result.reason == "HealthCheckFailed":
            st.failed(
                "HealthCheckFailed", f"{message}; unhealthy: {'; '.join(st.unhealthy)[:500]}", stalled=False
            )
        elif result.reason == "Progressing":
            st.progressing("Progressing", f"{message}; waiting for: {'; '.join(st.unhealthy)[:500]}")
        elif st.drifted:
            result.reason = "DriftDetected"
            st.ready("DriftDetected", f"{message}; {len(st.drifted)} object(s) drifted (self-heal off)")
        else:
            result.reason = result.reason or "ReconciliationSucceeded"
            st.ready("ReconciliationSucceeded", message)
        if self.dry_run:
            return
        if result.rendered and (str(rev) != previous or result.pruned or result.healed):
            detail = f"{len(result.applied)} applied, {len(result.pruned)} pruned"
            if result.healed:
                detail += f", {len(result.drifted)} drifted object(s) healed"
            self.event("ReconciliationSucceeded", f"Applied revision {rev}: {detail}")
        if result.drifted and not result.healed:
            ids = ", ".join(str(d.id) for d in result.drifted)[:800]
            self.event("DriftDetected", f"Drift (not healed): {ids}", warning=True)

    def failure(self, st: SourceStatus, exc: SecretsOpsError, result: PassResult) -> None:
        result.ok = False
        result.error = str(exc)
        result.reason = reason_for(exc)
        result.temporary = bool(exc.temporary)
        self.metrics.errors.labels(self.source, result.reason).inc()
        ready = st.condition("Ready")
        repeated = ready is not None and ready.message == result.error
        st.failed(result.reason, result.error, stalled=not result.temporary)
        log.error("reconcile failed", extra={"source": self.source, "reason": result.reason})
        if not repeated and not self.dry_run:
            self.event(result.reason, result.error, warning=True)

    def save(self, st: SourceStatus) -> None:
        try:
            self.store.ensure_namespace()
            self.store.save(st)
        except SecretsOpsError as exc:
            log.error("cannot store status", extra={"source": self.source, "reason": type(exc).__name__})

    def event(self, reason: str, message: str, *, warning: bool = False) -> None:
        try:
            self.store.ensure_namespace()
            self.store.event(self.source, reason, message, warning=warning)
        except SecretsOpsError:
            log.warning("cannot record event", extra={"source": self.source, "reason": reason})
