"""Find the objects an ExternalSecret depends on: stores, auth Secrets, template sources.

Rendering a directory, they come from the rendered set itself (already decrypted in memory by
the sops/sealed decryptors that ran before, e.g. a SOPS-encrypted Vault token Secret). In a
cluster, what the set does not hold is read from the API (``DecryptContext.kube``, the gateway). Secret
references follow ESO's rule: a SecretStore reads only in the ExternalSecret's namespace; a
ClusterSecretStore may name another namespace.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from secretsops.errors import (
    ExternalError,
    InputError,
    KubeError,
    KubeForbidden,
    KubeRejected,
    ProviderUnavailable,
)
from secretsops.kube import KubeClient
from secretsops.manifests import Obj

CORE_KINDS = {"Secret", "ConfigMap"}


class ObjectLookup:
    """Objects by kind/namespace/name from the rendered set, then from the cluster."""

    def __init__(self, objects: Iterable[Obj], kube: KubeClient | None = None) -> None:
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

    def _live(self, api_version: str, kind: str, namespace: str, name: str, what: str) -> Obj | None:
        """The object from the cluster; None when it (or its API) does not exist.

        Access denied is the user's to fix (permanent); anything else may pass (temporary).
        """
        assert self.kube is not None
        try:
            return self.kube.get(api_version, kind, namespace, name)
        except KubeForbidden:
            raise ExternalError(f"cannot read {what} from the cluster: access denied") from None
        except KubeRejected as exc:
            if exc.status == 404:
                return None  # the API itself is not served (e.g. that ESO version)
            raise ProviderUnavailable(f"cannot read {what} from the cluster: HTTP {exc.status}") from None
        except KubeError as exc:
            detail = f"HTTP {exc.status}" if exc.status else exc.message
            raise ProviderUnavailable(f"cannot read {what} from the cluster: {detail}") from None

    def secret_data(self, namespace: str, name: str) -> dict[str, bytes] | None:
        obj = self.local("Secret", namespace, name)
        if obj is not None:
            return secret_bytes(obj, f"Secret {namespace}/{name}")
        if self.kube is None:
            return None
        live = self._live("v1", "Secret", namespace, name, f"Secret {namespace}/{name}")
        if live is None:
            return None
        return {str(k): base64.b64decode(str(v or "")) for k, v in (live.get("data") or {}).items()}

    def configmap_data(self, namespace: str, name: str) -> dict[str, str] | None:
        obj = self.local("ConfigMap", namespace, name)
        if obj is not None:
            if not isinstance(obj.get("data") or {}, dict):
                raise InputError("data must be a mapping", object=f"ConfigMap {namespace}/{name}")
            return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
        if self.kube is None:
            return None
        live = self._live("v1", "ConfigMap", namespace, name, f"ConfigMap {namespace}/{name}")
        if live is None:
            return None
        return {str(k): str(v) for k, v in (live.get("data") or {}).items()}

    def store(self, kind: str, namespace: str, name: str) -> Obj | None:
        from secretsops.external.resources import API_VERSIONS

        ns = namespace if kind == "SecretStore" else ""
        cand = self.local(kind, ns, name)
        if cand is not None and str(cand.get("apiVersion")) in API_VERSIONS:
            return cand
        if kind == "ClusterSecretStore":
            # a ClusterSecretStore manifest carries no namespace; accept one that (wrongly) has one
            for (k, _ns, n), obj in self._index.items():
                if k == kind and n == name and str(obj.get("apiVersion")) in API_VERSIONS:
                    return obj
        if self.kube is None:
            return None
        what = f"{kind} {namespace}/{name}" if kind == "SecretStore" else f"{kind} {name}"
        for version in ("v1", "v1beta1"):
            got = self._live(f"external-secrets.io/{version}", kind, ns, name, what)
            if got is not None:
                return got
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
        what = f"token for ServiceAccount {namespace}/{name}"
        try:
            token = self.kube.create_token(namespace, name, audiences, seconds)
        except KubeForbidden:
            raise ExternalError(f"cannot read {what} from the cluster: access denied") from None
        except KubeError as exc:
            detail = f"HTTP {exc.status}" if exc.status else exc.message
            raise ProviderUnavailable(f"cannot read {what} from the cluster: {detail}") from None
        if token is None:
            raise ExternalError(f"ServiceAccount {namespace}/{name} not found")
        return token

    def service_account(self, namespace: str, name: str) -> Obj | None:
        obj = self.local("ServiceAccount", namespace, name)
        if obj is not None:
            return obj
        if self.kube is None:
            return None
        live = self._live("v1", "ServiceAccount", namespace, name, f"ServiceAccount {name}")
        if live is None:
            return None
        return {"metadata": {"annotations": dict((live.get("metadata") or {}).get("annotations") or {})}}

    def namespace_labels(self, namespace: str) -> dict[str, str] | None:
        obj = self.local("Namespace", "", namespace)
        if obj is not None:
            return dict((obj.get("metadata") or {}).get("labels") or {})
        if self.kube is None:
            return None
        live = self._live("v1", "Namespace", "", namespace, f"Namespace {namespace}")
        return None if live is None else dict((live.get("metadata") or {}).get("labels") or {})


def secret_bytes(obj: Obj, what: str) -> dict[str, bytes]:
    """A Secret manifest's values as the API server would store them (stringData wins)."""
    out: dict[str, bytes] = {}
    for field in ("data", "stringData"):
        if not isinstance(obj.get(field) or {}, dict):
            raise InputError(f"{field} must be a mapping", object=what)
    for k, v in (obj.get("data") or {}).items():
        try:
            out[str(k)] = base64.b64decode(str(v or ""), validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"data.{k} is not valid base64", object=what) from None
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
