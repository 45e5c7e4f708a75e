"""The functions ESO adds to sprig (pkg/template/v2): PKCS#12, PEM filtering, JWK, YAML.

The Go text/template + sprig engine is :mod:`secretsops.golang.template` (sealed-secrets
renders with it too); only what ESO adds on top lives here and is registered onto that engine
as :data:`ESO_TEMPLATES`. Built on ``cryptography``. Error texts follow ESO's where they carry
no data.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from secretsops.golang import encoding_json, pem, yaml_v2
from secretsops.golang.template import Engine
from secretsops.golang.template.funcs import ANY, STRING, FuncError, FuncMap, gobytes, gofunc, gostr
from secretsops.golang.template.values import StringList, json_default

ESO_FUNCS: FuncMap = {}

CERT = "CERTIFICATE"


def _reg(name: str, *params: str):  # type: ignore[no-untyped-def]
    return gofunc(ESO_FUNCS, name, *params)


@_reg("toYaml", ANY)
def to_yaml(value: Any) -> str:
    """toYaml: ``sigs.k8s.io/yaml.Marshal`` without the final newline ("" on error)."""
    try:
        return yaml_v2.marshal(value, default=json_default).removesuffix("\n")
    except (encoding_json.UnsupportedValue, ValueError):
        return ""


_reg("fromYaml", STRING)(yaml_v2.from_yaml)


# --- PEM ----------------------------------------------------------------------------------------


def _blocks(data: bytes) -> tuple[list[pem.Block], bytes]:
    out: list[pem.Block] = []
    rest = data
    while True:
        block, rest = pem.decode(rest)
        if block is None:
            return out, rest
        out.append(block)


@_reg("filterPEM", STRING, STRING)
def filter_pem(pem_type: str, text: str) -> str:
    blocks, rest = _blocks(gobytes(text))
    chosen = [b for b in blocks if b.type.lower() == pem_type.lower()]
    if not chosen and rest:
        raise FuncError("error filtering pem: found junk")
    return gostr(b"".join(pem.encode(b) for b in chosen))


def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return ext.digest
    except x509.ExtensionNotFound:
        return None


def _aki(cert: x509.Certificate) -> bytes | None:
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        return aki.key_identifier
    except x509.ExtensionNotFound:
        return None


def _parse_certs(data: bytes) -> list[x509.Certificate]:
    certs = []
    for b in _blocks(data)[0]:
        try:
            certs.append(x509.load_der_x509_certificate(b.der))
        except ValueError:
            raise FuncError("x509: malformed certificate") from None
    return certs


def order_chain(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """Leaf first, then each issuer by AuthorityKeyId → SubjectKeyId (ESO's fetchCertChains)."""
    parent: dict[int, int] = {}
    is_parent = [False] * len(certs)
    for i, c in enumerate(certs):
        for j, p in enumerate(certs):
            if i == j:
                continue
            if _aki(c) == _ski(p):
                is_parent[j] = True
                parent[i] = j
                break
    leaf = None
    for i in range(len(certs)):
        if not is_parent[i]:
            if leaf is not None:
                raise FuncError("found multiple leaf or disjunct certificates")
            leaf = i
    if leaf is None:
        raise FuncError("no leaf certificate found")
    out: list[x509.Certificate] = []
    cur: int | None = leaf
    while cur is not None:
        if len(out) >= len(certs):
            raise FuncError("constructing chain resulted in cycle")
        out.append(certs[cur])
        cur = parent.get(cur)
    return out


def _cert_pem(cert: x509.Certificate) -> bytes:
    return pem.encode(pem.Block(CERT, cert.public_bytes(serialization.Encoding.DER)))


def _is_root(cert: x509.Certificate) -> bool:
    aki = _aki(cert)
    return aki is None or aki == _ski(cert)


@_reg("filterCertChain", STRING, STRING)
def filter_cert_chain(cert_type: str, text: str) -> str:
    ordered = order_chain(_parse_certs(gobytes(text)))
    if cert_type == "leaf":
        c = ordered[0]
        if _aki(c) is not None and _aki(c) != _ski(c):
            return gostr(_cert_pem(c))
    elif cert_type == "intermediate":
        out = b""
        for c in ordered[1:]:
            if _is_root(c):
                break
            out += _cert_pem(c)
        return gostr(out)
    elif cert_type == "root":
        c = ordered[-1]
        if _is_root(c):
            return gostr(_cert_pem(c))
    return ""


# --- PKCS#12 ------------------------------------------------------------------------------------


def _decode_p12(data: str, password: str, what: str) -> Any:
    try:
        return pkcs12.load_pkcs12(gobytes(data), gobytes(password) if password else None)
    except (ValueError, TypeError):
        if not password:
            try:
                return pkcs12.load_pkcs12(gobytes(data), b"")
            except (ValueError, TypeError):
                pass
        raise FuncError(f"unable to decode pkcs12{what} with password: pkcs12: decoding failed") from None


@_reg("pkcs12keyPass", STRING, STRING)
def pkcs12_key_pass(password: str, data: str) -> str:
    p12 = _decode_p12(data, password, "")
    if p12.key is None or p12.cert is None:
        raise FuncError("unable to decode pkcs12 with password: pkcs12: expected exactly one key bag")
    return p12.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


_reg("pkcs12key", STRING)(lambda data: pkcs12_key_pass("", data))


@_reg("pkcs12certPass", STRING, STRING)
def pkcs12_cert_pass(password: str, data: str) -> str:
    p12 = _decode_p12(data, password, " certificate")
    if p12.cert is None:
        raise FuncError("unable to decode pkcs12 certificate with password: pkcs12: certificate missing")
    certs = [p12.cert.certificate] + [c.certificate for c in p12.additional_certs]
    raw = b"".join(_cert_pem(c) for c in certs)
    try:
        return gostr(b"".join(_cert_pem(c) for c in order_chain(certs)))
    except FuncError:
        return gostr(raw)


_reg("pkcs12cert", STRING)(lambda data: pkcs12_cert_pass("", data))


def _parse_private_key(key_pem: str) -> Any:
    block, _ = pem.decode(gobytes(key_pem))
    if block is None:
        raise FuncError("unable to parse private key type")
    for loader in (
        lambda d: serialization.load_der_private_key(d, None),
    ):
        try:
            return loader(block.der)
        except (ValueError, TypeError):
            continue
    raise FuncError("unable to parse private key type")


def _first_cert(cert_pem: str) -> tuple[x509.Certificate, bytes]:
    block, rest = pem.decode(gobytes(cert_pem))
    if block is None:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    try:
        return x509.load_der_x509_certificate(block.der), rest
    except ValueError:
        raise FuncError("x509: malformed certificate") from None


def _encryption(password: str) -> serialization.KeySerializationEncryption:
    """go-pkcs12 Modern: AES-256-CBC, PBKDF2-HMAC-SHA-256 (2048 rounds), SHA-256 MAC.

    ``cryptography`` cannot encrypt with an empty password, which go-pkcs12 does; an empty
    password therefore yields an unencrypted archive (readable with an empty password).
    """
    if not password:
        return serialization.NoEncryption()
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(gobytes(password))
    )


