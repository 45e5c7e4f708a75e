"""The reconcile loop: one atomic, fail-closed pass per source, repeated on an interval.

A pass renders, decrypts and checks everything *before* it writes anything: if any file fails
to render, any object fails to decrypt or resolve, or the mass-prune guard trips, nothing of
the pass is applied and the cluster keeps the last good state. Temporary failures (git or the
API unreachable, 409/429/5xx, a key service down) are retried with backoff; permanent ones
stall the source with a condition until the next commit or interval.

Plaintext lives only in the local variables of ``_full_pass``. What survives a pass is the
applied commit, HMAC fingerprints for drift detection, and the data-key cache.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from secretsops.decryptors.base import DecryptCache, Decryptor
from secretsops.engine import apply, health, inventory
from secretsops.engine.config import EngineSettings, SourceSpec
from secretsops.engine.decryption_secret import decryption_keys
from secretsops.engine.dependencies import REQUEUE_DEPENDENCY, check_ready, dependency_order
from secretsops.engine.drift import Fingerprinter, ObjectPrint
from secretsops.engine.flux_overlay import apply_overlay
from secretsops.engine.impersonation import source_client
from secretsops.engine.metrics import EngineMetrics
from secretsops.engine.passreads import PassReads
from secretsops.engine.pipeline import Pipeline, build_pipeline
from secretsops.engine.postbuild import add_common_metadata, load_variables, substitute
from secretsops.engine.proc import ProcessRunner
from secretsops.engine.render import render_path
from secretsops.engine.reporting import MAX_LISTED, PassResult, Reporter
from secretsops.engine.rollout import pass_hook
from secretsops.engine.source import Revision
from secretsops.engine.status import ALLOW_MASS_PRUNE, SOURCE_LABEL, SourceStatus, StatusStore
from secretsops.errors import (
    EngineError,
    KubeError,
    KubeRejected,
    PruneGuardTripped,
    RenderError,
    SecretsOpsError,
)
from secretsops.external.refresh import next_refresh_at
from secretsops.keysources.base import KeyContext
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, ObjectId, SourcedObject

log = logging.getLogger("secretsops.engine")

#: kinds the decryptors read whose namespace decides what they open or find (kubectl: namespaced)
_NAMESPACED_INPUT_KINDS = frozenset({"Secret", "ConfigMap", "SealedSecret", "ExternalSecret", "SecretStore"})
#: cluster-scoped kinds (built-in, and ESO's cluster kinds) that never get a namespace
_NOT_PRE_SCOPED = apply.CLUSTER_SCOPED_KINDS | {"ClusterSecretStore", "ClusterExternalSecret"}
#: what "no key found" says when a source has no decryption Secret (not the sops variables)
NO_DECRYPTION_SECRET = (
    "give the engine a decryption Secret with the key: --decryption-secret NAMESPACE/NAME "
    "(age: an entry named *.agekey), or decryption.secretRef in the sources file"
)
#: seconds before a pass with ExternalSecrets waiting for a store (or auth Secret) it applied runs
#: again; doubled while they keep waiting (at most the source's interval)
WAITING_RETRY = 2.0
#: the decryptor whose objects can wait for what the same pass applies (a SecretStore, an auth
#: Secret): the retry of such a pass starts there (engine.pipeline ``keep_before``/``start_at``)
WAITING_DECRYPTOR = "external"


class InternalError(EngineError):
    """An unexpected exception in a pass; only its type is reported (its text may quote input).

    Permanent: the same input reproduces the same bug (a RecursionError from deep nesting, a
    MemoryError from an alias bomb), so retrying with backoff only burns CPU and key-service
    calls. The source stalls with the error until the next commit or interval.
    """

    temporary = False


class Source(Protocol):
    def sync(self) -> Revision: ...
    def close(self) -> None: ...


@dataclass
class Deps:
    """Everything a pass talks to, built once at the edge (CLI, tests, benchmarks)."""

    kube: KubeClient
    runner: ProcessRunner
    decryptors: list[Decryptor]
    metrics: EngineMetrics
    #: credential variables snapshot (the sops environment variables work too)
    edge_env: Mapping[str, str] = field(default_factory=dict)
    fingerprinter: Fingerprinter = field(default_factory=Fingerprinter)
    sleep: Callable[[float], None] = time.sleep


class SourceReconciler:
    """One source's state across passes: applied commit, fingerprints, data-key cache."""

    def __init__(self, spec: SourceSpec, source: Source, settings: EngineSettings, deps: Deps) -> None:
        self.spec = spec
        self.source = source
        self.settings = settings
        self.deps = deps
        #: what the source does in the cluster (apply, prune, drift reads, ExternalSecret
        #: lookups): as its serviceAccountName when it has one (engine.impersonation)
        self.kube = source_client(deps.kube, spec, settings)
        self.store = StatusStore(deps.kube, settings.namespace)
        self.reporter = Reporter(spec.name, self.store, deps.metrics, settings.dry_run)
        #: what decryption keeps across passes (data keys, keyring, connections; never plaintext)
        self.cache = DecryptCache()
        #: what the pass hooks keep across passes (the rollout key)
        self.hook_cache: dict[str, Any] = {}
        #: collections whose LIST RBAC refused to the engine's / the source's identity (passreads)
        self.list_refused: tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]] = (set(), set())
        self.prints: dict[ObjectId, ObjectPrint] = {}
        #: keyed digests of what the last passes applied (a full pass writes only what changed)
        self.last_applied = apply.LastApplied()
        self.applied_commit = ""
        self.allow_mass_prune_once = settings.allow_mass_prune
        self.failures = 0
        #: monotonic time when an ExternalSecret of this source is due for refresh (None: never)
        self.external_due: float | None = None
        #: consecutive passes that left ExternalSecrets waiting (their retry backs off)
        self.waiting_passes = 0
        self.status = SourceStatus(spec.name)
        self._status_loaded = False
        #: the other sources of this engine by name (dependsOn looks their status up)
        self.peers: dict[str, SourceReconciler] = {}

    # --- one pass ---------------------------------------------------------------------------
    def reconcile(self) -> PassResult:
        started = time.monotonic()
        name = self.spec.name
        result = PassResult(name, ok=False)
        annotations: dict[str, str] = {}
        try:
            if not self._status_loaded:
                self.status, annotations = self.store.load(name)
                self._status_loaded = not self.settings.dry_run
            elif not self.settings.dry_run:
                _, annotations = self.store.load(name)
            if self.spec.suspend:
                log.info("source suspended", extra={"source": name})
                result.ok, result.reason = True, "Suspended"
                return result
            check_ready(self.spec, dict(self.peers))
            rev = self.source.sync()
            result.revision = str(rev)
            self.status.lastAttemptedRevision = str(rev)
            refresh_due = self.external_due is not None and time.monotonic() >= self.external_due
            if rev.commit == self.applied_commit and self.prints and not refresh_due:
                self._drift_pass(rev, result, annotations)
            else:
                kept = self._full_pass(rev, result, annotations)
                if result.waiting and not self.settings.dry_run:
                    # the stores and auth Secrets they wait for were applied by that pass and
                    # are in the API server now: resolve once more at once (then after 2 s, doubling),
                    # from the objects as the waiting decryptor saw them (not rendered or decrypted again)
                    result.waiting = []
                    self._full_pass(rev, result, annotations, resume=kept)
            result.ok = True
            self.failures = 0
            self._record_success(rev, result)
        except SecretsOpsError as exc:
            self._record_failure(exc, result)
        except Exception as exc:  # noqa: BLE001 - a bug must not end the loop or leak its text
            log.error("internal error in pass", extra={"source": name, "reason": type(exc).__name__})
            self._record_failure(InternalError(f"internal error ({type(exc).__name__})"), result)
        finally:
            elapsed = time.monotonic() - started
            self.deps.metrics.duration.labels(name).observe(elapsed)
            self.deps.metrics.ready.labels(name).set(1 if result.ok else 0)
            self.status.lastReconcileTime = _now()
            if not self.settings.dry_run:
                self._save_status()
            log.log(
                logging.INFO if result.ok else logging.WARNING,
                "pass finished" if result.ok else "pass failed",
                extra={
                    "source": name,
                    "revision": result.revision,
                    "duration": round(elapsed, 3),
                    "reason": result.reason,
                },
            )
        return result

    def _schedule_refresh(self, items: list[SourcedObject]) -> None:
        """ExternalSecrets re-resolve on their ``refreshInterval`` even without a git change."""
        now = datetime.now(UTC)
        due = next_refresh_at([i.obj for i in items], now)
        self.external_due = None if due is None else time.monotonic() + (due - now).total_seconds()

    def _drift_pass(self, rev: Revision, result: PassResult, annotations: dict[str, str]) -> None:
        """Unchanged revision: no render, no decrypt; compare live fingerprints only."""
        live = self._live_objects()
        drifts = [
            d
            for oid, fp in self.prints.items()
            if (d := self.deps.fingerprinter.compare(oid, fp, live.get(oid))) is not None
        ]
        result.drifted = drifts
        self._health([o for o in live.values() if o is not None], result)
        if drifts:
            self.deps.metrics.drifted.labels(self.spec.name).inc(len(drifts))
            for d in drifts:
                log.warning("drift detected", extra={"source": self.spec.name, "object": str(d.id)})
            if self.spec.self_heal and not self.settings.dry_run:
                self._full_pass(rev, result, annotations, only={d.id for d in drifts})
                result.healed = True
                result.drifted = drifts

    def _live_objects(self) -> dict[ObjectId, Obj | None]:
        """Live copies of what we applied: one labelled LIST per kind, not one GET per object.

        A source acting as a ServiceAccount lists per kind *and namespace*: a tenant's RBAC rarely
        allows listing across all namespaces.
        """
        per_namespace = self.kube.impersonate is not None
        scopes = {
            (fp.api_version, fp.kind, oid.namespace if per_namespace else "")
            for oid, fp in self.prints.items()
        }
        found: dict[ObjectId, Obj | None] = dict.fromkeys(self.prints)
        selector = f"{SOURCE_LABEL}={self.spec.name}"
        for api_version, kind, namespace in sorted(scopes):
            for obj in self.kube.list_objects(api_version, kind, namespace, selector):
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", kind)
                oid = ObjectId.of(obj)
                if oid in found:
                    found[oid] = obj
        return found

    def _in_sync(self, desired: list[Obj]) -> dict[ObjectId, Obj]:
        """Objects declared as the last pass applied them and not drifted since: neither dry-run
        nor written again (engine.apply). One labelled LIST per kind, as the drift check."""
        if not self.prints:
            return {}
        try:
            live = self._live_objects()
        except KubeError:
            return {}  # validate and write everything; the apply reports what is wrong
        return self.last_applied.in_sync(desired, self.deps.fingerprinter, self.prints, live)

    def _full_pass(
        self,
        rev: Revision,
        result: PassResult,
        annotations: dict[str, str],
        only: set[ObjectId] | None = None,
        resume: list[SourcedObject] | None = None,
    ) -> list[SourcedObject] | None:
        """Render, decrypt, guard, then apply (everything, or ``only`` the drifted objects).

        Returns the objects as they reached the decryptor that can leave ExternalSecrets waiting
        (``WAITING_DECRYPTOR``), when it had any to look at: passed back as ``resume``, the same
        revision's retry starts there instead of rendering and decrypting everything again.
        """
        spec, settings, deps = self.spec, self.settings, self.deps
        result.rendered = True
        if resume is None:
            target = rev.checkout / spec.path
            if not target.exists():
                raise RenderError(f"path not found in {rev}", file=spec.path)
            items = render_path(target, runner=deps.runner, root=rev.checkout)
            items = apply_overlay(items, spec.overlay, deps.runner, settings.work_dir)
        else:
            items = resume
        if only is None:
            # also on the retry: the first round's report set a retry in 2 s, replaced here by
            # the ExternalSecrets' own refreshInterval
            self._schedule_refresh(items)
        # the decryptors' reads of stores and auth Secrets, answered once per decryption
        engine_reads = PassReads.over(deps.kube, self.list_refused[0])
        source_reads = PassReads.over(self.kube, self.list_refused[1])
        with self._key_context() as keys:
            pipeline = build_pipeline(
                keys,
                decryptors=deps.decryptors,
                kube=engine_reads,
                source_kube=source_reads,
                sealing_key_namespace=settings.sealing_key_namespace,
                cache=self.cache,
                scope=self._pre_scope,
            )
            try:
                try:
                    if resume is None:
                        items = pipeline.run(items, keep_before=WAITING_DECRYPTOR)
                    else:
                        items = pipeline.run(items, start_at=WAITING_DECRYPTOR)
                finally:
                    engine_reads.stop()
                    source_reads.stop()
                items = self._post_build(items)
                desired = [apply.prepare(i, spec.target_namespace) for i in items]
            finally:
                self._count_calls(keys, pipeline)
        add_common_metadata(desired, spec.common_metadata)
        waiting: list[Any] = list(pipeline.context.scratch.waiting)
        for item, obj in zip(items, desired, strict=True):
            if "sops" in obj and isinstance(obj["sops"], dict):
                raise RenderError(
                    "still SOPS-encrypted (no sops decryptor installed?)",
                    file=item.where,
                    object=str(item.id),
                )
            obj["metadata"].setdefault("labels", {})[SOURCE_LABEL] = spec.name
        self._scope_namespaces(desired)
        desired = pass_hook(desired, deps.kube, settings.namespace, self.hook_cache, settings.dry_run)
        self._check_unique(desired)
        entries = [inventory.Entry.of(o) for o in desired]
        old = inventory.load(deps.kube, settings.namespace, spec.name)
        stale = inventory.stale_entries(old, entries) if spec.prune else []
        stale, entries = self._keep_waiting(waiting, old, stale, entries)
        self._guard(rev, old, stale, entries, annotations)
        if settings.dry_run:
            apply.validate(self.kube, desired)  # as the source: what it may not write fails here too
            result.applied = [ObjectId.of(o) for o in desired]
            result.would_prune = [e.id for e in stale]
            self._report_waiting(waiting, result)
            return pipeline.kept
        self.store.ensure_namespace()
        outcome = apply.ApplyResult()
        targets = desired if only is None else [o for o in desired if ObjectId.of(o) in only]
        in_sync = self._in_sync(targets) if only is None else {}
        apply.apply_all(self.kube, targets, outcome, unchanged=in_sync)
        apply.prune(self.kube, stale, outcome)
        inventory.save(deps.kube, settings.namespace, spec.name, entries)
        self.last_applied.remember(targets, deps.fingerprinter, replace=only is None)
        prints = {
            oid: deps.fingerprinter.print_of(o, outcome.live.get(oid))
            for o in targets
            if (oid := ObjectId.of(o)) is not None
        }
        if only is None:
            self.prints = prints
        else:
            self.prints.update(prints)
        self.applied_commit = rev.commit
        self.allow_mass_prune_once = False
        result.applied, result.pruned = outcome.applied, outcome.pruned
        deps.metrics.applied.labels(spec.name).inc(len(outcome.applied))
        deps.metrics.pruned.labels(spec.name).inc(len(outcome.pruned))
        self._health(self._await_health(outcome.live), result)
        self._report_waiting(waiting, result)
        self.status.objects = len(entries)
        return pipeline.kept

    def _post_build(self, items: list[SourcedObject]) -> list[SourcedObject]:
        """Flux's postBuild substitution, on decrypted objects (as Flux orders it); variables
        read as the source (its ServiceAccount) from the Kustomization's namespace."""
        post = self.spec.post_build
        if post is None:
            return items
        values = load_variables(post, self.kube, self.spec.namespace or self.settings.namespace)
        return substitute(items, values, strict=post.strict)

    def _await_health(self, applied: Mapping[ObjectId, Obj]) -> list[Obj]:
        """``wait``: every applied object Current (the ``healthChecks`` list is then not used,
        as in Flux); else ``healthChecks``: the listed ones; within the source's timeout.
        Without either, the live objects as the apply returned them."""
        spec = self.spec
        if not spec.wait and not spec.health_checks:
            return list(applied.values())
        refs: list[tuple[str, str, str, str]] = []
        if spec.wait:
            for obj in applied.values():
                meta = obj.get("metadata") or {}
                ns, name = str(meta.get("namespace") or ""), str(meta.get("name"))
                refs.append((str(obj.get("apiVersion")), str(obj.get("kind")), ns, name))
        for ref in () if spec.wait else spec.health_checks:
            ns = ref.namespace or spec.target_namespace or spec.namespace or self.settings.namespace
            refs.append((ref.api_version, ref.kind, ns, ref.name))

        def fetch() -> list[tuple[str, Obj | None]]:
            return [
                (f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}", self.kube.get(api, kind, ns, name))
                for api, kind, ns, name in refs
            ]

        return health.wait_until_current(fetch, spec.pass_timeout, self.deps.sleep)

    @staticmethod
    def _keep_waiting(
        waiting: list[Any],
        old: list[inventory.Entry],
        stale: list[inventory.Entry],
        entries: list[inventory.Entry],
    ) -> tuple[list[inventory.Entry], list[inventory.Entry]]:
        """A waiting ExternalSecret's Secret stays (not pruned, still in the inventory)."""
        if not waiting:
            return stale, entries
        keep = {("Secret", w.namespace, w.secret_name) for w in waiting}
        kept = [e for e in old if e.api_version == "v1" and (e.kind, e.namespace, e.name) in keep]
        stale = [e for e in stale if e not in kept]
        return stale, entries + [e for e in kept if e not in entries]

    def _report_waiting(self, waiting: list[Any], result: PassResult) -> None:
        """ExternalSecrets waiting for a store or auth Secret this pass applies (or, under
        --dry-run, would apply): Progressing, listed in the status, and retried shortly."""
        if not waiting:
            self.waiting_passes = 0
            return
        result.waiting = [str(w) for w in waiting]
        for w in waiting:
            log.warning("ExternalSecret waits", extra={"source": self.spec.name, "reason": str(w)})
        self.status.unhealthy = (self.status.unhealthy + [str(w) for w in waiting])[:MAX_LISTED]
        if not result.reason:
            result.reason = "Progressing"
        self.applied_commit = ""  # the next pass renders and resolves again, not a drift check
        delay = WAITING_RETRY * 2 ** min(self.waiting_passes, 10)
        self.waiting_passes += 1
        due = time.monotonic() + min(delay, self.spec.interval)
        self.external_due = due if self.external_due is None else min(self.external_due, due)

    def _guard(
        self,
        rev: Revision,
        old: list[inventory.Entry],
        stale: list[inventory.Entry],
        desired: list[inventory.Entry],
        annotations: dict[str, str],
    ) -> None:
        """Never prune the cluster empty because a render suddenly lost most objects."""
        if not stale or self.allow_mass_prune_once:
            return
        mass = not desired or (len(stale) > self.settings.mass_prune_ratio * len(old) and len(stale) > 1)
        if not mass:
            return
        confirmed = annotations.get(ALLOW_MASS_PRUNE, "")
        if len(confirmed) >= 7 and rev.commit.startswith(confirmed):
            return
        raise PruneGuardTripped(
            f"revision {rev} would prune {len(stale)} of {len(old)} objects (keeps {len(desired)}); "
            f"nothing applied. If intended, run: kubectl -n {self.settings.namespace} annotate configmap "
            f"secretsops-status-{self.spec.name} {ALLOW_MASS_PRUNE}={rev.commit} --overwrite"
        )

    def _pre_scope(self, obj: Obj) -> None:
        """Put an object in the namespace it will live in before a decryptor looks at it.

        Flux's kustomize sets ``targetNamespace`` before the controllers see anything, and kubectl
        puts a namespace-less object in ``default``: the sealed-secrets controller opens a
        SealedSecret with *that* namespace in its label, ESO looks up stores and auth Secrets
        there and hashes it into ``created-by``. SOPS documents keep their file's identity until
        decrypted (their MAC is verified from the file's bytes, matched by identity).
        """
        kind = obj.get("kind")
        meta = obj.get("metadata")
        if "sops" in obj or not isinstance(meta, dict) or kind in _NOT_PRE_SCOPED:
            return
        if self.spec.target_namespace:
            meta["namespace"] = self.spec.target_namespace
        elif not meta.get("namespace") and kind in _NAMESPACED_INPUT_KINDS:
            meta["namespace"] = "default"

    def _scope_namespaces(self, desired: list[Obj]) -> None:
        """As kubectl does: namespaced objects without one go to ``default`` (or the target
        namespace); cluster-scoped ones lose a namespace they should not have. Kinds the server
        does not serve yet (CRDs applied in this pass) are left as declared."""
        crd_kinds = {
            str(((o.get("spec") or {}).get("names") or {}).get("kind"))
            for o in desired
            if o.get("kind") == "CustomResourceDefinition"
        }
        for obj in desired:
            meta = obj["metadata"]
            if obj.get("kind") in crd_kinds:
                if not meta.get("namespace") and self.spec.target_namespace:
                    meta["namespace"] = self.spec.target_namespace
                continue
            try:
                res = self.deps.kube.resource(
                    str(obj.get("apiVersion")), str(obj.get("kind")), str(ObjectId.of(obj))
                )
            except KubeRejected:
                continue
            if not res.namespaced:
                meta.pop("namespace", None)
            elif not meta.get("namespace"):
                meta["namespace"] = self.spec.target_namespace or "default"

    @staticmethod
    def _check_unique(desired: list[Obj]) -> None:
        seen: set[ObjectId] = set()
        for obj in desired:
            oid = ObjectId.of(obj)
            if oid in seen:
                raise RenderError("declared twice (after targetNamespace)", object=str(oid))
            seen.add(oid)

    def _key_context(self) -> AbstractContextManager[KeyContext]:
        """The pass's keys (``*.asc`` entries: a private keyring that ends with the block)."""
        ref = self.spec.decryption_secret
        if ref is None:
            return decryption_keys(self.deps.edge_env, None, no_secret_help=NO_DECRYPTION_SECRET)
        secret = self.deps.kube.get("v1", "Secret", ref.namespace, ref.name)
        if secret is None:
            raise EngineError(f"decryption Secret {ref} not found")
        return decryption_keys(self.deps.edge_env, secret, f"decryption Secret {ref}")

    def _count_calls(self, keys: KeyContext, pipeline: Pipeline) -> None:
        """Key-service calls by kind (age, kms, hc_vault, pgp) plus providers' own counters."""
        calls = pipeline.context.calls
        counted = {**{k: v for k, v in calls.items() if k != "sops.key_calls"}, **keys.calls}
        for kind, n in counted.items():
            if n:
                self.deps.metrics.decrypt_calls.labels(self.spec.name, kind).inc(n)

    def _health(self, live: list[Obj], result: PassResult) -> None:
        unhealthy: list[str] = []
        failed = False
        for obj in live:
            h = health.compute(obj)
            if h.status != health.Status.CURRENT:
                unhealthy.append(f"{ObjectId.of(obj)}: {h.status.value} ({h.message})")
                failed = failed or h.status == health.Status.FAILED
        self.status.unhealthy = unhealthy[:MAX_LISTED]
        result.reason = "HealthCheckFailed" if failed else ("Progressing" if unhealthy else "")

    # --- status -----------------------------------------------------------------------------
    def _record_success(self, rev: Revision, result: PassResult) -> None:
        self.reporter.success(self.status, rev, result)

    def _record_failure(self, exc: SecretsOpsError, result: PassResult) -> None:
        self.failures += 1
        self.reporter.failure(self.status, exc, result)

    def _save_status(self) -> None:
        self.reporter.save(self.status)

    def next_delay(self, result: PassResult) -> float:
        """Interval after success or a permanent failure; capped exponential backoff otherwise."""
        if not result.ok and result.reason == "DependencyNotReady":
            return min(self.spec.interval, REQUEUE_DEPENDENCY)
        if not result.ok and self.spec.retry_interval is not None:
            return self.spec.retry_interval
        if result.ok or not result.temporary:
            if self.external_due is not None:
                return max(0.05, min(self.spec.interval, self.external_due - time.monotonic()))
            return self.spec.interval
        backoff = min(self.spec.interval, 2.0 * (2 ** min(self.failures - 1, 10)))
        return backoff * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto

    def close(self) -> None:
        self.source.close()


