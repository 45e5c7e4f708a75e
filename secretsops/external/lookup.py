"""Find the objects an ExternalSecret depends on: stores, auth Secrets, template sources.

Two modes, chosen by whether there is a cluster (``kube``):

* **Cluster** (the engine, the controllers): stores, Secrets, ConfigMaps, ServiceAccounts and
  Namespaces are read from the API server only. Which identity reads them follows ESO's model
  (docs/multi-tenant.md): a **SecretStore** (namespaced: a tenant may write one) is read, and so
  is everything it references, through ``kube`` — in the engine the *source's* client
  (impersonating its ``serviceAccountName``), so a repo writer reaches exactly what the source's
  RBAC reaches. A **ClusterSecretStore** is an administrator's object (creating one takes cluster
  RBAC, checked by the API server when a source applies it): the store itself, the live Namespace
  labels its ``conditions`` match, and the Secrets, ConfigMaps and ServiceAccounts in the
  namespaces it *names* are read with ``engine_kube``, the engine's own identity, as ESO's
  controller reads them; a reference it leaves without a namespace (ESO's "referent" form) is in
  the ExternalSecret's namespace and is read through the source's client (``for_store``).
  Nothing in the rendered set grants access: a store, auth Secret or
  Namespace declared in git is applied like any other object and used once the API server holds
  it. The rendered set only tells "declared here, not applied yet" (by identity, never content)
  apart from "missing": the former raises :class:`NotInClusterYet`, which the engine turns into an
  ExternalSecret that waits for a later pass (see ``decryptors.external``).
* **Local** (``render`` without a cluster, the helm post-renderer, the KRM function): the rendered
  set is all there is, read with the credentials of whoever runs the command. Namespaces match
  exactly: a namespace-less object is in "the namespace it will be applied to", which is a
  namespace of its own here, so a namespace-less ExternalSecret never uses a SecretStore or a
  Secret declared for another namespace (issue 11 row 14). Namespace labels are unknown (there is
  no live Namespace): ``conditions`` see only ``kubernetes.io/metadata.name``.

Secret references follow ESO's rule in both modes: a SecretStore reads only in the
ExternalSecret's namespace; a ClusterSecretStore may name another namespace.
"""

from __future__ import annotations

import base64
import binascii
import copy
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
#: the label the API server puts on every Namespace (the only one known without a cluster)
NAME_LABEL = "kubernetes.io/metadata.name"


class NotInClusterYet(ExternalError):
    """An object the ExternalSecret needs is declared in this unit but not in the API server yet.

    Not a failure of the pass: the engine applies the rest (the declared object included) and
    resolves the ExternalSecret again once the API server holds it.
    """


