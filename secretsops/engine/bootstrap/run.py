"""Bootstrap a cluster: the keys, deploy/, the sources, then (optionally) the first pass.

The order matters and is the runbook's (docs/disaster-recovery.md):

1. keys in memory (from the backup, the cluster, or new) and the sources configuration;
2. **preflight**: render the repository and open every SOPS object and SealedSecret with those
   keys; any failure stops here, naming them all, before anything is written;
3. the plan: every object as create / update / unchanged (a server-side dry-run apply compared
   with the live object), keys by name and fingerprint (``--dry-run`` prints it and stops; a real
   run reports the same from what each apply did);
4. apply, with server-side apply as field manager ``secretsops-bootstrap``: Namespaces, CRDs
   (waited for), then the **key Secrets**, then RBAC, ConfigMap, Service..., the Deployment
   last, so the controllers never start without their keys (a controller that finds no key
   generates one, and SealedSecrets sealed for the old keys stay closed);
5. ``run_once``: one engine pass from this machine (in-process, with the cluster's admin
   credentials, the decryption Secret read from the cluster as the Deployment would): the
   cluster is complete without waiting for the Pods to be scheduled and pull the image.

Applying the same inputs again changes nothing: server-side apply of identical objects writes
nothing, and keys already in the cluster are kept, not regenerated.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secretsops.decryptors.base import Decryptor
from secretsops.engine.apply import CRD_API, wait_established
from secretsops.engine.bootstrap import preflight
from secretsops.engine.bootstrap.keys import KeySet
from secretsops.engine.bootstrap.manifests import SOURCES_KEY, install_objects
from secretsops.engine.builder import build_engine
from secretsops.engine.config import EngineSettings, SourceSpec, load_sources
from secretsops.engine.proc import INHERITED_ENV, ProcessRunner
from secretsops.engine.reporting import PassResult
from secretsops.engine.workdir import private_dir
from secretsops.errors import EngineError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, ObjectId

FIELD_MANAGER = "secretsops-bootstrap"
#: metadata the server sets; ignored when comparing a dry-run apply with the live object
_SERVER_FIELDS = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")


@dataclass(frozen=True)
class Planned:
    action: str  # "create" | "update" | "unchanged"
    id: ObjectId
    secret: bool = False

    def __str__(self) -> str:
        return f"{self.action:<9} {self.id}"


@dataclass
class BootstrapResult:
    keys: KeySet
    checked: preflight.PreflightReport
    plan: list[Planned] = field(default_factory=list)
    passes: list[PassResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changes(self) -> int:
        return sum(p.action != "unchanged" for p in self.plan)


def parse_sources(text: str, engine_namespace: str) -> list[SourceSpec]:
    """``sources.yaml`` text as the engine reads it (a private temporary file: config, no secret)."""
    with private_dir("secretsops-bootstrap-") as tmp:
        path = Path(tmp) / SOURCES_KEY
        path.write_text(text, encoding="utf-8")
        return load_sources(path, engine_namespace)


def ordered(install: Sequence[Obj], keys: Sequence[Obj]) -> list[Obj]:
    """Namespaces, CRDs, key Secrets, everything else, the Deployment(s) last."""
    rank = {"Namespace": 0, "CustomResourceDefinition": 1}
    head = sorted((o for o in install if o.get("kind") in rank), key=lambda o: rank[str(o["kind"])])
    tail = [o for o in install if o.get("kind") == "Deployment"]
    middle = [o for o in install if o.get("kind") not in rank and o.get("kind") != "Deployment"]
    return [*head, *keys, *middle, *tail]


def _canonical(obj: Obj) -> Obj:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    return {**{k: v for k, v in obj.items() if k not in ("metadata", "status")}, "metadata": meta}


def plan_objects(kube: KubeClient, objs: Sequence[Obj]) -> list[Planned]:
    """create / update / unchanged for each object (server-side dry-run apply vs live).

    An object in a Namespace that does not exist yet is a create (the dry run would be refused).
    """
    missing = {
        ObjectId.of(o).name
        for o in objs
        if o.get("kind") == "Namespace" and kube.get("v1", "Namespace", "", ObjectId.of(o).name) is None
    }
    out = []
    for obj in objs:
        oid = ObjectId.of(obj)
        secret = obj.get("kind") == "Secret"
        live = None
        if oid.namespace not in missing:
            live = kube.get(str(obj["apiVersion"]), str(obj["kind"]), oid.namespace, oid.name)
        if live is None:
            out.append(Planned("create", oid, secret))
            continue
        would = kube.apply(obj, dry_run=True, field_manager=FIELD_MANAGER)
        same = _canonical(would) == _canonical(live)
        out.append(Planned("unchanged" if same else "update", oid, secret))
    return out


def apply_objects(kube: KubeClient, objs: Sequence[Obj]) -> list[Planned]:
    """Server-side apply in order; CRDs are waited for before the objects after them.

    What each apply did is read from the object itself: absent before (create), the same
    resourceVersion after (unchanged: the server wrote nothing), else update.
    """
    done: list[Planned] = []
    crds: list[str] = []
    for obj in objs:
        if obj.get("kind") != "CustomResourceDefinition" and crds:
            wait_established(kube, crds)
            kube.forget_discovery()
            crds = []
        oid = ObjectId.of(obj)
        live = kube.get(str(obj["apiVersion"]), str(obj["kind"]), oid.namespace, oid.name)
        applied = kube.apply(obj, field_manager=FIELD_MANAGER)
        if live is None:
            action = "create"
        else:
            same = (applied.get("metadata") or {}).get("resourceVersion") == live["metadata"].get(
                "resourceVersion"
            )
            action = "unchanged" if same else "update"
        done.append(Planned(action, oid, obj.get("kind") == "Secret"))
        if obj.get("kind") == "CustomResourceDefinition" and obj.get("apiVersion") == CRD_API:
            crds.append(oid.name)
    return done


@dataclass
class Bootstrap:
    """One bootstrap: inputs settled by the caller (CLI, tests, the benchmark)."""

    kube: KubeClient
    keys: KeySet
    sources_text: str
    engine_namespace: str
    decryptors: list[Decryptor]
    environ: Mapping[str, str]
    had_backup: bool

    def specs(self) -> list[SourceSpec]:
        return parse_sources(self.sources_text, self.engine_namespace)

    def runner(self) -> ProcessRunner:
        return ProcessRunner.from_environ(self.environ)

    def check(self) -> preflight.PreflightReport:
        """The preflight; raises ``RepositoryDoesNotOpen`` naming every object that does not open."""
        report = preflight.check(self.specs(), self.keys, self.runner(), self.decryptors)
        preflight.refuse(report, self.had_backup)
        return report

    def objects(self) -> list[Obj]:
        return ordered(install_objects(self.sources_text), self.keys.to_write())

    def plan(self, report: preflight.PreflightReport) -> BootstrapResult:
        return BootstrapResult(self.keys, report, plan_objects(self.kube, self.objects()))

    def run(self, *, run_once: bool, report: preflight.PreflightReport | None = None) -> BootstrapResult:
        """Preflight (unless ``report`` is given), plan, apply, and the first pass when ``run_once``."""
        started = time.monotonic()
        report = report or self.check()
        result = BootstrapResult(self.keys, report, apply_objects(self.kube, self.objects()))
        if run_once:
            result.passes = self.first_pass()
        result.seconds = time.monotonic() - started
        return result

    def first_pass(self) -> list[PassResult]:
        """One engine pass per source from this machine; raises when one fails."""
        settings = EngineSettings(
            namespace=self.engine_namespace, sealing_key_namespace=self.keys.sealing_namespace
        )
        env = {k: v for k, v in self.environ.items() if k in INHERITED_ENV}
        engine = build_engine(self.specs(), settings, self.kube, env, runner=self.runner())
        try:
            passes = engine.run_once()
        finally:
            engine.close()
        failed = [p for p in passes if not p.ok]
        if failed:
            raise EngineError(
                "first reconcile failed: "
                + "; ".join(f"source {p.source}: {p.error or p.reason}" for p in failed)
            )
        return passes


__all__ = [
    "FIELD_MANAGER",
    "Bootstrap",
    "BootstrapResult",
    "Planned",
    "apply_objects",
    "ordered",
    "parse_sources",
]