def _now() -> str:
    from secretsops.engine.status import now

    return now()


@dataclass
class Engine:
    """Several sources on their own schedules; lives on through any single failure."""

    reconcilers: list[SourceReconciler]
    settings: EngineSettings
    deps: Deps
    stop: threading.Event = field(default_factory=threading.Event)
    #: monotonic time of the loop's last iteration (liveness for /healthz)
    heartbeat: float = field(default_factory=time.monotonic)
    #: passes asked for from outside (POST /reconcile, /refresh): source name ("" = all) -> full
    asked: dict[str, bool] = field(default_factory=dict)
    wake: threading.Event = field(default_factory=threading.Event)
    _asked_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """dependsOn: dependencies run first in a round, and each source sees the others' status."""
        self.reconcilers = dependency_order(self.reconcilers)
        peers = {r.spec.name: r for r in self.reconcilers}
        for rec in self.reconcilers:
            rec.peers = peers

    def ask(self, source: str = "", *, full: bool = False) -> None:
        """Run a source's (or every source's) next pass now; ``full`` re-renders and re-resolves."""
        with self._asked_lock:
            self.asked[source] = self.asked.get(source, False) or full
        self.wake.set()

    def _take_asked(self, due: dict[int, float]) -> None:
        with self._asked_lock:
            asked, self.asked = self.asked, {}
        for rec in self.reconcilers:
            full = asked.get(rec.spec.name, asked.get("", None))
            if full is None:
                continue
            due[id(rec)] = 0.0
            if full:
                rec.applied_commit = ""

    def run_once(self) -> list[PassResult]:
        return [r.reconcile() for r in self.reconcilers]

    def healthy(self, stale_after: float = 300.0) -> bool:
        """Alive: the loop iterated recently (a pass may take long; a wedged loop does not)."""
        longest = max((r.spec.interval for r in self.reconcilers), default=0.0)
        return time.monotonic() - self.heartbeat < stale_after + longest

    def run_forever(self, is_leader: Callable[[], bool] = lambda: True) -> None:
        due = {id(r): 0.0 for r in self.reconcilers}
        while not self.stop.is_set():
            self.wake.clear()
            self._take_asked(due)
            now = self.heartbeat = time.monotonic()
            for rec in self.reconcilers:
                if due[id(rec)] > now:
                    continue
                if not is_leader():
                    due[id(rec)] = now + 0.5  # standby: is_leader() is a local check
                    continue
                result = rec.reconcile()
                due[id(rec)] = time.monotonic() + rec.next_delay(result)
                if result.ok:  # sources waiting on this one look again now
                    for other in self.reconcilers:
                        if rec.spec.name in other.spec.depends_on:
                            due[id(other)] = min(due[id(other)], time.monotonic())
            wait = max(0.05, min(due.values(), default=5.0) - time.monotonic())
            deadline = time.monotonic() + min(wait, 5.0)
            while not self.stop.is_set() and not self.wake.is_set() and time.monotonic() < deadline:
                self.wake.wait(min(0.25, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        for rec in self.reconcilers:
            rec.close()
