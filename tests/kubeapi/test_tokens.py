"""ServiceAccount tokens: TokenRequest, TokenReview, issuer discovery — verifiable by OpenBao's jwt auth."""

from __future__ import annotations

import json

import hvac
import pytest
from kubernetes.client import ApiException, CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer
from secretsops_devstack.services import Service
from tests.kubeapi.rawhttp import call


def _request(core: CoreV1Api, audiences: list[str] | None = None, seconds: int = 600):
    body = {"spec": {"audiences": audiences, "expirationSeconds": seconds}}
    return core.create_namespaced_service_account_token("eso", "default", body)


@pytest.fixture
def account(core: CoreV1Api) -> CoreV1Api:
    core.create_namespaced_service_account("default", {"metadata": {"name": "eso"}})
    return core


def test_token_request_returns_a_signed_token_with_expiry(account: CoreV1Api) -> None:
    answer = _request(account, ["vault"])
    assert answer.status.token.count(".") == 2 and answer.status.expiration_timestamp is not None
    assert answer.spec.audiences == ["vault"]


@pytest.mark.inmemory
def test_token_claims_are_the_apiservers(kubeapi: KubeApiServer, account: CoreV1Api) -> None:
    claims = kubeapi.issuer.verify(_request(account, ["vault"]).status.token)
    assert claims is not None
    assert claims["sub"] == "system:serviceaccount:default:eso" and claims["aud"] == ["vault"]
    assert claims["kubernetes.io"]["serviceaccount"]["name"] == "eso"


def test_token_for_a_missing_service_account_is_not_found(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        _request(core)
    assert err.value.status == 404 and 'serviceaccounts \\"eso\\" not found' in err.value.body


def test_too_short_expiration_is_invalid(account: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        _request(account, seconds=60)
    assert err.value.status == 422 and "may not specify a duration less than 10 minutes" in err.value.body


def test_token_review_authenticates_a_live_account(kubeapi: KubeApiServer, account: CoreV1Api) -> None:
    token = _request(account, ["vault"]).status.token
    code, review = call(
        kubeapi,
        "POST",
        "/apis/authentication.k8s.io/v1/tokenreviews",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token, "audiences": ["vault"]},
        },
    )
    assert code == 201 and review["status"]["authenticated"] is True
    assert review["status"]["user"]["username"] == "system:serviceaccount:default:eso"


def test_token_review_rejects_a_deleted_account(kubeapi: KubeApiServer, account: CoreV1Api) -> None:
    token = _request(account, ["vault"]).status.token
    account.delete_namespaced_service_account("eso", "default")
    _, review = call(
        kubeapi,
        "POST",
        "/apis/authentication.k8s.io/v1/tokenreviews",
        {"spec": {"token": token, "audiences": ["vault"]}},
    )
    assert "authenticated" not in review["status"]
    assert review["status"]["error"] == '[invalid bearer token, serviceaccounts "eso" not found]'


def test_token_review_rejects_other_audiences(kubeapi: KubeApiServer, account: CoreV1Api) -> None:
    token = _request(account, ["vault"]).status.token
    _, review = call(
        kubeapi,
        "POST",
        "/apis/authentication.k8s.io/v1/tokenreviews",
        {"spec": {"token": token, "audiences": ["other"]}},
    )
    assert "authenticated" not in review["status"]


@pytest.mark.inmemory
def test_issuer_discovery_points_at_the_jwks(kubeapi: KubeApiServer) -> None:
    _, config = call(kubeapi, "GET", "/.well-known/openid-configuration")
    _, jwks = call(kubeapi, "GET", "/openid/v1/jwks")
    assert config["issuer"] == kubeapi.issuer.issuer and config["jwks_uri"] == kubeapi.url + "/openid/v1/jwks"
    assert jwks["keys"][0]["kid"] == kubeapi.issuer.key_id and jwks["keys"][0]["alg"] == "RS256"


def test_discovery_lists_the_token_subresource(kubeapi: KubeApiServer) -> None:
    _, doc = call(kubeapi, "GET", "/api/v1")
    token = next(r for r in doc["resources"] if r["name"] == "serviceaccounts/token")
    assert (token["kind"], token["group"], token["verbs"]) == (
        "TokenRequest",
        "authentication.k8s.io",
        ["create"],
    )


@pytest.mark.inmemory
def test_openbao_jwt_auth_accepts_the_token_via_jwks(
    kubeapi: KubeApiServer, account: CoreV1Api, openbao: Service
) -> None:
    bao = hvac.Client(url=openbao.url, token=openbao.token)
    if "kubeapi-jwt/" not in bao.sys.list_auth_methods():
        bao.sys.enable_auth_method("jwt", path="kubeapi-jwt")
    bao.write_data(
        "auth/kubeapi-jwt/config",
        data={"jwks_url": kubeapi.url + "/openid/v1/jwks", "bound_issuer": kubeapi.issuer.issuer},
    )
    bao.write_data(
        "auth/kubeapi-jwt/role/eso",
        data={
            "role_type": "jwt",
            "user_claim": "sub",
            "bound_audiences": ["vault"],
            "bound_subject": "system:serviceaccount:default:eso",
            "token_policies": ["default"],
        },
    )
    token = _request(account, ["vault"]).status.token
    login = hvac.Client(url=openbao.url).auth.jwt.jwt_login(role="eso", jwt=token, path="kubeapi-jwt")
    assert login["auth"]["client_token"]
    assert json.dumps(login).count(token) == 0


@pytest.mark.inmemory
def test_openbao_kubernetes_auth_logs_in_through_token_review(
    kubeapi: KubeApiServer, account: CoreV1Api, openbao: Service
) -> None:
    bao = hvac.Client(url=openbao.url, token=openbao.token)
    if "kubeapi-k8s/" not in bao.sys.list_auth_methods():
        bao.sys.enable_auth_method("kubernetes", path="kubeapi-k8s")
    reviewer = _request(account, [kubeapi.issuer.issuer]).status.token
    bao.write_data(
        "auth/kubeapi-k8s/config",
        data={
            "kubernetes_host": kubeapi.url,
            "token_reviewer_jwt": reviewer,
            "disable_local_ca_jwt": True,
            "kubernetes_ca_cert": _unused_ca_pem(),
        },
    )
    bao.write_data(
        "auth/kubeapi-k8s/role/eso",
        data={
            "bound_service_account_names": ["eso"],
            "bound_service_account_namespaces": ["default"],
            "audience": "vault",
            "token_policies": ["default"],
        },
    )
    token = _request(account, ["vault"]).status.token
    login = hvac.Client(url=openbao.url).auth.kubernetes.login(
        role="eso", jwt=token, mount_point="kubeapi-k8s"
    )
    assert login["auth"]["metadata"]["service_account_name"] == "eso"
    assert any(p == "POST" and "/tokenreviews" in r for p, r in kubeapi.requests)


def _unused_ca_pem() -> str:
    """OpenBao insists on a CA certificate; the server is plain HTTP, so any valid one will do."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubeapi-test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
