"""The ``external`` decryptor: each ExternalSecret becomes the Secret it resolves to.

Runs after sops and sealed (``order`` 30), so a store's auth Secret may itself be SOPS-encrypted
or sealed in the same unit. SecretStore and ClusterSecretStore objects are consumed (they
configure the resolution and are not applied). The first claimed object of a pass prefetches
every remote key of the pass, batched per store; answers are memoised for the pass and dropped
when its last claimed object is done (or the pass fails); they live in ``DecryptContext.scratch``,
so no plaintext outlives the pass. Only connections and login tokens stay in ``ctx.cache``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import SecretsOpsError
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.resolve import ExternalCache, Resolver
from secretsops.external.resources import EXTERNAL_SECRET, STORE_KINDS, ExternalSecret, is_eso
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, SourcedObject


def settings_from(ctx: DecryptContext) -> ProviderSettings:
    opts = ctx.options.external
    return ProviderSettings(env=dict(ctx.keys.env), timeout=opts.timeout, retries=opts.retries)


def external_cache(ctx: DecryptContext) -> ExternalCache:
    """Connections and logins kept across passes (created on first use)."""
    if ctx.cache.external is None:
        ctx.cache.external = ExternalCache()
    return ctx.cache.external


class ExternalDecryptor(Decryptor):
    name: ClassVar[str] = "external"
    order: ClassVar[int] = 30

    def claims(self, obj: Obj) -> bool:
        return is_eso(obj, EXTERNAL_SECRET, *STORE_KINDS)

    def is_protected(self, obj: Obj) -> bool:
        # ExternalSecrets and stores hold references; store credentials live in other Secrets.
        return True

    def _pass(self, ctx: DecryptContext) -> _Pass:
        """This pass's resolver, created (and every remote key prefetched) on first use."""
        state = ctx.scratch.external_pass
        if isinstance(state, _Pass) and state.objects_id == id(ctx.objects):
            return state
        cache = external_cache(ctx)
        cache.begin_pass()
        lookup = ObjectLookup((o.obj for o in ctx.objects), ctx.kube)
        resolver = Resolver(lookup, settings_from(ctx), cache, ctx.count)
        claimed = [o for o in ctx.objects if self.claims(o.obj)]
        state = ctx.scratch.external_pass = _Pass(id(ctx.objects), len(claimed), resolver)
        externals: list[ExternalSecret] = []
        for o in claimed:
            if is_eso(o.obj, EXTERNAL_SECRET):
                try:
                    externals.append(ExternalSecret.parse(o.obj))
                except SecretsOpsError:
                    continue  # reported when that object is decrypted
        resolver.prefetch(externals)
        return state

    @staticmethod
    def _end_pass(ctx: DecryptContext) -> None:
        """Forget everything of the pass that can hold plaintext (answers, the object index)."""
        ctx.scratch.external_pass = None
        external_cache(ctx).begin_pass()

    def decrypt(self, item: SourcedObject, ctx: DecryptContext) -> list[Obj]:
        state = self._pass(ctx)
        try:
            if item.obj.get("kind") in STORE_KINDS:
                return []
            es = ExternalSecret.parse(item.obj)
            if not es.uid and ctx.kube is not None:
                es.uid = _live_uid(ctx.kube, es)
            return state.resolver.resolve_parsed(es)
        except BaseException:
            self._end_pass(ctx)  # the pass is lost (fail closed); keep nothing of it
            raise
        finally:
            state.remaining -= 1
            if state.remaining <= 0:
                self._end_pass(ctx)


@dataclass
class _Pass:
    objects_id: int
    remaining: int
    resolver: Resolver


def _live_uid(kube: KubeClient, es: ExternalSecret) -> str:
    """The uid of the ExternalSecret in the cluster (ESO left it there), for the ownerReference.

    Best effort: an ExternalSecret that is not in the cluster (or cannot be read) gets none.
    """
    if not es.namespace:
        return ""
    for version in ("v1", "v1beta1"):
        try:
            live = kube.get(f"external-secrets.io/{version}", "ExternalSecret", es.namespace, es.name)
        except SecretsOpsError:
            continue
        uid = ((live or {}).get("metadata") or {}).get("uid")
        if uid:
            return str(uid)
    return ""