def _to_p12(cert: x509.Certificate, key_pem: str, cas: list[x509.Certificate], password: str) -> str:
    key = _parse_private_key(key_pem)
    pfx = pkcs12.serialize_key_and_certificates(None, key, cert, cas or None, _encryption(password))
    return base64.b64encode(pfx).decode()


@_reg("pemToPkcs12Pass", STRING, STRING, STRING)
def pem_to_pkcs12_pass(cert: str, key: str, password: str) -> str:
    c, _ = _first_cert(cert)
    return _to_p12(c, key, [], password)


_reg("pemToPkcs12", STRING, STRING)(lambda cert, key: pem_to_pkcs12_pass(cert, key, ""))


@_reg("fullPemToPkcs12Pass", STRING, STRING, STRING)
def full_pem_to_pkcs12_pass(cert: str, key: str, password: str) -> str:
    c, rest = _first_cert(cert)
    return _to_p12(c, key, _parse_certs(rest), password)


_reg("fullPemToPkcs12", STRING, STRING)(lambda cert, key: full_pem_to_pkcs12_pass(cert, key, ""))


@_reg("pemTruststoreToPKCS12Pass", STRING, STRING)
def pem_truststore_pass(cert: str, password: str) -> str:
    cas = _parse_certs(gobytes(cert))
    certs = [pkcs12.PKCS12Certificate(c, None) for c in cas]
    pfx = pkcs12.serialize_java_truststore(certs, _encryption(password))
    return base64.b64encode(pfx).decode()


_reg("pemTruststoreToPKCS12", STRING)(lambda cert: pem_truststore_pass(cert, ""))


# --- JWK ----------------------------------------------------------------------------------------


def _b64u(s: Any) -> int:
    if not isinstance(s, str):
        raise FuncError("failed to parse key: invalid JWK member")
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    return int.from_bytes(raw, "big")


def _b64u_bytes(s: Any) -> bytes:
    if not isinstance(s, str):
        raise FuncError("failed to parse key: invalid JWK member")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1(),
}


