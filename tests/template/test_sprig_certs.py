"""sprig's key and certificate generators: what they produce must parse and chain."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from secretsops.golang.template import compile

from .conftest import go, go_error


def _cert(text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(text.encode())


@pytest.mark.parametrize(("kind", "header"), [("ecdsa", "EC PRIVATE KEY"), ("ed25519", "PRIVATE KEY")])
def test_gen_private_key_uses_sprigs_pem_types(kind: str, header: str) -> None:
    out = go('{{ genPrivateKey "' + kind + '" }}')
    assert out.startswith(f"-----BEGIN {header}-----\n")
    serialization.load_pem_private_key(out.encode(), None)


def test_gen_private_key_unknown_type_is_a_string_not_an_error() -> None:
    assert go('{{ genPrivateKey "nope" }}') == "Unknown type nope"


def test_ca_signs_a_leaf_with_sans() -> None:
    tpl = compile(
        '{{ $ca := genCAWithKey "my-ca" 30 .k }}{{ $c := genSignedCertWithKey "svc" (list "10.0.0.1") '
        '(list "svc.local") 10 $ca .k }}{{ $ca.Cert }}@@{{ $c.Cert }}@@{{ $c.Key }}'
    )
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    ca_pem, leaf_pem, key_pem = tpl.execute({"k": key.decode()}).split("@@")
    ca, leaf = _cert(ca_pem), _cert(leaf_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == ca.subject
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "svc"
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["svc.local"]
    leaf.verify_directly_issued_by(ca)
    assert key_pem == key.decode()


def test_certificate_struct_type_is_checked() -> None:
    msg = go_error('{{ genSignedCert "x" nil nil 1 (dict "Cert" "" "Key" "") }}')
    assert "wrong type for value; expected sprig.certificate; got map[string]interface {}" in msg


def test_build_custom_cert_validates_and_returns_the_pair() -> None:
    tpl = compile(
        '{{ $ca := genSelfSignedCertWithKey "x" nil nil 1 .k }}'
        "{{ $b := buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc) }}{{ eq $b.Cert $ca.Cert }}"
    )
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert tpl.execute({"k": key.decode()}) == "true"
    assert "unable to decode base64 certificate" in go_error('{{ buildCustomCert "!!" "" }}')
