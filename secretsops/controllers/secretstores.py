"""SecretStore / ClusterSecretStore status ``Ready``, as ESO reports it after validating a store.

A store is Ready when its provider answers and accepts the credentials it is configured with:
Vault/OpenBao logs in (token, AppRole, Kubernetes, ...) and looks its token up; AWS Secrets
Manager and Parameter Store answer a one-item list with the store's credentials. The store is
validated again every 5 minutes (ESO's default store requeue interval) and whenever it
changes. Auth Secrets are read from the API server, as everywhere in the controllers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.controllers.base import Controller, ControllerContext, Result, log, set_condition
from secretsops.controllers.informer import Key
from secretsops.errors import ExternalError, SecretsOpsError
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.aws_common import aws_call
from secretsops.external.providers.base import Provider, ProviderSettings, StoreContext
from secretsops.external.providers.registry import provider_class
from secretsops.external.providers.vault import VaultProvider
from secretsops.external.resources import GROUP, STORE_KINDS, Store
from secretsops.manifests import Obj

REVALIDATE_SECONDS = 300.0


def validate(provider: Provider) -> None:
    """One cheap authenticated call through the provider; raises with the reason when it fails."""
    where = f"{provider.store}: validate"
    if isinstance(provider, VaultProvider):
        client = provider.client()  # logs in for every method but a static token
        try:
            client.auth.token.lookup_self()
        except Exception as exc:  # noqa: BLE001 - hvac and requests errors; reported by type only
            name = type(exc).__name__
            if name in ("Forbidden", "Unauthorized", "InvalidRequest"):
                raise ExternalError(f"{where}: the token is not accepted ({name})") from None
            raise ExternalError(f"{where}: {provider.server} did not answer ({name})") from None
        return
    client = getattr(provider, "client", None)
    if client is not None and hasattr(client, "list_secrets"):
        aws_call(str(provider.store), "validate", lambda: client.list_secrets(MaxResults=1))
        return
    if client is not None and hasattr(client, "describe_parameters"):
        aws_call(str(provider.store), "validate", lambda: client.describe_parameters(MaxResults=1))
        return
    raise ExternalError(f"{where}: no validation for provider {provider.store.provider_key}")


class SecretStoresController(Controller):
    name: ClassVar[str] = "secretstores"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.connections: dict[Any, Any] = {}
        self.versions: dict[str, str] = {}
        self.seen: dict[Key, Any] = {}

    def setup(self) -> None:
        for kind in STORE_KINDS:
            version = self.ctx.kube.served_version(GROUP, ("v1", "v1beta1"), kind) or f"{GROUP}/v1"
            self.versions[kind] = version
            namespaces = self.ctx.namespaces() if kind == "SecretStore" else [""]
            self.primaries += [
                self.ctx.informer(version, kind, ns, handlers=[self._on_event]) for ns in namespaces
            ]
        self.informers = list(self.primaries)

    @staticmethod
    def _key(obj: Obj) -> Key:
        meta = obj.get("metadata") or {}
        # ClusterSecretStores have no namespace; the kind keeps the two apart
        ns = str(meta.get("namespace") or "")
        return (ns if obj.get("kind") == "SecretStore" else "\0cluster", str(meta.get("name") or ""))

    def _on_event(self, kind: str, obj: Obj) -> None:
        key = self._key(obj)
        meta = obj.get("metadata") or {}
        if kind == "DELETED":
            self.seen.pop(key, None)
            return
        if kind == "MODIFIED" and self.seen.get(key) == meta.get("generation"):
            return
        self.queue.add(key)

    def cached(self, key: Key) -> Obj | None:
        for inf in self.primaries:
            if key[0] == "\0cluster" and inf.kind == "ClusterSecretStore":
                found = inf.get(("", key[1]))
            elif key[0] != "\0cluster" and inf.kind == "SecretStore":
                found = inf.get(key)
            else:
                found = None
            if found is not None:
                return found
        return None

    def keys(self) -> list[Key]:
        return [self._key(o) for inf in self.primaries for o in inf.objects()]

    def reconcile(self, key: Key) -> Result:
        obj = self.cached(key)
        if obj is None:
            return Result()
        meta = obj.get("metadata") or {}
        ok = True
        try:
            store = Store.parse(obj)
            if store.kind == "SecretStore":
                store.namespace = str(meta.get("namespace") or "")
            sc = StoreContext(
                store,
                store.namespace,
                ObjectLookup([], self.ctx.kube),
                ProviderSettings(env=dict(self.ctx.env)),
                self.connections,
                lambda what, n: self.ctx.metrics.provider_calls.labels(self.name, what).inc(n),
            )
            validate(provider_class(store)(sc))
            self._status(obj, "True", "Valid", "store validated")
        except SecretsOpsError as exc:
            ok = False
            self._status(obj, "False", "ValidationFailed", f"unable to validate store: {exc}"[:1000])
            if exc.temporary:
                log.info("store not reachable", extra={"reason": str(exc)})
        self.seen[key] = meta.get("generation")
        return Result(requeue_after=REVALIDATE_SECONDS, ok=ok)

    def _status(self, obj: Obj, status: str, reason: str, message: str) -> None:
        old = dict(obj.get("status") or {})
        conditions = set_condition(list(old.get("conditions") or []), "Ready", status, reason, message)
        new = {"conditions": conditions, "capabilities": old.get("capabilities") or "ReadOnly"}
        kind = str(obj.get("kind"))
        self.write_status(obj, self.versions.get(kind, f"{GROUP}/v1"), kind, new)
