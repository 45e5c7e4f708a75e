"""sprig's key and certificate generators (genPrivateKey, genCA, genSelfSignedCert,
genSignedCert and their *WithKey forms, buildCustomCert), built on ``cryptography``.

The results are random (keys, serials, validity from now), as in Go; certificates carry
the fields sprig's template sets: CN, SANs, key usages, server+client auth, CA flag.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from secretsops.golang import pem

from .funcs import ANY, INT, STRING, FuncError, gobytes, gostr
from .funcs_sprig import reg
from .values import GoStruct, go_type_name

CERTIFICATE = "sprig.certificate"


class Certificate(GoStruct):
    """sprig's ``certificate`` struct: ``.Cert`` and ``.Key`` (PEM)."""

    go_type = CERTIFICATE


def _traditional(key: Any) -> str:
    """sprig's pemBlockForKey: PKCS#1 RSA, SEC1 EC, OpenSSL DSA, PKCS#8 otherwise."""
    fmt = serialization.PrivateFormat.PKCS8
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | dsa.DSAPrivateKey):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
    kind = {
        rsa.RSAPrivateKey: "RSA PRIVATE KEY", ec.EllipticCurvePrivateKey: "EC PRIVATE KEY",
        dsa.DSAPrivateKey: "DSA PRIVATE KEY",
    }
    name = next((v for k, v in kind.items() if isinstance(key, k)), "PRIVATE KEY")
    return gostr(pem.encode(pem.Block(name, der)))


@reg("genPrivateKey", STRING)
def gen_private_key(typ: str) -> str:
    if typ in ("", "rsa"):
        key: Any = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    elif typ == "dsa":
        key = dsa.generate_private_key(key_size=2048)
    elif typ == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    elif typ == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        return "Unknown type " + typ
    return _traditional(key)


def _parse_key(text: str) -> Any:
    block, _ = pem.decode(gobytes(text))
    if block is None:
        raise FuncError("no PEM data in input")
    if block.type != "PRIVATE KEY" and not block.type.endswith(" PRIVATE KEY"):
        raise FuncError("no private key data in PEM block")  # the PEM type is data
    try:
        return serialization.load_der_private_key(block.der, None)
    except (ValueError, TypeError):
        raise FuncError("invalid private key type") from None


def _ips(ips: Any) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for ip in ips or []:
        if not isinstance(ip, str):
            raise FuncError(f"error parsing ip: value of type {go_type_name(ip)} is not a string")
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise FuncError("error parsing ip") from None
    return out


def _dns(names: Any) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for n in names or []:
        if not isinstance(n, str):
            raise FuncError(
                f"error processing alternate dns name: value of type {go_type_name(n)} is not a string"
            )
        out.append(x509.DNSName(n))
    return out


def _sign_hash(key: Any) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _make(
    cn: str, ips: Any, dns: Any, days: int, key: Any, *, is_ca: bool = False,
    parent: x509.Certificate | None = None, parent_key: Any = None,
) -> Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    public = key.public_key()
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(parent.subject if parent is not None else subject)
        .public_key(public)
        .serial_number(secrets.randbelow(1 << 128) or 1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=is_ca, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    sans = _dns(dns) + _ips(ips)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if parent is not None:
        try:
            ski = parent.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
            b = b.add_extension(aki, critical=False)
        except x509.ExtensionNotFound:
            pass
    signer = parent_key if parent_key is not None else key
    try:
        cert = b.sign(signer, _sign_hash(signer))
    except (ValueError, TypeError):
        raise FuncError("error creating certificate") from None
    cert_pem = gostr(pem.encode(pem.Block("CERTIFICATE", cert.public_bytes(serialization.Encoding.DER))))
    return Certificate(Cert=cert_pem, Key=_traditional(key))


def _rsa2048() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


reg("genCA", STRING, INT)(lambda cn, days: _make(cn, None, None, days, _rsa2048(), is_ca=True))
reg("genCAWithKey", STRING, INT, STRING)(
    lambda cn, days, k: _make(cn, None, None, days, _parse_key(k), is_ca=True)
)
reg("genSelfSignedCert", STRING, ANY, ANY, INT)(
    lambda cn, ips, dns, days: _make(cn, ips, dns, days, _rsa2048())
)
reg("genSelfSignedCertWithKey", STRING, ANY, ANY, INT, STRING)(
    lambda cn, ips, dns, days, k: _make(cn, ips, dns, days, _parse_key(k))
)


def _signed(cn: str, ips: Any, dns: Any, days: int, ca: Certificate, key: Any) -> Certificate:  # noqa: PLR0917
    block, _ = pem.decode(gobytes(ca["Cert"]))
    if block is None:
        raise FuncError("unable to decode certificate")
    try:
        parent = x509.load_der_x509_certificate(block.der)
    except ValueError:
        raise FuncError(
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate"
        ) from None
    return _make(cn, ips, dns, days, key, parent=parent, parent_key=_parse_key(ca["Key"]))


reg("genSignedCert", STRING, ANY, ANY, INT, CERTIFICATE)(
    lambda cn, ips, dns, days, ca: _signed(cn, ips, dns, days, ca, _rsa2048())
)
reg("genSignedCertWithKey", STRING, ANY, ANY, INT, CERTIFICATE, STRING)(
    lambda cn, ips, dns, days, ca, k: _signed(cn, ips, dns, days, ca, _parse_key(k))
)


@reg("buildCustomCert", STRING, STRING)
def build_custom_cert(b64cert: str, b64key: str) -> Certificate:
    try:
        cert = base64.b64decode(b64cert, validate=True)
    except ValueError:
        raise FuncError("unable to decode base64 certificate") from None
    try:
        key = base64.b64decode(b64key, validate=True)
    except ValueError:
        raise FuncError("unable to decode base64 private key") from None
    block, _ = pem.decode(cert)
    if block is None:
        raise FuncError("unable to decode certificate")
    try:
        x509.load_der_x509_certificate(block.der)
    except ValueError:
        raise FuncError(
            "error parsing certificate: decodedCert.Bytes: x509: malformed certificate"
        ) from None
    try:
        _parse_key(gostr(key))
    except FuncError as e:
        raise FuncError(f"error parsing private key: {e}") from None
    return Certificate(Cert=gostr(cert), Key=gostr(key))
