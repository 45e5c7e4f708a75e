"""ESO's own template functions: PKCS#12, PEM filtering, certificate chains, JWK and YAML."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from secretsops.external.template_funcs import ESO_TEMPLATES
from secretsops.golang.template import string_map

from .conftest import go, go_error


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(cn: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
          ca: bool) -> x509.Certificate:
    issuer_name, issuer_key = issuer if issuer else (cn, key)
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                       critical=False)
    )
    return b.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def chain() -> dict[str, object]:
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("root", root_key, None, True)
    inter = _cert("inter", inter_key, ("root", root_key), True)
    leaf = _cert("leaf", leaf_key, ("inter", inter_key), False)

    def pem(c: x509.Certificate) -> str:
        return c.public_bytes(serialization.Encoding.PEM).decode()

    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {"root": pem(root), "inter": pem(inter), "leaf": pem(leaf), "key": key_pem,
            "leaf_key": leaf_key, "certs": (leaf, inter, root)}


def test_filter_pem_keeps_only_the_requested_type(chain: dict[str, str]) -> None:
    bundle = chain["key"] + chain["leaf"]
    assert go('{{ .b | filterPEM "CERTIFICATE" }}', string_map({"b": bundle.encode()})) == chain["leaf"]
    assert go('{{ .b | filterPEM "private key" }}', string_map({"b": bundle.encode()})) == chain["key"]


def test_filter_pem_rejects_junk() -> None:
    msg = go_error('{{ .b | filterPEM "CERTIFICATE" }}', string_map({"b": b"not pem at all"}))
    assert msg.endswith("error calling filterPEM: error filtering pem: found junk")


@pytest.mark.parametrize(("kind", "which"), [("leaf", "leaf"), ("intermediate", "inter"), ("root", "root")])
def test_filter_cert_chain_picks_each_kind_from_a_shuffled_bundle(
    chain: dict[str, str], kind: str, which: str
) -> None:
    bundle = chain["root"] + chain["leaf"] + chain["inter"]
    out = go('{{ .b | filterCertChain "' + kind + '" }}', string_map({"b": bundle.encode()}))
    assert out == chain[which]


def test_pem_to_pkcs12_and_back(chain: dict[str, object]) -> None:
    data = string_map({"crt": str(chain["leaf"]).encode(), "key": str(chain["key"]).encode()})
    tpl = ESO_TEMPLATES.compile("{{ pemToPkcs12 .crt .key | b64dec | pkcs12cert }}")
    assert tpl.execute(data) == chain["leaf"]
    tpl = ESO_TEMPLATES.compile("{{ pemToPkcs12 .crt .key | b64dec | pkcs12key }}")
    assert tpl.execute(data) == chain["key"]


def test_full_pem_to_pkcs12_with_password_keeps_the_chain_in_order(chain: dict[str, object]) -> None:
    full = str(chain["leaf"]) + str(chain["inter"]) + str(chain["root"])
    data = string_map({"crt": full.encode(), "key": str(chain["key"]).encode()})
    pfx = base64.b64decode(ESO_TEMPLATES.compile('{{ fullPemToPkcs12Pass .crt .key "pw" }}').execute(data))
    loaded = pkcs12.load_key_and_certificates(pfx, b"pw")
    assert loaded[1] == chain["certs"][0]  # type: ignore[index]
    out = ESO_TEMPLATES.compile('{{ .p | pkcs12certPass "pw" }}').execute(string_map({"p": pfx}))
    assert out == full


def test_pkcs12_reads_a_binary_archive_from_secret_data(chain: dict[str, object]) -> None:
    leaf, inter, _ = chain["certs"]  # type: ignore[misc]
    pfx = pkcs12.serialize_key_and_certificates(
        b"x", chain["leaf_key"], leaf, [inter], serialization.BestAvailableEncryption(b"secret")  # type: ignore[arg-type]
    )
    out = ESO_TEMPLATES.compile('{{ .p | pkcs12keyPass "secret" }}').execute(string_map({"p": pfx}))
    assert out == chain["key"]


def test_pkcs12_with_wrong_password_fails_without_leaking() -> None:
    msg = go_error('{{ .p | pkcs12keyPass "nope" }}', string_map({"p": b"\x30\x82garbage-bytes"}))
    assert "error calling pkcs12keyPass: unable to decode pkcs12 with password" in msg
    assert "garbage" not in msg


def test_truststore_contains_the_certificates(chain: dict[str, object]) -> None:
    bundle = str(chain["inter"]) + str(chain["root"])
    pfx = base64.b64decode(go("{{ pemTruststoreToPKCS12 .b }}", string_map({"b": bundle.encode()})))
    loaded = pkcs12.load_pkcs12(pfx, b"")
    assert [c.certificate for c in loaded.additional_certs] == list(chain["certs"][1:])  # type: ignore[index]


def _b64u(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def rsa_jwk() -> tuple[dict[str, str], rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pn = key.private_numbers()
    ints = {"n": pn.public_numbers.n, "e": pn.public_numbers.e, "d": pn.d, "p": pn.p, "q": pn.q,
            "dp": pn.dmp1, "dq": pn.dmq1, "qi": pn.iqmp}
    jwk = {"kty": "RSA", **{k: _b64u(v) for k, v in ints.items()}}
    return jwk, key


def test_jwk_private_key_pem_is_pkcs8(rsa_jwk: tuple[dict[str, str], rsa.RSAPrivateKey]) -> None:
    jwk, key = rsa_jwk
    want = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    assert go("{{ jwkPrivateKeyPem .j }}", string_map({"j": json.dumps(jwk).encode()})) == want


def test_jwk_public_key_pem_is_pkix(rsa_jwk: tuple[dict[str, str], rsa.RSAPrivateKey]) -> None:
    jwk, key = rsa_jwk
    public = {k: jwk[k] for k in ("kty", "n", "e")}
    want = key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert go("{{ jwkPublicKeyPem .j }}", string_map({"j": json.dumps(public).encode()})) == want


def test_jwk_public_key_pem_of_a_private_jwk_fails_like_eso(
    rsa_jwk: tuple[dict[str, str], rsa.RSAPrivateKey],
) -> None:
    msg = go_error("{{ jwkPublicKeyPem .j }}", string_map({"j": json.dumps(rsa_jwk[0]).encode()}))
    assert msg.endswith("x509: unsupported public key type: *rsa.PrivateKey")


def test_jwk_ec_private_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    n = key.private_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": _b64u(n.public_numbers.x), "y": _b64u(n.public_numbers.y),
           "d": _b64u(n.private_value)}
    want = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    assert go("{{ jwkPrivateKeyPem .j }}", string_map({"j": json.dumps(jwk).encode()})) == want


# --- YAML -----------------------------------------------------------------------------------------


def test_to_yaml_matches_go_yaml_layout() -> None:
    data = {"b": "123", "a": "multi\nline", "c": [1, "x"], "d": {"e": None, "f": True}, "g": "", "h": "yes",
            "i": 1.5, "j": "a: b"}
    assert go("{{ toYaml .v }}", {"v": data}) == (
        'a: |-\n  multi\n  line\nb: "123"\nc:\n- 1\n- x\nd:\n  e: null\n  f: true\ng: ""\nh: "yes"\n'
        "i: 1.5\nj: 'a: b'"
    )


def test_to_yaml_sorts_keys_naturally_like_go_yaml() -> None:
    assert go("{{ toYaml .v }}", {"v": {"a10": 1, "a2": 2}}) == "a2: 2\na10: 1"


def test_to_yaml_of_a_scalar_has_no_document_end_marker() -> None:
    assert go('{{ toYaml "x" }}') == "x"


def test_from_yaml_gives_json_typed_values_with_yaml_1_1_booleans() -> None:
    out = go('{{ $m := fromYaml .y }}{{ $m.port }} {{ typeOf $m.port }} {{ $m.v }} {{ index $m "true" }}',
             {"y": "port: 8080\nv: yes\non: x\n"})
    assert out == "8080 float64 true x"


def test_from_yaml_of_a_list_reports_an_error_entry() -> None:
    out = go('{{ (fromYaml "- a").Error }}')
    assert "cannot unmarshal array into Go value of type map[string]interface {}" in out


def test_from_yaml_error_does_not_echo_the_document() -> None:
    out = go("{{ (fromYaml .y).Error }}", {"y": "key: [unclosed-CANARY"})
    assert out.startswith("error converting YAML to JSON")
    assert "CANARY" not in out


def test_cert_sans_lists_dns_ip_email_and_uri_names() -> None:
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    san = x509.SubjectAlternativeName([
        x509.DNSName("a.example"), x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
        x509.RFC822Name("ops@example.com"), x509.UniformResourceIdentifier("https://example.com"),
        x509.DNSName("b.example"),
    ])
    cert = (
        x509.CertificateBuilder().subject_name(_name("x")).issuer_name(_name("x")).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False).sign(key, hashes.SHA256())
    )
    text = "junk before " + cert.public_bytes(serialization.Encoding.PEM).decode()
    out = go("{{ certSANs .c }}", string_map({"c": text.encode()}))
    assert out == "[a.example b.example 10.0.0.1 ops@example.com https://example.com]"


def test_rsa_decrypt_oaep_round_trip() -> None:
    from cryptography.hazmat.primitives.asymmetric import padding

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ct = key.public_key().encrypt(
        b"top", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    )
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    data = string_map({"ct": ct, "key": pem_key})
    assert go('{{ rsaDecrypt "RSA-OAEP" "SHA256" .ct .key }}', data) == "top"
    assert "decryption scheme is not supported" in go_error(
        '{{ rsaDecrypt "RSA-PKCS1" "SHA256" .ct .key }}', data
    )
    assert "error decrypting data with RSA" in go_error('{{ rsaDecrypt "RSA-OAEP" "SHA1" .ct .key }}', data)
