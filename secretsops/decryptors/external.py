"""The ``external`` decryptor: each ExternalSecret becomes the Secret it resolves to.

Runs after sops and sealed (``order`` 30), so a store's auth Secret may itself be SOPS-encrypted
or sealed in the same unit. SecretStore and ClusterSecretStore objects are consumed (they
configure the resolution and are not applied). The first ExternalSecret of a pass prefetches
every remote key of the pass, batched per store; answers are memoised for the pass, while
connections and login tokens stay in ``DecryptContext.cache`` across passes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import SecretsOpsError
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.resolve import ExternalCache, Resolver, cache_in
from secretsops.external.resources import EXTERNAL_SECRET, STORE_KINDS, ExternalSecret, is_eso
from secretsops.manifests import Obj, SourcedObject

RESOLVER_KEY = "external.resolver"


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

    def _resolver(self, ctx: DecryptContext) -> Resolver:
        cache: ExternalCache = cache_in(ctx.cache)
        if cache.marker is not ctx.objects or RESOLVER_KEY not in ctx.cache:
            cache.begin_pass(ctx.objects)
            lookup = ObjectLookup((o.obj for o in ctx.objects), ctx.kube)
            resolver = Resolver(lookup, settings_from(ctx), cache, ctx.count)
            ctx.cache[RESOLVER_KEY] = resolver
            externals: list[ExternalSecret] = []
            for o in ctx.objects:
                if is_eso(o.obj, EXTERNAL_SECRET):
                    try:
                        externals.append(ExternalSecret.parse(o.obj))
                    except SecretsOpsError:
                        continue  # reported when that object is decrypted
            resolver.prefetch(externals)
        found: Resolver = ctx.cache[RESOLVER_KEY]
        return found

    def decrypt(self, item: SourcedObject, ctx: DecryptContext) -> list[Obj]:
        if item.obj.get("kind") in STORE_KINDS:
            return []
        resolver = self._resolver(ctx)
        es = ExternalSecret.parse(item.obj)
        if not es.uid and ctx.kube is not None:
            es.uid = _live_uid(ctx.kube, es)
        return resolver.resolve_parsed(es)


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
