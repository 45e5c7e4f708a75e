"""The ``external`` decryptor: each ExternalSecret becomes the Secret it resolves to.

Runs after sops and sealed (``order`` 30), so a store's auth Secret may itself be SOPS-encrypted
or sealed in the same unit. SecretStore and ClusterSecretStore objects are consumed (they
configure the resolution and are not applied). The first claimed object of a pass prefetches
every remote key of the pass, batched per store; answers are memoised for the pass and dropped
when its last claimed object is done (or the pass fails), so no plaintext outlives the pass in
``DecryptContext.cache``. Only connections and login tokens stay there across passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import SecretsOpsError
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.resolve import ExternalCache, Resolver, cache_in
from secretsops.external.resources import EXTERNAL_SECRET, STORE_KINDS, ExternalSecret, is_eso
from secretsops.manifests import Obj, SourcedObject

#: per-pass state in DecryptContext.cache; dropped when the last claimed object is done
PASS_KEY = "external.pass"


def settings_from(ctx: DecryptContext) -> ProviderSettings:
    opts = ctx.options
    return ProviderSettings(
        env=dict(ctx.keys.env),
        timeout=float(opts.get("external_timeout", 10.0)),
        retries=int(opts.get("external_retries", 2)),
    )


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
        state = ctx.cache.get(PASS_KEY)
        if isinstance(state, _Pass) and state.objects_id == id(ctx.objects):
            return state
        cache: ExternalCache = cache_in(ctx.cache)
        cache.begin_pass()
        lookup = ObjectLookup((o.obj for o in ctx.objects), ctx.kube)
        resolver = Resolver(lookup, settings_from(ctx), cache, ctx.count)
        claimed = [o for o in ctx.objects if self.claims(o.obj)]
        state = ctx.cache[PASS_KEY] = _Pass(id(ctx.objects), len(claimed), resolver)
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
        ctx.cache.pop(PASS_KEY, None)
        cache_in(ctx.cache).begin_pass()

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


def _live_uid(kube: Any, es: ExternalSecret) -> str:
    """The uid of the ExternalSecret in the cluster (ESO left it there), for the ownerReference."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    if not es.namespace:
        return ""
    api = client.CustomObjectsApi(kube)
    for version in ("v1", "v1beta1"):
        try:
            live: Any = api.get_namespaced_custom_object(
                "external-secrets.io", version, es.namespace, "externalsecrets", es.name
            )
        except (ApiException, OSError):
            continue
        uid = ((live or {}).get("metadata") or {}).get("uid")
        if uid:
            return str(uid)
    return ""
