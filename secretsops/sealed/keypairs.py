"""Sealing key pairs: generate them as the controller does, read them in every shape it uses.

A key arrives as a PEM private key (PKCS#1 ``RSA PRIVATE KEY`` or PKCS#8 ``PRIVATE KEY``), as a
``kubernetes.io/tls`` Secret the controller keeps (``tls.key``/``tls.crt``), or as a ``List`` of
such Secrets (a backup made with ``kubectl get secret -l ... -o yaml``), exactly what
``kubeseal --recovery-private-key`` accepts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID

from secretsops import yamlio
from secretsops.errors import SealedError
from secretsops.manifests import Obj, iter_objects, parse_documents
from secretsops.sealed.crypto import go_b64decode

KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"
KEY_PREFIX = "sealed-secrets-key"
DEFAULT_KEY_SIZE = 4096
#: controller --key-ttl default (10*365*24h)
DEFAULT_VALIDITY = dt.timedelta(days=3650)
#: controller --key-renew-period default (30*24h)
DEFAULT_RENEW_PERIOD = dt.timedelta(days=30)
#: controller --my-cn default: an empty subject/issuer
DEFAULT_CN = ""
#: characters Kubernetes uses for generateName suffixes (apiserver's utilrand.String)
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """``SHA256:<base64>`` of the SSH wire form, as sealed-secrets' PublicKeyFingerprint."""
    openssh = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(openssh.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@dataclass
class SealingKey:
    """One private key with where it came from; ``cert`` is absent for a bare PEM key."""

    private_key: rsa.RSAPrivateKey
    source: str
    cert: x509.Certificate | None = None
    name: str = ""
    label_value: str = "active"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.private_key.public_key())

    @property
    def not_before(self) -> dt.datetime:
        if self.cert is None:
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        return self.cert.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime | None:
        return self.cert.not_valid_after_utc if self.cert is not None else None


def generate_key(
    key_size: int = DEFAULT_KEY_SIZE,
    validity: dt.timedelta = DEFAULT_VALIDITY,
    cn: str = DEFAULT_CN,
    now: dt.datetime | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A key pair and the self-signed certificate the controller makes (crypto.SignKey).

    Same shape as Go's x509.CreateCertificate with the controller's template: random 128-bit
    serial, subject = issuer = CN (empty by default), CA basic constraints, critical keyUsage
    with only encipherOnly, a SHA-1 subject key id, SHA256WithRSA.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    start = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    encipher_only = x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x03\x02\x00\x01")
    cert = (
        x509.CertificateBuilder()
        .serial_number(secrets.randbits(128) or 1)
        .issuer_name(name)
        .subject_name(name)
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .public_key(key.public_key())
        .add_extension(encipher_only, critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """PKCS#1 PEM, the encoding the controller stores in ``tls.key``."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def random_key_name(prefix: str = KEY_PREFIX) -> str:
    """``prefix`` + 5 characters, like the API server's generateName."""
    return prefix + "".join(secrets.choice(_NAME_SUFFIX_ALPHABET) for _ in range(5))


def key_secret(
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    namespace: str = "kube-system",
    name: str | None = None,
    prefix: str = KEY_PREFIX,
) -> Obj:
    """The ``kubernetes.io/tls`` Secret the controller writes for a key (writeKey)."""
    metadata: dict[str, Any] = {
        "name": name or random_key_name(prefix),
        "generateName": prefix,
        "namespace": namespace,
    }
    metadata["labels"] = {KEY_LABEL: "active"}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": base64.b64encode(cert_pem(cert)).decode(),
            "tls.key": base64.b64encode(private_key_pem(key)).decode(),
        },
    }


def load_private_key_pem(data: bytes, source: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 or PKCS#8, unencrypted)."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SealedError(f"{source}: not a PEM private key (PKCS#1 or PKCS#8, unencrypted)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SealedError(f"{source}: private key is not an RSA key")
    return key


def load_cert_pem(data: bytes, source: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificates(data)[0]
    except (ValueError, IndexError):
        raise SealedError(f"{source}: cannot parse a PEM certificate") from None


def key_from_secret(obj: Obj, source: str) -> SealingKey:
    """A key from a controller key Secret (``data`` base64, or ``stringData``)."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    where = f"{source}: Secret {name}" if name else source
    data = obj.get("data") or {}
    string_data = obj.get("stringData") or {}

    def field(key: str) -> bytes | None:
        if key in string_data:
            return str(string_data[key]).encode()
        if key in data and data[key] is not None:
            try:
                return go_b64decode(data[key])
            except ValueError:
                raise SealedError(f"{where}: data.{key} is not valid base64") from None
        return None

    tls_key = field("tls.key")
    if tls_key is None:
        raise SealedError(f"{where}: secret must contain a 'tls.key' key")
    tls_crt = field("tls.crt")
    labels = meta.get("labels") or {}
    return SealingKey(
        private_key=load_private_key_pem(tls_key, where),
        source=source,
        cert=load_cert_pem(tls_crt, where) if tls_crt else None,
        name=name,
        label_value=str(labels.get(KEY_LABEL, "")),
    )


def load_keys(data: bytes, source: str) -> list[SealingKey]:
    """Every key in a file: one PEM key (with its certificate if present), or Secret(s)/List."""
    if b"-----BEGIN" in data and b"PRIVATE KEY-----" in data:
        key = load_private_key_pem(data, source)
        cert = load_cert_pem(data, source) if b"BEGIN CERTIFICATE" in data else None
        return [SealingKey(key, source, cert)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SealedError(f"{source}: neither a PEM private key nor a key Secret") from None
    try:
        docs = parse_documents(text, source)
    except Exception:  # noqa: BLE001 - any parse failure means "not a key file"
        raise SealedError(f"{source}: neither a PEM private key nor a YAML/JSON key Secret") from None
    found = [key_from_secret(item.obj, source) for item in iter_objects(docs, source)]
    if not found:
        raise SealedError(f"{source}: no private key found")
    return found


def dump_secret_yaml(obj: Obj) -> str:
    return yamlio.dump(obj)
