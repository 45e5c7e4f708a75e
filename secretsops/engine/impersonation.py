"""Per-source identity: the ServiceAccount a source's API calls impersonate, as Flux does.

Flux's kustomize-controller applies a Kustomization as its ``spec.serviceAccountName`` (or the
controller's ``--default-service-account`` when it names none), the account looked up in the
Kustomization's own namespace. The engine does the same per source: apply, prune, drift reads
and the lookups of SecretStores and what they reference go through a client impersonating
``system:serviceaccount:<namespace>:<name>``, so a repository writer reaches exactly what that
account's RBAC grants. What stays the engine's own: its status and inventory ConfigMaps, the
decryption Secret (Flux reads ``decryption.secretRef`` as the controller too), the sealing keys, and
an administrator's ClusterSecretStores with what they name (as ESO; ``external.lookup``).

No groups are sent: for a ServiceAccount user the API server then adds exactly that account's
groups (``system:serviceaccounts``, ``system:serviceaccounts:<namespace>``) itself, and the engine
needs only ``impersonate`` on ``serviceaccounts``, not on ``groups``.
"""

from __future__ import annotations

from secretsops.engine.config import EngineSettings, SourceSpec
from secretsops.kube import KubeClient

SERVICE_ACCOUNT_USER = "system:serviceaccount:{namespace}:{name}"


def service_account_user(spec: SourceSpec, settings: EngineSettings) -> str:
    """The user a source's calls impersonate ("" = the engine's own identity).

    The account lives in the source's namespace: a Flux Kustomization's ``metadata.namespace``;
    for a flat ``sources:`` entry or ``--repo``, its ``targetNamespace``, else the engine's.
    """
    name = spec.service_account_name or settings.default_service_account
    if not name:
        return ""
    namespace = spec.service_account_namespace or spec.target_namespace or settings.namespace
    return SERVICE_ACCOUNT_USER.format(namespace=namespace, name=name)


def source_client(kube: KubeClient, spec: SourceSpec, settings: EngineSettings) -> KubeClient:
    """The client for everything a source does in the cluster (see the module docstring)."""
    user = service_account_user(spec, settings)
    return kube.as_user(user) if user else kube
