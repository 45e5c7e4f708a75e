"""The ``sealed`` decryptor: SealedSecrets become the Secrets the Bitnami controller would make.

Keys come from ``DecryptContext.sealing_key_files`` (PEM, key Secret or List backup) and, when
``ctx.kube`` is an ApiClient, from the controller's key Secrets in ``sealing_key_namespace``.
The keyring and what opened what are kept in ``ctx.cache`` so a long-lived caller (the engine,
an in-cluster controller) reads keys once and tries the right key first next time; if no key
opens an object and keys came from the cluster, they are read again once (a key may have been
added since) before failing.

Options (``ctx.options``):

- ``template_renderer``: a ``(text, data) -> str`` Go text/template renderer for
  ``spec.template.data`` (the built-in subset is used otherwise);
- ``sealed_owner_references``: ``"always"`` (default, what the controller sets), ``"with-uid"``
  (only when the SealedSecret has a uid, i.e. it exists in the cluster: an ownerReference to an
  object that does not exist would get the Secret garbage-collected) or ``"never"``;
- ``sealed_respect_live``: with ``ctx.kube``, read the live Secret and apply the controller's
  rules for existing Secrets (``managed`` / ``patch`` annotations, refuse foreign Secrets);
- ``sealed_workers``: threads for the unit's RSA work (default 2);
- ``sealed_keyring_ttl``: seconds before the cached keyring is read again (default 300).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import UnsealError
from secretsops.manifests import Obj, SourcedObject
from secretsops.sealed.crypto import looks_sealed
from secretsops.sealed.keyring import cluster_keys, newest_first, read_key_files
from secretsops.sealed.keys import SealingKey
from secretsops.sealed.ownership import secret_to_write
from secretsops.sealed.sealing import is_sealed_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory

KEYRING_CACHE = "sealed.keyring"
KEYRING_LOADED_AT = "sealed.keyring_loaded_at"
MEMORY_CACHE = "sealed.memory"
#: seconds a keyring read from the cluster is trusted (a retired key stops opening after this)
DEFAULT_KEYRING_TTL = 300.0


def _memory(ctx: DecryptContext) -> UnsealMemory:
    memory = ctx.cache.get(MEMORY_CACHE)
    if not isinstance(memory, UnsealMemory):
        memory = ctx.cache[MEMORY_CACHE] = UnsealMemory()
    return memory


def load_keyring(ctx: DecryptContext, refresh: bool = False) -> list[SealingKey]:
    """Every key the context gives, newest first; cached in ``ctx.cache`` unless ``refresh``.

    The cache expires after ``ctx.options["sealed_keyring_ttl"]`` seconds (default 300) so a
    long-lived engine notices keys the controller added and keys an operator retired.
    """
    cached = ctx.cache.get(KEYRING_CACHE)
    loaded_at = ctx.cache.get(KEYRING_LOADED_AT)
    ttl = float(ctx.options.get("sealed_keyring_ttl", DEFAULT_KEYRING_TTL))
    expired = loaded_at is not None and time.monotonic() - float(loaded_at) > ttl
    if cached is not None and not refresh and not expired:
        return list(cached)
    keys = read_key_files(list(ctx.sealing_key_files))
    if ctx.kube is not None:
        ctx.count("sealed.key_list")
        keys.extend(cluster_keys(ctx.kube, ctx.sealing_key_namespace))
    ring = newest_first(keys)
    ctx.cache[KEYRING_CACHE] = ring
    ctx.cache[KEYRING_LOADED_AT] = time.monotonic()
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
        secret = result.secret
        policy = str(ctx.options.get("sealed_owner_references", "always"))
        has_uid = bool((item.obj.get("metadata") or {}).get("uid"))
        if policy == "never" or (policy == "with-uid" and not has_uid):
            secret["metadata"].pop("ownerReferences", None)
        if ctx.options.get("sealed_respect_live") and ctx.kube is not None:
            secret = secret_to_write(_live_secret(ctx, secret), secret, item.obj)
        return secret


def _live_secret(ctx: DecryptContext, secret: Obj) -> Obj | None:
    """The Secret as it is in the cluster now, or None when it does not exist."""
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException

    meta = secret.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    ctx.count("sealed.live_get")
    try:
        live = CoreV1Api(ctx.kube).read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise UnsealError(f"cannot read Secret {namespace}/{name}: HTTP {exc.status}") from None
    obj: Obj = ctx.kube.sanitize_for_serialization(live)
    return obj
