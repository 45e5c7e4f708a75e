"""The ``external`` decryptor: each ExternalSecret becomes the Secret it resolves to.

Runs after sops and sealed (``order`` 30). Where stores come from depends on the mode
(``external.lookup``): with a cluster (the engine) only the API server's stores, auth Secrets
and Namespaces are used: a SecretStore and what it references through the source's client
(``DecryptContext.source_kube``), a ClusterSecretStore, its ``conditions``' Namespace and the
objects in the namespaces it names with the engine's own (``DecryptContext.kube``), as ESO does;
SecretStore and ClusterSecretStore objects in the unit pass through to be applied like any other
object. An ExternalSecret that needs an object the unit declares but the API server does not
hold yet *waits*: it produces nothing this pass and is recorded in ``ctx.scratch.waiting`` (the
engine keeps its Secret, applies the rest and tries again shortly). Without a cluster (``render``)
the unit's own stores and Secrets are used, namespaces matched exactly, and stores are consumed
(they configure the resolution; nothing to apply them to). The first claimed object of a pass prefetches
every remote key of the pass, batched per store; answers are memoised for the pass and dropped
when its last claimed object is done (or the pass fails); they live in ``DecryptContext.scratch``,
so no plaintext outlives the pass. Only connections and login tokens stay in ``ctx.cache``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import ExternalError, SecretsOpsError
from secretsops.external.lookup import NotInClusterYet, ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.resolve import ExternalCache, Resolver
from secretsops.external.resources import EXTERNAL_SECRET, STORE_KINDS, ExternalSecret, is_eso
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, SourcedObject


def settings_from(ctx: DecryptContext) -> ProviderSettings:
    opts = ctx.options.external
    impersonating = ctx.source_kube is not None and ctx.source_kube.impersonate is not None
    return ProviderSettings(
        env=dict(ctx.keys.env),
        timeout=opts.timeout,
        retries=opts.retries,
        engine_credentials_allowed=not impersonating,
    )


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
        lookup = ObjectLookup((o.obj for o in ctx.objects), _lookup_kube(ctx), engine_kube=ctx.kube)
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
        if ctx.source_kube is not None and ctx.source_kube.impersonate is not None:
            state.denied = _namespaces_denied(ctx.source_kube, {es.namespace for es in externals})
        resolver.prefetch([es for es in externals if es.namespace not in state.denied])
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
                # with a cluster a store is an object to apply (under the source's RBAC) and is
                # used once the API server holds it; without one it only configures this render
                return [item.obj] if ctx.kube is not None else []
            es = ExternalSecret.parse(item.obj)
            if es.namespace in state.denied:
                # ESO never sees an ExternalSecret its author could not create; nor do we read
                # a store for one whose Secret the source may not write (a read can mint credentials)
                raise ExternalError(
                    f"the source's ServiceAccount may not write Secrets in namespace {es.namespace!r};"
                    " nothing was fetched",
                    object=str(es),
                )
            kube = _lookup_kube(ctx)
            if not es.uid and kube is not None:
                es.uid = _live_uid(kube, es)
            try:
                return state.resolver.resolve_parsed(es)
            except NotInClusterYet as exc:
                ctx.scratch.waiting.append(Waiting(str(es), es.namespace, es.target.name, exc.message))
                return []
        except BaseException:
            self._end_pass(ctx)  # the pass is lost (fail closed); keep nothing of it
            raise
        finally:
            state.remaining -= 1
            if state.remaining <= 0:
                self._end_pass(ctx)


@dataclass(frozen=True)
class Waiting:
    """An ExternalSecret left for a later pass: what it waits for, and the Secret it writes."""

    external_secret: str
    namespace: str
    secret_name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.external_secret} waits: {self.reason}"


def _lookup_kube(ctx: DecryptContext) -> KubeClient | None:
    """The client for SecretStores and their references: the source's when the caller set one."""
    return ctx.source_kube if ctx.source_kube is not None else ctx.kube


@dataclass
class _Pass:
    objects_id: int
    remaining: int
    resolver: Resolver
    #: namespaces where an impersonated source may not write Secrets (checked once per pass)
    denied: frozenset[str] = frozenset()


def _namespaces_denied(kube: KubeClient, namespaces: set[str]) -> frozenset[str]:
    """The namespaces where the source may not create and patch Secrets (SelfSubjectAccessReview).

    Asked as the source before any store is read; an answer that cannot be had counts as denied.
    """
    denied = set()
    for namespace in sorted(n for n in namespaces if n):
        for verb in ("create", "patch"):
            review = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb, "resource": "secrets"}},
            }
            try:
                allowed = bool((kube.create(review).get("status") or {}).get("allowed"))
            except SecretsOpsError:
                allowed = False
            if not allowed:
                denied.add(namespace)
                break
    return frozenset(denied)


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
