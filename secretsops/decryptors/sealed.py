"""The ``sealed`` decryptor: SealedSecrets become the Secrets the Bitnami controller would make.

Keys come from ``DecryptContext.sealing_key_files`` (PEM, key Secret or List backup) and, when
``ctx.kube`` (the gateway) is set, from the controller's key Secrets in ``sealing_key_namespace``.
The keyring and what opened what are kept in ``ctx.cache`` so a long-lived caller (the engine,
an in-cluster controller) reads keys once and tries the right key first next time; if no key
opens an object and keys came from the cluster, they are read again once (a key may have been
added since) before failing. ``ctx.options.sealed`` (:class:`SealedOptions`) says how
ownerReferences are set, whether live Secrets are respected, how many threads do RSA work and
how long a keyring read from the cluster is trusted.
"""

from __future__ import annotations

import time
from typing import ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import UnsealError
from secretsops.manifests import Obj, SourcedObject
from secretsops.sealed.crypto import looks_sealed
from secretsops.sealed.keypairs import SealingKey
from secretsops.sealed.keyring import cluster_keys, newest_first, read_key_files
from secretsops.sealed.ownership import secret_to_write
from secretsops.sealed.sealing import is_sealed_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory


def _memory(ctx: DecryptContext) -> UnsealMemory:
    if ctx.cache.unseal_memory is None:
        ctx.cache.unseal_memory = UnsealMemory()
    return ctx.cache.unseal_memory


def load_keyring(ctx: DecryptContext, refresh: bool = False) -> list[SealingKey]:
    """Every key the context gives, newest first; cached in ``ctx.cache`` unless ``refresh``.

    The cache expires after ``ctx.options.sealed.keyring_ttl`` seconds so a long-lived engine
    notices keys the controller added and keys an operator retired.
    """
    cached, read_at = ctx.cache.sealing_keys, ctx.cache.sealing_keys_read_at
    expired = read_at is not None and time.monotonic() - read_at > ctx.options.sealed.keyring_ttl
    if cached is not None and not refresh and not expired:
        return list(cached)
    keys = read_key_files(list(ctx.sealing_key_files))
    if ctx.kube is not None:
        ctx.count("sealed.key_list")
        keys.extend(cluster_keys(ctx.kube, ctx.sealing_key_namespace))
    ring = newest_first(keys)
    ctx.cache.sealing_keys, ctx.cache.sealing_keys_read_at = ring, time.monotonic()
    return list(ring)


class SealedDecryptor(Decryptor):
    name: ClassVar[str] = "sealed"
    order: ClassVar[int] = 20

    def claims(self, obj: Obj) -> bool:
        return is_sealed_secret(obj)

    def is_protected(self, obj: Obj) -> bool:
        """True when every ``encryptedData`` value has the shape of a sealed value (no keys needed).

        ``spec.template`` is plain by design (metadata and Go templates over the sealed values).
        """
        if not is_sealed_secret(obj):
            return False
        spec = obj.get("spec") or {}
        if not isinstance(spec, dict):
            return False
        if spec.get("data") is not None:
            return looks_sealed(spec["data"])
        encrypted = spec.get("encryptedData") or {}
        return isinstance(encrypted, dict) and all(looks_sealed(v) for v in encrypted.values())

    def decrypt(self, item: SourcedObject, ctx: DecryptContext) -> list[Obj]:
        return [self.unseal(item, ctx)]

    def unseal(self, item: SourcedObject, ctx: DecryptContext) -> Obj:
        keys = load_keyring(ctx)
        if not keys:
            where = f"namespace {ctx.sealing_key_namespace}" if ctx.kube is not None else "no key files given"
            raise UnsealError(f"no sealing key to open it ({where})", file=item.where, object=str(item.id))
        before = _memory(ctx).rsa_operations
        unsealer = Unsealer(keys, memory=_memory(ctx))
        first = next((o for o in ctx.objects if self.claims(o.obj)), None)
        if first is item:
            # first SealedSecret of the unit: unwrap every session key of the unit at once
            claimed = [o.obj for o in ctx.objects if self.claims(o.obj)]
            unsealer.warm(claimed, ctx.options.sealed.workers)
        try:
            result = unsealer.unseal_with_report(item.obj, item.where)
        except UnsealError:
            if ctx.kube is None:
                raise
            fresh = load_keyring(ctx, refresh=True)
            if {k.fingerprint for k in fresh} == {k.fingerprint for k in keys}:
                raise
            result = Unsealer(fresh, memory=_memory(ctx)).unseal_with_report(item.obj, item.where)
        finally:
            ctx.count("sealed.rsa", _memory(ctx).rsa_operations - before)
        secret = result.secret
        policy = ctx.options.sealed.owner_references
        has_uid = bool((item.obj.get("metadata") or {}).get("uid"))
        if policy == "never" or (policy == "with-uid" and not has_uid):
            secret["metadata"].pop("ownerReferences", None)
        if ctx.options.sealed.respect_live and ctx.kube is not None:
            secret = secret_to_write(_live_secret(ctx, secret), secret, item.obj)
        return secret


def _live_secret(ctx: DecryptContext, secret: Obj) -> Obj | None:
    """The Secret as it is in the cluster now, or None when it does not exist."""
    assert ctx.kube is not None
    meta = secret.get("metadata") or {}
    ctx.count("sealed.live_get")
    return ctx.kube.get("v1", "Secret", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
