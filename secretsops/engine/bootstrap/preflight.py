"""Before anything is written: does every protected object in the repository open with these keys?

A rebuild without the backup (or with the wrong one) would otherwise install the engine, which
then stalls on the first SealedSecret it cannot open, or worse, a controller that generates a
fresh sealing key nobody can seal for. Bootstrap renders the source exactly as the engine will
(same checkout, same renderer, same namespace defaults), tries every SOPS object, every
SOPS-generated Secret and every SealedSecret with the keys in memory, and names **all** that do
not open, so the user sees the whole damage at once and nothing is applied.

ExternalSecrets are not tried here: they need the stores and the providers, not our keys.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

from secretsops.decryptors.base import DecryptCache, DecryptContext, Decryptor
from secretsops.engine.bootstrap.keys import KeySet
from secretsops.engine.builder import make_source
from secretsops.engine.config import SourceSpec
from secretsops.engine.generators import open_generated
from secretsops.engine.kustomize import GENERATED
from secretsops.engine.pipeline import pipeline_options
from secretsops.engine.proc import ProcessRunner
from secretsops.engine.render import render_path
from secretsops.errors import EngineError, RenderError, SecretsOpsError
from secretsops.manifests import ObjectId, SourcedObject

#: kinds that live in a namespace and are read by a decryptor before apply (engine/loop.py)
_NAMESPACED = ("Secret", "SealedSecret")


@dataclass(frozen=True)
class Unopenable:
    """One protected object the keys at hand do not open (names and files only)."""

    source: str
    kind: str  # "SOPS file" | "SealedSecret" | "SOPS secretGenerator"
    file: str
    object: str

    def __str__(self) -> str:
        return f"{self.kind} {self.file} ({self.object}) in source {self.source}"


@dataclass(frozen=True)
class PreflightReport:
    objects: int
    sops: int
    sealed: int
    failures: list[Unopenable]


class RepositoryDoesNotOpen(EngineError):
    """Some protected objects do not open with the keys bootstrap would install: nothing applied."""


def check(
    specs: Sequence[SourceSpec], keys: KeySet, runner: ProcessRunner, decryptors: Sequence[Decryptor]
) -> PreflightReport:
    """Render each source and try every SOPS object and SealedSecret; every failure is collected."""
    sealing = keys.sealing_keys()
    objects = sops = sealed = 0
    failures: list[Unopenable] = []
    by_name = {d.name: d for d in decryptors}
    for spec in specs:
        source = make_source(spec, runner, None)
        try:
            rev = source.sync()
            target = rev.checkout / spec.path
            if not target.exists():
                raise RenderError(f"source {spec.name}: path {spec.path!r} not found in {rev}")
            items = render_path(target, runner=runner, root=rev.checkout)
        finally:
            source.close()
        objects += len(items)
        cache = DecryptCache()
        cache.sealing_keys = sealing
        cache.sealing_keys_read_at = float("inf")  # never expires, never re-read: memory only
        ctx = DecryptContext(
            keys=keys.key_context(),
            objects=items,
            sealing_key_namespace=keys.sealing_namespace,
            options=pipeline_options(),
            cache=cache,
        )
        for item in items:
            trial = SourcedObject(copy.deepcopy(item.obj), item.path, item.index, dict(item.extra))
            _scope(trial, spec.target_namespace)
            for name, label in (("sops", "SOPS file"), ("sealed", "SealedSecret")):
                dec = by_name.get(name)
                if dec is None or not dec.claims(trial.obj):
                    continue
                sops += name == "sops"
                sealed += name == "sealed"
                try:
                    dec.decrypt(trial, ctx)
                except SecretsOpsError:
                    failures.append(Unopenable(spec.name, label, item.where, str(ObjectId.of(item.obj))))
            if GENERATED in trial.extra:
                sops += 1
                try:
                    open_generated([trial], ctx)
                except SecretsOpsError:
                    failures.append(
                        Unopenable(spec.name, "SOPS secretGenerator", item.where, str(ObjectId.of(item.obj)))
                    )
    return PreflightReport(objects, sops, sealed, failures)


def _scope(item: SourcedObject, target_namespace: str) -> None:
    """The namespace the engine gives an object before decrypting it (``SourceReconciler._pre_scope``)."""
    obj = item.obj
    meta = obj.get("metadata")
    if "sops" in obj or not isinstance(meta, dict):
        return
    if target_namespace:
        meta["namespace"] = target_namespace
    elif not meta.get("namespace") and obj.get("kind") in _NAMESPACED:
        meta["namespace"] = "default"


def refuse(report: PreflightReport, had_backup: bool) -> None:
    """Raise naming every object that does not open (nothing has been applied yet)."""
    if not report.failures:
        return
    hint = (
        "the backup does not hold the keys they were encrypted or sealed with"
        if had_backup
        else "restore the keys with --backup FILE (secretsops backup)"
    )
    lines = [
        f"{len(report.failures)} protected object(s) in the repository cannot be opened with the keys "
        f"bootstrap would install ({hint}); nothing was applied:"
    ]
    lines.extend(f"  {f}" for f in report.failures)
    raise RepositoryDoesNotOpen("\n".join(lines))


__all__ = ["PreflightReport", "RepositoryDoesNotOpen", "Unopenable", "check", "refuse"]
