"""ServiceAccount tokens: the TokenRequest and TokenReview APIs and service-account issuer discovery.

ESO-style auth (Vault/OpenBao ``kubernetes`` and ``jwt`` methods) needs bound ServiceAccount tokens
that a verifier can check: RS256 JWTs with the apiserver's claims, verifiable through
``/openid/v1/jwks`` (advertised by ``/.well-known/openid-configuration``) or through a TokenReview.
The signing key is generated in memory per server and never written anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import status
from .status import Cause

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"
DEFAULT_SECONDS = 3600
MIN_SECONDS = 600
MAX_SECONDS = 1 << 32


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class TokenIssuer:
    """Signs and verifies bound ServiceAccount tokens like the apiserver's ``--service-account-issuer``."""

    issuer: str = DEFAULT_ISSUER
    _key: rsa.RSAPrivateKey | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    @property
    def key_id(self) -> str:
        """Like the apiserver: base64url(SHA-256(DER of the public key))."""
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _b64url(hashlib.sha256(der).digest())

    def public_key_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "use": "sig",
                    "kty": "RSA",
                    "kid": self.key_id,
                    "alg": "RS256",
                    "n": _int_b64url(numbers.n),
                    "e": _int_b64url(numbers.e),
                }
            ]
        }

    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{base_url}/openid/v1/jwks",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def issue(
        self, namespace: str, name: str, uid: str, audiences: list[str], seconds: int
    ) -> tuple[str, int]:
        """A signed token and its expiry (Unix seconds)."""
        now = int(time.time())
        claims = {
            "aud": audiences,
            "exp": now + seconds,
            "iat": now,
            "iss": self.issuer,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
            "nbf": now,
            "sub": f"system:serviceaccount:{namespace}:{name}",
        }
        header = {"alg": "RS256", "kid": self.key_id}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}", now + seconds

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this issuer signed and that has not expired, else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            self.key.public_key().verify(
                _unb64url(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(_unb64url(parts[1]))
        except (InvalidSignature, ValueError):
            return None
        if not isinstance(claims, dict) or claims.get("iss") != self.issuer:
            return None
        if int(claims.get("exp", 0)) < time.time():
            return None
        return claims


def token_request(issuer: TokenIssuer, namespace: str, sa: dict[str, Any], body: Any) -> dict[str, Any]:
    """Answer ``POST .../serviceaccounts/<name>/token`` for the live ServiceAccount ``sa``."""
    name = sa["metadata"]["name"]
    spec = (body.get("spec") or {}) if isinstance(body, dict) else {}
    seconds = int(spec.get("expirationSeconds") or DEFAULT_SECONDS)
    causes = []
    if seconds < MIN_SECONDS:
        causes.append(
            Cause(
                "FieldValueInvalid",
                f"Invalid value: {seconds}: may not specify a duration less than 10 minutes",
                "spec.expirationSeconds",
            )
        )
    elif seconds > MAX_SECONDS:
        causes.append(
            Cause(
                "FieldValueInvalid",
                f"Invalid value: {seconds}: may not specify a duration larger than 2^32 seconds",
                "spec.expirationSeconds",
            )
        )
    if causes:
        raise status.invalid("TokenRequest", "authentication.k8s.io", name, causes)
    audiences = [str(a) for a in spec.get("audiences") or []] or [issuer.issuer]
    token, expires = issuer.issue(namespace, name, sa["metadata"]["uid"], audiences, seconds)
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
        "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": None},
        "status": {
            "token": token,
            "expirationTimestamp": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }


def token_review(issuer: TokenIssuer, body: Any, sa_uid: Callable[[str, str], str | None]) -> dict[str, Any]:
    """Answer ``POST /apis/authentication.k8s.io/v1/tokenreviews``; ``sa_uid`` gives a live uid or None."""
    spec = (body.get("spec") or {}) if isinstance(body, dict) else {}
    wanted = [str(a) for a in spec.get("audiences") or []] or [issuer.issuer]
    claims = issuer.verify(str(spec.get("token") or ""))
    result: dict[str, Any] = {
        "user": {},
        "error": "[invalid bearer token, square/go-jose: error in cryptographic primitive]",
    }
    if claims is not None:
        ident = claims.get("kubernetes.io") or {}
        namespace = str(ident.get("namespace", ""))
        sa = ident.get("serviceaccount") or {}
        audiences = [a for a in claims.get("aud") or [] if a in wanted]
        if not audiences:
            result = {
                "user": {},
                "error": "[invalid bearer token, token audiences "
                f"{json.dumps(claims.get('aud'))} is invalid for the target audiences {json.dumps(wanted)}]",
            }
        elif sa_uid(namespace, str(sa.get("name", ""))) is None:
            missing = f'serviceaccounts "{sa.get("name")}" not found'
            result = {"user": {}, "error": f"[invalid bearer token, {missing}]"}
        elif sa_uid(namespace, str(sa.get("name", ""))) != sa.get("uid"):
            result = {
                "user": {},
                "error": "[invalid bearer token, service account UID "
                f"({sa_uid(namespace, str(sa.get('name', '')))}) does not match claim ({sa.get('uid')})]",
            }
        else:
            result = {
                "authenticated": True,
                "user": {
                    "username": claims["sub"],
                    "uid": str(sa.get("uid", "")),
                    "groups": [
                        "system:serviceaccounts",
                        f"system:serviceaccounts:{namespace}",
                        "system:authenticated",
                    ],
                    "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={claims.get('jti')}"]},
                },
                "audiences": audiences,
            }
    return {
        "kind": "TokenReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": result,
    }
