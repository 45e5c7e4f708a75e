"""A .sops.yaml rule covers the files that hold secrets, not every file it matches; public keys
and certificates are never findings."""

from __future__ import annotations

import datetime

import pytest

from tests.check.conftest import b64
from tests.helpers import assert_no_canary

CATCH_ALL = "creation_rules:\n  - path_regex: {regex}\n    age: {recipient}\n"


def certificate_pem() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def ssh_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = ed25519.Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return raw.decode() + " deploy@ci"


@pytest.mark.parametrize("regex", [".*", "''"])
def test_certificate_and_doc_naming_a_recipient_pass_under_a_catch_all_rule(repo, age_key, regex):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=regex, recipient=age_key.recipient))
    repo.write("certs/ca.crt", certificate_pem())
    repo.write(
        "docs/encrypting.md", f"Encrypt for the team:\n\n    sops -e --age {age_key.recipient} f.yaml\n"
    )
    repo.write("config/app.yaml", "replicas: 3\nlogLevel: info\n")
    res = repo.check()
    assert res.code == 0, res.out
    assert res.out.endswith("no findings (4 files scanned)\n")


def test_broad_rule_still_covers_config_with_a_secret_like_key(repo, age_key, canary):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    repo.write("config/app.yaml", f"database:\n  host: db\n  password: {canary}\n")
    res = repo.check_json()
    assert ("sops-unencrypted", "config/app.yaml", 1) in res.rules_at()
    assert_no_canary(canary, res.out)


def test_broad_rule_covers_env_files_with_a_real_value_not_examples(repo, age_key, canary):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    repo.write("app.ini", f"[smtp]\nhost = mail\nsmtp_password = {canary}\n")
    repo.write("settings.env", "PORT=8080\nLOG_LEVEL=debug\n")
    repo.write("example.env", "DB_PASSWORD=changeme\nAPI_TOKEN=<your-token>\n")
    rules = repo.check_json().rules_at()
    assert ("sops-unencrypted", "app.ini", 1) in rules
    assert ("sops-unencrypted", "settings.env", 1) in rules  # an env file is configuration that deploys
    assert not any(path == "example.env" for _rule, path, _line in rules)


def test_broad_rule_covers_key_material(repo, age_key):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    repo.write("certs/tls.key", private_key_pem())
    rules = repo.check_json().rules_at()
    assert {("private-key", "certs/tls.key", 1), ("sops-unencrypted", "certs/tls.key", 1)} <= rules


def test_narrow_rule_covers_a_file_whose_name_says_secret_but_not_its_certificate(repo, age_key, canary):
    repo.write(".sops.yaml", CATCH_ALL.format(regex="^secrets/", recipient=age_key.recipient))
    repo.write("secrets/db-password", canary + "\n")
    repo.write("secrets/ca.crt", certificate_pem())
    repo.write("secrets/README.md", "Encrypted with sops; see docs.\n")
    assert repo.check_json().rules_at() == {("sops-unencrypted", "secrets/db-password", 1)}


def test_a_binary_file_under_a_rule_is_skipped_unless_it_is_a_key_store(repo, age_key):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    repo.write("img/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(64)))
    repo.write("certs/client.p12", b"\x30\x82\x09\x00\x02\x01\x03" + bytes(range(64)))
    assert repo.check_json().rules_at() == {("sops-unencrypted", "certs/client.p12", 1)}


def test_public_keys_in_a_secret_are_never_findings(repo, age_key):
    cert = certificate_pem()
    repo.write(
        "deploy/keys.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: keys\ndata:\n"
        f"  ca.crt: {b64(cert)}\n  ssh-publickey: {b64(ssh_public_key())}\n"
        f"stringData:\n  recipient: {age_key.recipient}\n",
    )
    res = repo.check()
    assert res.code == 0, res.out


def test_a_private_key_next_to_its_certificate_is_still_found(repo):
    cert = certificate_pem()
    repo.write("tls/bundle.pem", cert + private_key_pem())
    key_line = cert.count("\n") + 1
    assert repo.check_json().rules_at() == {("private-key", "tls/bundle.pem", key_line)}


@pytest.mark.parametrize(
    "text",
    [
        "auth: {{user: app, password: {v}}}\n",
        '{{"db": {{"password": "{v}"}}}}',
        "db:\n  password: |\n    {v}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData: {{certificate: {v}}}\n",
    ],
)
def test_secrets_in_any_yaml_or_json_style_are_covered(repo, age_key, canary, text):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    name = "conf.json" if text.startswith("{") else "conf.yaml"
    repo.write(name, text.format(v=canary))
    assert ("sops-unencrypted", name, 1) in repo.check_json().rules_at()


def test_references_and_ciphertext_under_a_broad_rule_are_not_secrets(repo, age_key, sealer):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    repo.write(
        "values.yaml",
        "auth:\n  existingSecret: db-credentials\n  secretKeys:\n    adminPasswordKey: admin-password\n",
    )
    repo.write(
        "es.yaml",
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: db}\nspec:\n"
        "  data:\n  - secretKey: password\n    remoteRef: {key: db/prod, property: password}\n",
    )
    sealed = sealer.seal(name="db", namespace="prod", data={"password": b"p4ss-w0rd"})
    repo.write("sealed.yaml", sealed.to_yaml())
    res = repo.check()
    assert res.code == 0, res.out


def test_a_rule_without_crypt_options_does_not_make_a_data_only_sops_file_partial(
    repo, sops_encrypt, age_key
):
    repo.write(".sops.yaml", CATCH_ALL.format(regex=".*", recipient=age_key.recipient))
    path = repo.write(
        "db.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: x9}\n"
    )
    sops_encrypt(path, "--encrypted-regex", "^(data|stringData)$")
    assert repo.check().code == 0