def _jwk_key(text: str) -> Any:  # noqa: C901
    try:
        jwk = json.loads(text)
    except ValueError:
        raise FuncError("failed to unmarshal JSON into key") from None
    if not isinstance(jwk, dict):
        raise FuncError("failed to unmarshal JSON into key")
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            pub = rsa.RSAPublicNumbers(_b64u(jwk.get("e")), _b64u(jwk.get("n")))
            if "d" not in jwk:
                return pub.public_key()
            p, q, d = _b64u(jwk.get("p")), _b64u(jwk.get("q")), _b64u(jwk.get("d"))
            priv = rsa.RSAPrivateNumbers(
                p, q, d,
                _b64u(jwk["dp"]) if "dp" in jwk else rsa.rsa_crt_dmp1(d, p),
                _b64u(jwk["dq"]) if "dq" in jwk else rsa.rsa_crt_dmq1(d, q),
                _b64u(jwk["qi"]) if "qi" in jwk else rsa.rsa_crt_iqmp(p, q),
                pub,
            )
            return priv.private_key()
        if kty == "EC":
            curve = _CURVES.get(str(jwk.get("crv")))
            if curve is None:
                raise FuncError("failed to parse key: unsupported curve")
            pubn = ec.EllipticCurvePublicNumbers(_b64u(jwk.get("x")), _b64u(jwk.get("y")), curve)
            if "d" not in jwk:
                return pubn.public_key()
            return ec.EllipticCurvePrivateNumbers(_b64u(jwk.get("d")), pubn).private_key()
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            if "d" in jwk:
                return ed25519.Ed25519PrivateKey.from_private_bytes(_b64u_bytes(jwk["d"]))
            return ed25519.Ed25519PublicKey.from_public_bytes(_b64u_bytes(jwk.get("x")))
    except (ValueError, KeyError, TypeError):
        raise FuncError("failed to parse key: invalid key material") from None
    raise FuncError("failed to parse key: unsupported kty")


_GO_TYPE = {
    rsa.RSAPrivateKey: "*rsa.PrivateKey", rsa.RSAPublicKey: "*rsa.PublicKey",
    ec.EllipticCurvePrivateKey: "*ecdsa.PrivateKey", ec.EllipticCurvePublicKey: "*ecdsa.PublicKey",
    ed25519.Ed25519PrivateKey: "ed25519.PrivateKey", ed25519.Ed25519PublicKey: "ed25519.PublicKey",
}


def _go_key_type(key: Any) -> str:
    for cls, name in _GO_TYPE.items():
        if isinstance(key, cls):
            return name
    return type(key).__name__


@_reg("jwkPublicKeyPem", STRING)
def jwk_public_key_pem(text: str) -> str:
    key = _jwk_key(text)
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise FuncError(f"x509: unsupported public key type: {_go_key_type(key)}")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return gostr(pem.encode(pem.Block("PUBLIC KEY", der)))


@_reg("jwkPrivateKeyPem", STRING)
def jwk_private_key_pem(text: str) -> str:
    key = _jwk_key(text)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise FuncError(f"x509: unknown key type while marshaling PKCS#8: {_go_key_type(key)}")
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return gostr(pem.encode(pem.Block("PRIVATE KEY", der)))


# --- certificate SANs and RSA decryption ------------------------------------------------------------


@_reg("certSANs", STRING)
def cert_sans(text: str) -> StringList:
    data = gobytes(text)
    i = data.find(b"-----BEGIN")
    block, _ = pem.decode(data[i:] if i >= 0 else data)
    if block is None:
        raise FuncError("failed to decode PEM block")
    try:
        cert = x509.load_der_x509_certificate(block.der)
    except ValueError:
        raise FuncError("failed to parse certificate: x509: malformed certificate") from None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return StringList()
    out = StringList(san.get_values_for_type(x509.DNSName))
    out.extend(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    out.extend(san.get_values_for_type(x509.RFC822Name))
    out.extend(san.get_values_for_type(x509.UniformResourceIdentifier))
    return out


_OAEP_HASH: dict[str, hashes.HashAlgorithm] = {
    "SHA1": hashes.SHA1(), "SHA256": hashes.SHA256(), "SHA512": hashes.SHA512(),  # noqa: S303 - ESO offers SHA1
}


@_reg("rsaDecrypt", STRING, STRING, STRING, STRING)
def rsa_decrypt(scheme: str, hash_name: str, data: str, private_key: str) -> str:
    if scheme == "None":
        return data
    if scheme != "RSA-OAEP":
        raise FuncError("decryption scheme is not supported")  # the name can be data
    block, _ = pem.decode(gobytes(private_key))
    if block is None:
        raise FuncError("failed to decode PEM block")
    try:
        key = serialization.load_der_private_key(block.der, None)
    except (ValueError, TypeError):
        raise FuncError("could not parse private key: unable to parse private key type") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise FuncError("could not parse RSA private key")
    algo = _OAEP_HASH.get(hash_name, hashes.SHA256())
    try:
        out = key.decrypt(gobytes(data), padding.OAEP(mgf=padding.MGF1(algo), algorithm=algo, label=None))
    except ValueError:
        raise FuncError("error decrypting data with RSA: crypto/rsa: decryption error") from None
    return gostr(out)


#: ESO's template engine v2: Go builtins, sprig (without env/expandenv) and the functions above
ESO_TEMPLATES = Engine.with_functions(ESO_FUNCS)
