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
from secretsops.kube import KubeClient
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
    ctx = DecryptContext(kube=KubeClient(api))
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


@pytest.fixture(scope="module")
def kubernetes_auth(bao):
    """OpenBao's real ``kubernetes`` auth method, configured against a TokenReview endpoint.

    The Kubernetes API test server does not serve TokenReview, so a minimal endpoint answers it
    here: the login request itself (role, jwt, mount path) is checked by the real OpenBao.
    """
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from secretsops.sealed.keypairs import cert_pem, generate_key

    class Review(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            user = {
                "username": "system:serviceaccount:apps:eso",
                "uid": "u-1",
                "groups": ["system:serviceaccounts"],
            }
            data = json.dumps(
                {
                    "apiVersion": "authentication.k8s.io/v1",
                    "kind": "TokenReview",
                    "status": {"authenticated": True, "user": user},
                }
            ).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Review)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bao.sys.enable_auth_method("kubernetes", path="k8s")
    bao.write_data(
        "auth/k8s/config",
        data={
            "kubernetes_host": f"http://127.0.0.1:{server.server_port}",
            "disable_local_ca_jwt": True,
            "kubernetes_ca_cert": cert_pem(generate_key(key_size=2048)[1]).decode(),
        },
    )
    bao.write_data(
        "auth/k8s/role/eso",
        data={
            "bound_service_account_names": ["eso"],
            "bound_service_account_namespaces": ["apps"],
            "token_policies": ["read-all"],
        },
    )
    yield
    server.shutdown()


def _sa_jwt() -> str:
    claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "apps",
        "kubernetes.io/serviceaccount/service-account.name": "eso",
        "kubernetes.io/serviceaccount/service-account.uid": "u-1",
        "sub": "system:serviceaccount:apps:eso",
    }
    header = _b64url(json.dumps({"alg": "RS256"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}.c2ln"


def test_kubernetes_auth_with_token_secret(bao, openbao, resolve, uniq, kubernetes_auth, counter) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/k", {"v": "via-k8s"}, mount_point="secret")
    store = vault_store(
        openbao.url,
        auth={"kubernetes": {"mountPath": "k8s", "role": "eso", "secretRef": {"name": "eso-sa-token"}}},
    )
    es = external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/k", "property": "v"}}])
    [secret] = resolve([store, token_secret("eso-sa-token", _sa_jwt()), es], check_schema=True)
    assert secret_values(secret) == {"v": "via-k8s"}
    assert counter["vault.login"] == 1


def test_kubernetes_auth_without_refs_uses_the_pods_own_token(
    bao, openbao, resolve, uniq, kubernetes_auth, tmp_path
):
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/k", {"v": "own-token"}, mount_point="secret")
    token = tmp_path / "token"
    token.write_text(_sa_jwt())
    store = vault_store(openbao.url, auth={"kubernetes": {"mountPath": "k8s", "role": "eso"}})
    es = external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/k", "property": "v"}}])
    [secret] = resolve([store, es], service_account_token_path=token)
    assert secret_values(secret) == {"v": "own-token"}