class ObjectLookup:
    """Objects by kind/namespace/name: from the API server when there is one, else from the files."""

    def __init__(
        self, objects: Iterable[Obj], kube: KubeClient | None = None, engine_kube: KubeClient | None = None
    ) -> None:
        #: reads for the ExternalSecret's source (a SecretStore, a referent reference)
        self.kube = kube
        #: reads for what a ClusterSecretStore owns (the engine's identity; ``kube`` when not given)
        self.engine_kube = engine_kube if engine_kube is not None and kube is not None else kube
        #: namespaces a ClusterSecretStore names explicitly (set by ``for_store``): read as the engine
        self._store_namespaces: frozenset[str] = frozenset()
        #: local mode: the rendered objects by exact identity (cluster mode: identities only)
        self._index: dict[tuple[str, str, str], Obj] = {}
        for obj in objects:
            kind = str(obj.get("kind") or "")
            meta = obj.get("metadata") or {}
            ns = "" if kind in ("ClusterSecretStore", "Namespace") else str(meta.get("namespace") or "")
            key = (kind, ns, str(meta.get("name") or ""))
            self._index.setdefault(key, {} if kube is not None else obj)

    @property
    def cluster(self) -> bool:
        return self.kube is not None

    def for_store(self, store_kind: str, provider_spec: Any) -> ObjectLookup:
        """The reads of one store's provider, each with the identity ESO's model gives it.

        For a ClusterSecretStore, an object in a namespace the store names explicitly (an auth
        ``secretRef``, a ``serviceAccountRef``, a ``caProvider`` with ``namespace``) is read with
        the engine's identity: only an administrator can have written that namespace there. Any
        other read (a SecretStore's, a referent reference in the ExternalSecret's namespace) goes
        through the source's client. Same index, no copy of it.
        """
        view = copy.copy(self)
        view._store_namespaces = (
            frozenset(_named_namespaces(provider_spec)) if store_kind == "ClusterSecretStore" else frozenset()
        )
        return view

    def _client(self, namespace: str, engine: bool = False) -> KubeClient:
        """The engine's client for the store's own namespaces (or when asked), else the source's."""
        client = self.engine_kube if engine or namespace in self._store_namespaces else self.kube
        assert client is not None
        return client

    def local(self, kind: str, namespace: str, name: str) -> Obj | None:
        """The rendered object with exactly this identity (local mode only; never a guess)."""
        if self.kube is not None:
            return None
        ns = "" if kind in ("ClusterSecretStore", "Namespace") else namespace
        return self._index.get((kind, ns, name))

    def _missing(self, kind: str, namespace: str, name: str, what: str) -> None:
        """Raise NotInClusterYet when the unit declares the object the API server lacks."""
        ns = "" if kind in ("ClusterSecretStore", "Namespace") else namespace
        if (kind, ns, name) in self._index:
            raise NotInClusterYet(f"{what} is declared in this source but not in the cluster yet")

    def _live(
        self, api_version: str, kind: str, namespace: str, name: str, what: str, *, engine: bool = False
    ) -> Obj | None:
        """The object from the cluster; None when it (or its API) does not exist.

        Access denied is the user's to fix (permanent); anything else may pass (temporary).
        """
        try:
            return self._client(namespace, engine).get(api_version, kind, namespace, name)
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
        what = f"Secret {namespace}/{name}"
        if self.kube is None:
            obj = self.local("Secret", namespace, name)
            return None if obj is None else secret_bytes(obj, what)
        live = self._live("v1", "Secret", namespace, name, what)
        if live is None:
            self._missing("Secret", namespace, name, what)
            return None
        return {str(k): base64.b64decode(str(v or "")) for k, v in (live.get("data") or {}).items()}

    def configmap_data(self, namespace: str, name: str) -> dict[str, str] | None:
        what = f"ConfigMap {namespace}/{name}"
        if self.kube is None:
            obj = self.local("ConfigMap", namespace, name)
            if obj is None:
                return None
            if not isinstance(obj.get("data") or {}, dict):
                raise InputError("data must be a mapping", object=what)
            return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
        live = self._live("v1", "ConfigMap", namespace, name, what)
        if live is None:
            self._missing("ConfigMap", namespace, name, what)
            return None
        return {str(k): str(v) for k, v in (live.get("data") or {}).items()}

    def store(self, kind: str, namespace: str, name: str) -> Obj | None:
        from secretsops.external.resources import API_VERSIONS

        ns = namespace if kind == "SecretStore" else ""
        what = f"{kind} {namespace}/{name}" if kind == "SecretStore" else f"{kind} {name}"
        if self.kube is None:
            cand = self.local(kind, ns, name)
            return cand if cand is not None and str(cand.get("apiVersion")) in API_VERSIONS else None
        for version in ("v1", "v1beta1"):
            # a ClusterSecretStore only exists if an administrator created it: read as the engine
            got = self._live(
                f"external-secrets.io/{version}", kind, ns, name, what, engine=kind == "ClusterSecretStore"
            )
            if got is not None:
                return got
        self._missing(kind, ns, name, what)
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
            token = self._client(namespace).create_token(namespace, name, audiences, seconds)
        except KubeForbidden:
            raise ExternalError(f"cannot read {what} from the cluster: access denied") from None
        except KubeError as exc:
            detail = f"HTTP {exc.status}" if exc.status else exc.message
            raise ProviderUnavailable(f"cannot read {what} from the cluster: {detail}") from None
        if token is None:
            self._missing("ServiceAccount", namespace, name, f"ServiceAccount {namespace}/{name}")
            raise ExternalError(f"ServiceAccount {namespace}/{name} not found")
        return token

    def service_account(self, namespace: str, name: str) -> Obj | None:
        if self.kube is None:
            return self.local("ServiceAccount", namespace, name)
        what = f"ServiceAccount {namespace}/{name}"
        live = self._live("v1", "ServiceAccount", namespace, name, what)
        if live is None:
            self._missing("ServiceAccount", namespace, name, what)
            return None
        return {"metadata": {"annotations": dict((live.get("metadata") or {}).get("annotations") or {})}}

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """The live Namespace's labels (cluster), or only its name label (local: none are known).

        Never the labels of a Namespace in the rendered set: whoever writes the repository
        would choose which ClusterSecretStore ``conditions`` they pass (issue 11 row 2). Read with
        the engine's identity: conditions are the store administrator's, and a tenant needs no
        right on cluster-scoped Namespaces to be allowed by them.
        """
        if self.kube is None or not namespace:
            return {NAME_LABEL: namespace} if namespace else {}
        what = f"Namespace {namespace}"
        live = self._live("v1", "Namespace", "", namespace, what, engine=True)
        if live is None:
            self._missing("Namespace", "", namespace, what)
            raise ExternalError(f"{what} not found")
        return {str(k): str(v) for k, v in ((live.get("metadata") or {}).get("labels") or {}).items()}


def _named_namespaces(spec: Any) -> Iterable[str]:
    """Every ``namespace`` of a reference (a mapping with ``name`` and ``namespace``) in a store spec."""
    if isinstance(spec, dict):
        if spec.get("name") and isinstance(spec.get("namespace"), str) and spec["namespace"]:
            yield spec["namespace"]
        for v in spec.values():
            yield from _named_namespaces(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from _named_namespaces(v)


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
