"""In-cluster lookups (Kubernetes API test server) and Vault JWT auth (real OpenBao)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from kubernetes import client as k8s

from secretsops.decryptors.base import DecryptContext, run_decryptors
from secretsops.decryptors.external import ExternalDecryptor
from secretsops.manifests import SourcedObject
from tests.external.manifests import external_secret, secret_values, token_secret, vault_store


def _crd(plural: str, kind: str, scope: str) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.external-secrets.io"},
        "spec": {
            "group": "external-secrets.io",
            "scope": scope,
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


def test_store_and_auth_secret_come_from_the_cluster(kubeapi, bao, openbao, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/live", {"v": "from-cluster"}, mount_point="secret")
    api = kubeapi.api_client()
    ext = k8s.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition(_crd("clustersecretstores", "ClusterSecretStore", "Cluster"))
    ext.create_custom_resource_definition(_crd("externalsecrets", "ExternalSecret", "Namespaced"))
    time.sleep(0.2)
    core = k8s.CoreV1Api(api)
    for ns in ("apps", "platform"):
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    core.create_namespaced_secret("platform", token_secret("bao-root", openbao.token, namespace="platform"))
    store = vault_store(
        openbao.url,
        name="global",
        kind="ClusterSecretStore",
        auth={"tokenSecretRef": {"name": "bao-root", "namespace": "platform", "key": "token"}},
    )
    custom = k8s.CustomObjectsApi(api)
    custom.create_cluster_custom_object("external-secrets.io", "v1", "clustersecretstores", store)
    es = external_secret(
        store="global",
        store_kind="ClusterSecretStore",
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/live", "property": "v"}}],
    )
    live = custom.create_namespaced_custom_object("external-secrets.io", "v1", "apps", "externalsecrets", es)
    ctx = DecryptContext(kube=api)
    [out] = run_decryptors([SourcedObject(es)], [ExternalDecryptor()], ctx)
    assert secret_values(out.obj) == {"v": "from-cluster"}
    [owner] = out.obj["metadata"]["ownerReferences"]
    assert owner["uid"] == live["metadata"]["uid"] and owner["controller"] is True


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def jwt_key(bao) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bao.sys.enable_auth_method("jwt")
    bao.write_data("auth/jwt/config", data={"jwt_validation_pubkeys": [pem.decode()]})
    bao.write_data(
        "auth/jwt/role/eso",
        data={
            "role_type": "jwt",
            "bound_audiences": ["secretsops"],
            "user_claim": "sub",
            "token_policies": ["read-all"],
        },
    )
    return key


def _jwt(key: rsa.RSAPrivateKey) -> str:
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = _b64url(
        json.dumps({"sub": "eso", "aud": "secretsops", "iat": now, "nbf": now, "exp": now + 600}).encode()
    )
    sig = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64url(sig)}"


def test_jwt_auth_with_token_from_a_secret(bao, openbao, resolve, uniq, jwt_key, counter) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/j", {"v": "via-jwt"}, mount_point="secret")
    store = vault_store(
        openbao.url, auth={"jwt": {"path": "jwt", "role": "eso", "secretRef": {"name": "jwt", "key": "t"}}}
    )
    es = external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/j", "property": "v"}}])
    [secret] = resolve([store, token_secret("jwt", _jwt(jwt_key), key="t"), es])
    assert secret_values(secret) == {"v": "via-jwt"}
    assert counter["vault.login"] == 1
