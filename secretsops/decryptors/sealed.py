"""The ``sealed`` decryptor: SealedSecrets become the Secrets the Bitnami controller would make.

Keys come from ``DecryptContext.sealing_key_files`` (PEM, key Secret or List backup) and, when
``ctx.kube`` is an ApiClient, from the controller's key Secrets in ``sealing_key_namespace``.
The keyring and what opened what are kept in ``ctx.cache`` so a long-lived caller (the engine,
an in-cluster controller) reads keys once and tries the right key first next time; if no key
opens an object and keys came from the cluster, they are read again once (a key may have been
added since) before failing.

Options (``ctx.options``): ``template_renderer`` — a ``(text, data) -> str`` Go text/template
renderer for ``spec.template.data`` (the built-in subset is used otherwise).
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import UnsealError
from secretsops.manifests import Obj, SourcedObject
from secretsops.sealed.keyring import cluster_keys, newest_first, read_key_files
from secretsops.sealed.keys import SealingKey
from secretsops.sealed.sealing import is_sealed_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory

KEYRING_CACHE = "sealed.keyring"
MEMORY_CACHE = "sealed.memory"


def _memory(ctx: DecryptContext) -> UnsealMemory:
    memory = ctx.cache.get(MEMORY_CACHE)
    if not isinstance(memory, UnsealMemory):
        memory = ctx.cache[MEMORY_CACHE] = UnsealMemory()
    return memory


def load_keyring(ctx: DecryptContext, refresh: bool = False) -> list[SealingKey]:
    """Every key the context gives, newest first; cached in ``ctx.cache`` unless ``refresh``."""
    cached = ctx.cache.get(KEYRING_CACHE)
    if cached is not None and not refresh:
        return list(cached)
    keys = read_key_files(list(ctx.sealing_key_files))
    if ctx.kube is not None:
        ctx.count("sealed.key_list")
        keys.extend(cluster_keys(ctx.kube, ctx.sealing_key_namespace))
    ring = newest_first(keys)
    ctx.cache[KEYRING_CACHE] = ring
    return list(ring)


class SealedDecryptor(Decryptor):
    name: ClassVar[str] = "sealed"
    order: ClassVar[int] = 20

    def claims(self, obj: Obj) -> bool:
        return is_sealed_secret(obj)

    def is_protected(self, obj: Obj) -> bool:
        """A SealedSecret holds only ciphertext (template data is rendered from it, not secret)."""
        return is_sealed_secret(obj)

    def decrypt(self, item: SourcedObject, ctx: DecryptContext) -> list[Obj]:
        return [self.unseal(item, ctx)]

    def unseal(self, item: SourcedObject, ctx: DecryptContext) -> Obj:
        keys = load_keyring(ctx)
        renderer: Any = ctx.options.get("template_renderer")
        if not keys:
            where = f"namespace {ctx.sealing_key_namespace}" if ctx.kube is not None else "no key files given"
            raise UnsealError(f"{item.where}: no sealing key to open SealedSecret {item.id.name} ({where})")
        before = _memory(ctx).rsa_operations
        unsealer = Unsealer(keys, renderer, _memory(ctx))
        first = next((o for o in ctx.objects if self.claims(o.obj)), None)
        if first is item:
            # first SealedSecret of the unit: unwrap every session key of the unit at once
            claimed = [o.obj for o in ctx.objects if self.claims(o.obj)]
            unsealer.warm(claimed, int(ctx.options.get("sealed_workers", 2)))
        try:
            result = unsealer.unseal_with_report(item.obj, item.where)
        except UnsealError:
            if ctx.kube is None:
                raise
            fresh = load_keyring(ctx, refresh=True)
            if {k.fingerprint for k in fresh} == {k.fingerprint for k in keys}:
                raise
            result = Unsealer(fresh, renderer, _memory(ctx)).unseal_with_report(item.obj, item.where)
        finally:
            ctx.count("sealed.rsa", _memory(ctx).rsa_operations - before)
        return result.secret
