"""ESO's Vault ``kubernetes`` and ``jwt`` auth end to end: real apiserver tokens, real OpenBao logins.

The resolver asks the apiserver for a ServiceAccount token (TokenRequest, as ESO does for
``serviceAccountRef``); OpenBao's kubernetes auth method checks it with a TokenReview against the same
apiserver, as the reviewer ServiceAccount that holds ``system:auth-delegator``. Nothing is faked.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import hvac
import pytest
from kubernetes import client as k8s

from secretsops.decryptors.base import DecryptContext, DecryptFailed, run_decryptors
from secretsops.decryptors.external import ExternalDecryptor
from secretsops.kube import KubeClient
from secretsops.manifests import SourcedObject
from tests.external.manifests import external_secret, secret_values, token_secret, vault_store
from tests.realkube import ISSUER, ControlPlane

pytestmark = pytest.mark.realkube

Obj = dict[str, Any]


def _crd(plural: str, kind: str) -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.external-secrets.io"},
        "spec": {
            "group": "external-secrets.io",
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }


def _ensure_crd(ext: Any, crd: Obj) -> None:
    """Create the CRD; one another test module installed (or is still removing) is waited out or kept."""
    name = crd["metadata"]["name"]
    deadline = time.monotonic() + 60
    while True:
        try:
            ext.create_custom_resource_definition(crd)
            return
        except k8s.exceptions.ApiException as exc:
            if exc.status != 409 or time.monotonic() > deadline:
                raise
        try:
            live = ext.read_custom_resource_definition(name)
        except k8s.exceptions.ApiException:
            continue  # gone between the two calls: create again
        if live.metadata.deletion_timestamp is None:
            return  # installed by someone else and staying: its schema serves these tests as well
        time.sleep(0.2)


@pytest.fixture
def cluster(realkube: ControlPlane) -> Any:
    """ESO's CRDs, namespace ``apps`` with ServiceAccounts ``eso`` and ``other``, a TokenReview reviewer."""
    api = realkube.api_client()
    ext = k8s.ApiextensionsV1Api(api)
    for plural, kind in (("secretstores", "SecretStore"), ("externalsecrets", "ExternalSecret")):
        _ensure_crd(ext, _crd(plural, kind))
    core = k8s.CoreV1Api(api)
    for ns in ("apps", "vault-auth"):
        core.create_namespace({"metadata": {"name": ns}})
    for sa in ("eso", "other"):
        core.create_namespaced_service_account("apps", {"metadata": {"name": sa}})
    core.create_namespaced_service_account("vault-auth", {"metadata": {"name": "reviewer"}})
    k8s.RbacAuthorizationV1Api(api).create_cluster_role_binding(
        {
            "metadata": {"name": "vault-reviewer"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:auth-delegator",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reviewer", "namespace": "vault-auth"}],
        }
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # CRDs are served a moment after they are created
        try:
            k8s.CustomObjectsApi(api).list_namespaced_custom_object(
                "external-secrets.io", "v1", "apps", "secretstores"
            )
            break
        except k8s.exceptions.ApiException:
            time.sleep(0.1)
    return api


@pytest.fixture
def mount(bao: hvac.Client, realkube: ControlPlane, cluster: Any) -> str:
    """OpenBao's kubernetes auth method, pointed at this apiserver; role ``eso`` binds apps/eso."""
    path = "k8s-" + uuid.uuid4().hex[:8]
    bao.sys.enable_auth_method("kubernetes", path=path)
    bao.write_data(
        f"auth/{path}/config",
        data={
            "kubernetes_host": realkube.url,
            "kubernetes_ca_cert": realkube.ca_file.read_text(),
            "token_reviewer_jwt": realkube.service_account_token("vault-auth", "reviewer"),
            "disable_local_ca_jwt": True,
        },
    )
    bao.write_data(
        f"auth/{path}/role/eso",
        data={
            "bound_service_account_names": ["eso"],
            "bound_service_account_namespaces": ["apps"],
            "token_policies": ["read-all"],
        },
    )
    return path


