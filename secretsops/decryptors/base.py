"""The decryptor seam: plugins that turn protected objects into plain ones, in memory.

A decryptor is registered under the entry-point group ``secretsops.decryptors``. The pipeline
hands it every object of a unit (a rendered directory, a source) in ``order``: sops first, then
sealed, then external, so an ExternalSecret's store may use a token Secret that was itself
SOPS-encrypted. Plain objects exist only in the returned lists, never on disk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from secretsops.errors import SecretsOpsError
from secretsops.keysources.base import KeyContext
from secretsops.manifests import Obj, SourcedObject


@dataclass
class DecryptContext:
    """Everything a decryptor may need, injected by the caller (CLI render, engine).

    ``objects`` is the whole unit as it stands after earlier decryptors ran, so a decryptor
    can look up stores and auth Secrets rendered beside the object it decrypts. ``kube`` is an
    optional ``kubernetes.client.ApiClient`` (in-cluster: key Secrets, store auth Secrets).
    ``cache`` lives as long as the caller wants (the engine keeps one per source across
    passes: data keys by MAC, which sealing key opened what, provider responses per pass).
    """

    keys: KeyContext = field(default_factory=KeyContext)
    objects: list[SourcedObject] = field(default_factory=list)
    kube: Any = None
    sealing_key_files: list[str] = field(default_factory=list)
    sealing_key_namespace: str = "kube-system"
    cache: dict[str, Any] = field(default_factory=dict)
    #: provider/key-service call counters for metrics and benchmarks
    calls: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    #: work shared by the objects of this context only (e.g. a multi-document file decrypted
    #: once for all its documents); unlike ``cache`` it may hold plaintext, so it must never
    #: outlive the pass that created the context
    scratch: dict[Any, Any] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.calls[what] = self.calls.get(what, 0) + n


class Decryptor(ABC):
    name: ClassVar[str]
    #: pipeline position; lower runs first
    order: ClassVar[int] = 50

    @abstractmethod
    def claims(self, obj: Obj) -> bool:
        """True when this decryptor understands the object (it then must decrypt or fail)."""

    @abstractmethod
    def is_protected(self, obj: Obj) -> bool:
        """True when the object is safe to commit (ciphertext or reference, no plaintext)."""

    @abstractmethod
    def decrypt(self, item: SourcedObject, ctx: DecryptContext) -> list[Obj]:
        """Plain objects the item stands for ([] to consume it, e.g. a SecretStore)."""


class DecryptFailed(SecretsOpsError):
    """Wraps a decryptor failure with the object and file it concerns (never a value)."""

    def __init__(self, item: SourcedObject, cause: SecretsOpsError) -> None:
        self.item = item
        self.cause = cause
        self.temporary = cause.temporary  # type: ignore[misc]
        self.exit_code = cause.exit_code  # type: ignore[misc]
        super().__init__(f"{item.where}: {item.id}: {cause}")


def run_decryptors(
    items: list[SourcedObject], decryptors: list[Decryptor], ctx: DecryptContext
) -> list[SourcedObject]:
    """Apply every decryptor in order; fail closed on the first object that does not open.

    Raises ``DecryptFailed`` naming the file and object; the caller decides whether the unit is
    lost (render, reconcile: yes, the whole unit).
    """
    current = list(items)
    for dec in sorted(decryptors, key=lambda d: d.order):
        ctx.objects = current
        out: list[SourcedObject] = []
        for item in current:
            if not dec.claims(item.obj):
                out.append(item)
                continue
            try:
                produced = dec.decrypt(item, ctx)
            except DecryptFailed:
                raise
            except SecretsOpsError as exc:
                raise DecryptFailed(item, exc) from None
            extra = {**item.extra, "decryptor": dec.name}
            out.extend(SourcedObject(o, item.path, item.index, dict(extra)) for o in produced)
        current = out
    ctx.objects = current
    return current
