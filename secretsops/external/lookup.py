"""Find the objects an ExternalSecret depends on: stores, auth Secrets, template sources.

Rendering a directory, they come from the rendered set itself (already decrypted in memory by
the sops/sealed decryptors that ran before, e.g. a SOPS-encrypted Vault token Secret). In a
cluster, what the set does not hold is read from the API (``DecryptContext.kube``). Secret
references follow ESO's rule: a SecretStore reads only in the ExternalSecret's namespace; a
ClusterSecretStore may name another namespace.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from secretsops.errors import ExternalError, InputError, ProviderUnavailable
from secretsops.manifests import Obj

CORE_KINDS = {"Secret", "ConfigMap"}


def _ns_match(obj_ns: str, wanted: str) -> bool:
    return obj_ns == wanted


class ObjectLookup:
    """Objects by kind/namespace/name from the rendered set, then from the cluster."""

    def __init__(self, objects: Iterable[Obj], kube: Any = None) -> None:
        self._index: dict[tuple[str, str, str], Obj] = {}
        self._loose: dict[tuple[str, str], list[Obj]] = {}
        for obj in objects:
            kind = str(obj.get("kind") or "")
            meta = obj.get("metadata") or {}
            key = (kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            self._index.setdefault(key, obj)
            if not key[1]:
                self._loose.setdefault((kind, key[2]), []).append(obj)
        self.kube = kube

    def local(self, kind: str, namespace: str, name: str) -> Obj | None:
        found = self._index.get((kind, namespace, name))
        if found is not None:
            return found
        # A manifest without a namespace lands in whatever namespace it is applied to.
        loose = self._loose.get((kind, name)) or []
        if len(loose) == 1:
            return loose[0]
        if not namespace:
            anywhere = [o for (k, _ns, n), o in self._index.items() if k == kind and n == name]
            if len(anywhere) == 1:
                return anywhere[0]
        return None

    def _api(self, call: Any, what: str) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return call()
        except ApiException as exc:
            if exc.status == 404:
                return None
            if exc.status in (401, 403):
                raise ExternalError(f"cannot read {what} from the cluster: access denied") from None
            raise ProviderUnavailable(f"cannot read {what} from the cluster: HTTP {exc.status}") from None
        except (OSError, HTTPError) as exc:
            raise ProviderUnavailable(f"cannot read {what} from the cluster: {type(exc).__name__}") from None

    def secret_data(self, namespace: str, name: str) -> dict[str, bytes] | None:
        obj = self.local("Secret", namespace, name)
        if obj is not None:
            return secret_bytes(obj, f"Secret {namespace}/{name}")
        if self.kube is None:
            return None
        from kubernetes import client

        api = client.CoreV1Api(self.kube)
        live = self._api(lambda: api.read_namespaced_secret(name, namespace), f"Secret {namespace}/{name}")
        if live is None:
            return None
        return {k: base64.b64decode(v) for k, v in (live.data or {}).items()}

    def configmap_data(self, namespace: str, name: str) -> dict[str, str] | None:
        obj = self.local("ConfigMap", namespace, name)
        if obj is not None:
            if not isinstance(obj.get("data") or {}, dict):
                raise InputError(f"ConfigMap {namespace}/{name}: data must be a mapping")
            return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
        if self.kube is None:
            return None
        from kubernetes import client

        api = client.CoreV1Api(self.kube)
        live = self._api(
            lambda: api.read_namespaced_config_map(name, namespace), f"ConfigMap {namespace}/{name}"
        )
        if live is None:
            return None
        return dict(live.data or {})

    def store(self, kind: str, namespace: str, name: str) -> Obj | None:
        from secretsops.external.resources import API_VERSIONS

        ns = namespace if kind == "SecretStore" else ""
        for cand in (self.local(kind, ns, name),):
            if cand is not None and str(cand.get("apiVersion")) in API_VERSIONS:
                return cand
        if kind == "ClusterSecretStore":
            # a ClusterSecretStore manifest carries no namespace; accept one that (wrongly) has one
            for (k, _ns, n), obj in self._index.items():
                if k == kind and n == name and str(obj.get("apiVersion")) in API_VERSIONS:
                    return obj
        if self.kube is None:
            return None
        from kubernetes import client

        api = client.CustomObjectsApi(self.kube)
        plural = "secretstores" if kind == "SecretStore" else "clustersecretstores"
        for version in ("v1", "v1beta1"):
            if kind == "SecretStore":
                got = self._api(
                    lambda v=version: api.get_namespaced_custom_object(  # type: ignore[misc]
                        "external-secrets.io", v, namespace, plural, name
                    ),
                    f"{kind} {namespace}/{name}",
                )
            else:
                got = self._api(
                    lambda v=version: api.get_cluster_custom_object(  # type: ignore[misc]
                        "external-secrets.io", v, plural, name
                    ),
                    f"{kind} {name}",
                )
            if got is not None:
                return dict(got)
        return None

    def service_account_token(
        self, namespace: str, name: str, audiences: list[str], seconds: int = 600
    ) -> str:
        """A short-lived token for a ServiceAccount (TokenRequest API), as ESO creates one."""
        if self.kube is None:
            raise ExternalError(
                f"ServiceAccount {namespace}/{name}: a service-account token needs cluster access"
                " (in-cluster only)"
            )
        from kubernetes import client

        api = client.CoreV1Api(self.kube)
        body = client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=audiences or None, expiration_seconds=seconds)
        )
        got = self._api(
            lambda: api.create_namespaced_service_account_token(name, namespace, body),
            f"token for ServiceAccount {namespace}/{name}",
        )
        if got is None:
            raise ExternalError(f"ServiceAccount {namespace}/{name} not found")
        return str(got.status.token)

    def service_account(self, namespace: str, name: str) -> Obj | None:
        obj = self.local("ServiceAccount", namespace, name)
        if obj is not None:
            return obj
        if self.kube is None:
            return None
        from kubernetes import client

        api = client.CoreV1Api(self.kube)
        live = self._api(
            lambda: api.read_namespaced_service_account(name, namespace), f"ServiceAccount {name}"
        )
        if live is None:
            return None
        return {"metadata": {"annotations": dict(live.metadata.annotations or {})}}

    def namespace_labels(self, namespace: str) -> dict[str, str] | None:
        obj = self.local("Namespace", "", namespace)
        if obj is not None:
            return dict((obj.get("metadata") or {}).get("labels") or {})
        if self.kube is None:
            return None
        from kubernetes import client

        api = client.CoreV1Api(self.kube)
        live = self._api(lambda: api.read_namespace(namespace), f"Namespace {namespace}")
        return None if live is None else dict(live.metadata.labels or {})


def secret_bytes(obj: Obj, what: str) -> dict[str, bytes]:
    """A Secret manifest's values as the API server would store them (stringData wins)."""
    out: dict[str, bytes] = {}
    for field in ("data", "stringData"):
        if not isinstance(obj.get(field) or {}, dict):
            raise InputError(f"{what}: {field} must be a mapping")
    for k, v in (obj.get("data") or {}).items():
        try:
            out[str(k)] = base64.b64decode(str(v or ""), validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{what}: data.{k} is not valid base64") from None
    for k, v in (obj.get("stringData") or {}).items():
        out[str(k)] = str(v).encode()
    return out


def secret_key_ref(
    lookup: ObjectLookup, store_kind: str, es_namespace: str, ref: Any, *, where: str, default_key: str = ""
) -> str:
    """``resolvers.SecretKeyRef``: the value of one key of a Secret a store refers to."""
    if not isinstance(ref, dict) or not ref.get("name"):
        raise InputError(f"{where}: a secret reference needs a name")
    key = str(ref.get("key") or default_key)
    namespace = es_namespace
    if store_kind == "ClusterSecretStore" and ref.get("namespace"):
        namespace = str(ref["namespace"])
    data = lookup.secret_data(namespace, str(ref["name"]))
    if data is None:
        raise ExternalError(
            f"{where}: cannot get Kubernetes secret {ref['name']!r} from namespace {namespace!r}"
        )
    if key not in data:
        raise ExternalError(f"{where}: cannot find secret data for key: {key!r} in Secret {ref['name']!r}")
    return data[key].decode("utf-8", "surrogateescape")
