"""The decryptor seam: plugins that turn protected objects into plain ones, in memory.

A decryptor is registered under the entry-point group ``secretsops.decryptors``. The pipeline
hands it every object of a unit (a rendered directory, a source) in ``order``: sops first, then
sealed, then external, so an ExternalSecret's store may use a token Secret that was itself
SOPS-encrypted. Plain objects exist only in the returned lists, never on disk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from secretsops.errors import SecretsOpsError, render
from secretsops.keysources.base import KeyContext
from secretsops.manifests import Obj, SourcedObject

if TYPE_CHECKING:  # the decryptors' own types; importing them here would load every decryptor
    from secretsops.external.resolve import ExternalCache
    from secretsops.kube import KubeClient
    from secretsops.sealed.keypairs import SealingKey
    from secretsops.sealed.unsealing import UnsealMemory
    from secretsops.sops.api import DataKeyCache

OwnerReferences = Literal["always", "with-uid", "never"]


@dataclass(frozen=True)
class SealedOptions:
    """How the ``sealed`` decryptor behaves.

    ``owner_references``: ``"always"`` (what the controller sets), ``"with-uid"`` (only when the
    SealedSecret has a uid, i.e. exists in the cluster: an ownerReference to an object that does
    not exist would get the Secret garbage-collected) or ``"never"``. ``respect_live``: with a
    cluster, read the live Secret and apply the controller's rules for existing Secrets.
    """

    owner_references: OwnerReferences = "always"
    respect_live: bool = False
    #: threads for a unit's RSA work
    workers: int = 2
    #: seconds a keyring read from the cluster is trusted (a retired key stops opening after this)
    keyring_ttl: float = 300.0


@dataclass(frozen=True)
class ExternalOptions:
    """How the ``external`` decryptor talks to providers."""

    #: seconds per provider request
    timeout: float = 10.0
    retries: int = 2


@dataclass(frozen=True)
class DecryptOptions:
    sealed: SealedOptions = field(default_factory=SealedOptions)
    external: ExternalOptions = field(default_factory=ExternalOptions)


@dataclass
class DecryptCache:
    """What may outlive a pass (the engine keeps one per source): keys, memory of what opened
    what, connections and logins. Never plaintext. Each decryptor fills its own fields on first use.
    """

    #: sops: data keys by the file's MAC (an unchanged file costs no key-service call)
    data_keys: DataKeyCache | None = None
    #: sealed: the keyring, newest first, and when it was read (monotonic seconds)
    sealing_keys: list[SealingKey] | None = None
    sealing_keys_read_at: float | None = None
    #: sealed: which key opened what, session keys already unwrapped
    unseal_memory: UnsealMemory | None = None
    #: external: provider connections and logins
    external: ExternalCache | None = None
    #: third-party decryptors, by their name
    plugins: dict[str, Any] = field(default_factory=dict)


@dataclass
class PassScratch:
    """Work shared by the objects of one pass only. It may hold plaintext (a multi-document file
    decrypted once for all its documents, provider answers), so it never outlives the pass that
    created the context."""

    #: sops: the decrypted documents of a file, by the identity of the file's raw bytes
    sops_documents: dict[int, tuple[object, list[Any]]] = field(default_factory=dict)
    #: external: this pass's resolver and how many claimed objects are left
    external_pass: Any = None
    #: external: ExternalSecrets left for a later pass, each waiting for an object declared in
    #: the unit that the API server does not hold yet (``decryptors.external.Waiting``)
    waiting: list[Any] = field(default_factory=list)
    #: third-party decryptors, by their name
    plugins: dict[str, Any] = field(default_factory=dict)


@dataclass
class DecryptContext:
    """Everything a decryptor may need, injected by the caller (``engine.pipeline``).

    ``objects`` is the whole unit as it stands after earlier decryptors ran, so a decryptor
    can look up stores and auth Secrets rendered beside the object it decrypts. ``kube`` is the
    Kubernetes gateway when there is a cluster (in-cluster: key Secrets, store auth Secrets).
    ``cache`` lives as long as the caller wants (the engine keeps one per source across passes);
    ``scratch`` only as long as this context.
    """

    keys: KeyContext = field(default_factory=KeyContext)
    objects: list[SourcedObject] = field(default_factory=list)
    kube: KubeClient | None = None
    #: the client ExternalSecret lookups go through (the engine: the source's, impersonating its
    #: serviceAccountName); None: ``kube``. Sealing keys are always read through ``kube``.
    source_kube: KubeClient | None = None
    sealing_key_files: list[str] = field(default_factory=list)
    sealing_key_namespace: str = "kube-system"
    options: DecryptOptions = field(default_factory=DecryptOptions)
    cache: DecryptCache = field(default_factory=DecryptCache)
    scratch: PassScratch = field(default_factory=PassScratch)
    #: provider/key-service call counters for metrics and benchmarks
    calls: dict[str, int] = field(default_factory=dict)

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
    """A decryptor's failure, located at the file and object it concerns (never a value).

    The file and object come from the item; the cause keeps its message and key path. A cause
    that named the same file or object itself (modules that still prefix their messages) does
    not name it again. Exit code and temporariness are the cause's.
    """

    def __init__(self, item: SourcedObject, cause: SecretsOpsError) -> None:
        self.item = item
        self.cause = cause
        self.temporary = cause.temporary  # type: ignore[misc]
        self.exit_code = cause.exit_code  # type: ignore[misc]
        detail, key = _detail(item, cause)
        super().__init__(detail, file=item.where, object=str(item.id), key=key)


def _detail(item: SourcedObject, cause: SecretsOpsError) -> tuple[str, str]:
    """The cause's message plus whatever it located that the item does not already name, and
    the key path when it is a path in the item (not in another object the cause names)."""
    oid = item.id
    same_object = {str(oid), f"{oid.kind} {oid.namespace}/{oid.name}", f"{oid.kind} {oid.name}", ""}
    same_file = {item.path, item.where, ""}
    file = "" if cause.file in same_file or cause.file.startswith(f"{item.path}#") else cause.file
    obj = "" if cause.object in same_object else cause.object
    message = cause.message
    for prefix in (f"{item.where}: ", f"{item.path}: "):
        message = message.removeprefix(prefix)
    if message.startswith(f"{item.path}#"):
        index, sep, rest = message[len(item.path) + 1 :].partition(": ")
        if sep and index.isdigit():
            message = rest
    if obj:
        return render(message, file, obj, cause.key), ""
    return render(message, file), cause.key


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
