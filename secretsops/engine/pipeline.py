"""The decryption pipeline, built in one place for every caller.

``render`` (and the Argo CD plugin, which runs it), the engine's reconcile pass and the KRM
function turn rendered objects into plain ones the same way: every decryptor in ``order`` (sops,
sealed, external), then the SOPS files behind kustomize ``secretGenerator`` entries; the first
object that does not open fails the whole unit. Callers differ only in what they inject (keys,
the Kubernetes gateway, sealing key files, how long the cache lives) and, for the engine, the
namespace each object will live in, settled before each decryptor looks at it. What comes out
has passed the one emit guard (``decryptors.guard``): no SOPS ciphertext or metadata left.

Objects produced from git are applied by us, Argo CD or kustomize, never by the Bitnami
controller: the SealedSecret is not in the cluster, so an ownerReference to it would have no
uid (the API rejects that) and would invite garbage collection. Hence ``with-uid``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from secretsops.decryptors.base import (
    DecryptCache,
    DecryptContext,
    DecryptOptions,
    Decryptor,
    ExternalOptions,
    SealedOptions,
    run_decryptors,
)
from secretsops.decryptors.guard import guard_items
from secretsops.engine.generators import open_generated
from secretsops.keysources.base import KeyContext
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, SourcedObject


def pipeline_options(external: ExternalOptions | None = None) -> DecryptOptions:
    """The options every pipeline shares (see the module docstring for ``with-uid``)."""
    return DecryptOptions(
        sealed=SealedOptions(owner_references="with-uid"), external=external or ExternalOptions()
    )


@dataclass
class Pipeline:
    """One unit's way from rendered objects to plain ones; ``context`` holds its counters."""

    decryptors: list[Decryptor]
    context: DecryptContext
    #: called on every object before each decryptor runs (the engine settles namespaces there)
    scope: Callable[[Obj], None] | None = field(default=None)

    #: the items as they entered the decryptor named by ``run(keep_before=...)`` (deep copies)
    kept: list[SourcedObject] | None = field(default=None, repr=False)

    def run(
        self, items: list[SourcedObject], *, keep_before: str = "", start_at: str = ""
    ) -> list[SourcedObject]:
        """Plain objects for ``items``; raises ``DecryptFailed`` naming the file and object.

        ``keep_before``: when that decryptor claims any item, keep a copy of the items as they
        reach it (``kept``), so that a retry of that decryptor alone does not render and decrypt
        everything again; ``start_at``: such a retry, ``items`` being what was kept (the
        decryptors ordered before it are skipped; their output is in the items already). Why:
        an ExternalSecret waiting for a store applied in the same pass is resolved again at
        once (engine.loop), and re-decrypting 800 SOPS files for it cost ~1 s.
        """
        ordered = sorted(self.decryptors, key=lambda d: d.order)
        if start_at:
            names = [d.name for d in ordered]
            if start_at not in names:
                raise ValueError(f"no decryptor named {start_at!r} to start at")
            ordered = ordered[names.index(start_at) :]
        for dec in ordered:
            if self.scope is not None:
                for item in items:
                    self.scope(item.obj)
            if dec.name == keep_before and any(dec.claims(item.obj) for item in items):
                # copies: later steps edit objects in place (generated Secrets opened, postBuild)
                self.kept = copy.deepcopy(items)
            items = run_decryptors(items, [dec], self.context)
        items = open_generated(items, self.context)
        guard_items(items)  # fail closed: nothing leaves holding SOPS ciphertext (decryptors.guard)
        return items


def build_pipeline(
    keys: KeyContext,
    *,
    decryptors: Sequence[Decryptor] | None = None,
    kube: KubeClient | None = None,
    source_kube: KubeClient | None = None,
    sealing_key_files: Sequence[str] = (),
    sealing_key_namespace: str = "kube-system",
    cache: DecryptCache | None = None,
    external: ExternalOptions | None = None,
    scope: Callable[[Obj], None] | None = None,
) -> Pipeline:
    """The pipeline for one unit of work (a render, a reconcile pass, a KRM call).

    ``decryptors`` default to every registered one; ``cache`` is the caller's to keep across
    units (the engine keeps one per source), a fresh one otherwise.
    """
    if decryptors is None:
        from secretsops.decryptors.registry import load_decryptors

        decryptors = load_decryptors()
    ctx = DecryptContext(
        keys=keys,
        kube=kube,
        source_kube=source_kube,
        sealing_key_files=list(sealing_key_files),
        sealing_key_namespace=sealing_key_namespace,
        options=pipeline_options(external),
        cache=cache if cache is not None else DecryptCache(),
    )
    return Pipeline(list(decryptors), ctx, scope)
