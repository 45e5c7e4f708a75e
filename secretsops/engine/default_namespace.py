"""The namespace for objects declared without one, settled before decryption.

Argo CD applies a namespace-less object into the Application's destination namespace
(``ARGOCD_APP_NAMESPACE`` in a config-management plugin), kubectl into the context's. What a
decryptor produces depends on that namespace: a SealedSecret opens only with the namespace its
(strict or namespace-wide) scope was sealed for, an ExternalSecret finds its SecretStore and auth
Secrets there. So ``render --default-namespace`` puts such objects in it before any decryptor
looks (the pipeline's ``scope`` hook) and again on what comes out. Only kinds known to be
namespaced are touched: without cluster access a custom kind may be cluster-scoped, and Argo CD
places the others itself. SOPS documents keep their file's identity until opened (their MAC is
matched by it); the Secret they open into is placed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from secretsops.manifests import Obj

#: kinds a decryptor reads or writes, all namespaced
NAMESPACED_KINDS = frozenset(
    {"Secret", "ConfigMap", "SealedSecret", "ExternalSecret", "SecretStore", "PushSecret", "SopsSecret"}
)


def place(obj: Obj, namespace: str) -> None:
    """Give ``obj`` ``namespace`` when it is of a namespaced kind, has none and is not SOPS-encrypted."""
    meta = obj.get("metadata")
    if not namespace or "sops" in obj or not isinstance(meta, dict):
        return
    if obj.get("kind") in NAMESPACED_KINDS and not meta.get("namespace"):
        meta["namespace"] = namespace


def scope_for(namespace: str) -> Callable[[Obj], None] | None:
    """The pipeline ``scope`` hook for ``namespace`` (None when there is no default)."""
    if not namespace:
        return None
    return lambda obj: place(obj, namespace)


def place_all(objs: Iterable[Obj], namespace: str) -> None:
    """:func:`place` for every object (the pipeline's output)."""
    for obj in objs:
        place(obj, namespace)