def _resolve(api: Any, store: Obj, es: Obj, extra: list[Obj] | None = None) -> tuple[Obj, dict[str, int]]:
    """Create the store (and auth Secrets) in the cluster; resolve the ExternalSecret as the engine does."""
    custom = k8s.CustomObjectsApi(api)
    custom.create_namespaced_custom_object("external-secrets.io", "v1", "apps", "secretstores", store)
    for obj in extra or []:
        k8s.CoreV1Api(api).create_namespaced_secret("apps", obj)
    ctx = DecryptContext(kube=KubeClient(api))
    [out] = run_decryptors([SourcedObject(es)], [ExternalDecryptor()], ctx)
    return out.obj, ctx.calls


def _es(path: str) -> Obj:
    return external_secret(data=[{"secretKey": "v", "remoteRef": {"key": path, "property": "v"}}])


def _secret_at(bao: hvac.Client, value: str) -> str:
    path = "t" + uuid.uuid4().hex[:10]
    bao.secrets.kv.v2.create_or_update_secret(path, {"v": value}, mount_point="secret")
    return path


def test_service_account_ref_logs_in_with_a_requested_token_the_apiserver_reviews(
    cluster: Any, mount: str, bao: hvac.Client, openbao: Any, realkube: ControlPlane
) -> None:
    path = _secret_at(bao, "via-tokenreview")
    store = vault_store(
        openbao.url,
        auth={"kubernetes": {"mountPath": mount, "role": "eso", "serviceAccountRef": {"name": "eso"}}},
    )
    out, _ = _resolve(cluster, store, _es(path))
    assert secret_values(out) == {"v": "via-tokenreview"}
    reviews = [
        e for e in realkube.audit("system:serviceaccount:vault-auth:reviewer") if e["verb"] == "create"
    ]
    assert any((e.get("objectRef") or {}).get("resource") == "tokenreviews" for e in reviews)


def test_a_service_account_the_vault_role_does_not_bind_is_refused(
    cluster: Any, mount: str, bao: hvac.Client, openbao: Any
) -> None:
    path = _secret_at(bao, "never")
    store = vault_store(
        openbao.url,
        auth={"kubernetes": {"mountPath": mount, "role": "eso", "serviceAccountRef": {"name": "other"}}},
    )
    with pytest.raises(DecryptFailed) as err:
        _resolve(cluster, store, _es(path))
    assert "never" not in str(err.value) and "\n" not in str(err.value).strip()


def test_a_token_whose_service_account_was_deleted_no_longer_logs_in(
    cluster: Any, mount: str, bao: hvac.Client, openbao: Any, realkube: ControlPlane
) -> None:
    path = _secret_at(bao, "stale")
    stale = realkube.service_account_token("apps", "eso")
    core = k8s.CoreV1Api(cluster)
    core.delete_namespaced_service_account("eso", "apps")
    core.create_namespaced_service_account("apps", {"metadata": {"name": "eso"}})  # same name, new UID
    store = vault_store(
        openbao.url,
        auth={"kubernetes": {"mountPath": mount, "role": "eso", "secretRef": {"name": "eso-token"}}},
    )
    with pytest.raises(DecryptFailed):
        _resolve(cluster, store, _es(path), [token_secret("eso-token", stale)])


def test_jwt_auth_with_a_service_account_token_verified_by_the_apiservers_signing_key(
    cluster: Any, bao: hvac.Client, openbao: Any, realkube: ControlPlane
) -> None:
    jwt_path = "jwt-" + uuid.uuid4().hex[:8]
    bao.sys.enable_auth_method("jwt", path=jwt_path)
    bao.write_data(
        f"auth/{jwt_path}/config",
        data={"jwt_validation_pubkeys": [realkube.sa_public_key_file.read_text()], "bound_issuer": ISSUER},
    )
    bao.write_data(
        f"auth/{jwt_path}/role/eso",
        data={
            "role_type": "jwt",
            "bound_audiences": ["vault"],
            "user_claim": "sub",
            "bound_subject": "system:serviceaccount:apps:eso",
            "token_policies": ["read-all"],
        },
    )
    path = _secret_at(bao, "via-jwt")
    auth = {
        "jwt": {
            "path": jwt_path,
            "role": "eso",
            "kubernetesServiceAccountToken": {"serviceAccountRef": {"name": "eso"}, "audiences": ["vault"]},
        }
    }
    out, _ = _resolve(cluster, vault_store(openbao.url, auth=auth), _es(path))
    assert secret_values(out) == {"v": "via-jwt"}
