"""Key pairs shaped like the controller's, read in every form kubeseal accepts; renewal and backup."""

from __future__ import annotations

import base64
import datetime as dt
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from secretsops.errors import SealedError
from secretsops.sealed.keypairs import KEY_LABEL, fingerprint, generate_key, key_secret, load_keys
from secretsops.sealed.keyring import KeyDir, due_for_renewal, export_list, read_key_files


def test_certificate_is_shaped_like_the_controllers(kp):
    cert = kp.cert
    assert cert.subject == x509.Name([]) == cert.issuer
    assert cert.serial_number < 2**128
    assert cert.signature_hash_algorithm.name == "sha256"
    der = cert.public_bytes(serialization.Encoding.DER)
    assert bytes.fromhex("0603551d0f0101ff040403020001") in der  # keyUsage critical: encipherOnly only
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc) == dt.timedelta(days=3650)


def test_certificate_is_a_ca_with_subject_key_id(kp):
    der = kp.cert.public_bytes(serialization.Encoding.DER)
    assert bytes.fromhex("0603551d130101ff040530030101ff") in der  # basicConstraints critical CA:TRUE
    ski = x509.SubjectKeyIdentifier.from_public_key(kp.public).digest
    assert ski in der


def test_fingerprint_is_ssh_sha256_of_the_public_key(kp, tmp_path):
    pub = kp.public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (tmp_path / "k.pub").write_bytes(pub + b" test\n")
    try:
        out = subprocess.run(
            ["ssh-keygen", "-lf", str(tmp_path / "k.pub")], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        pytest.skip("ssh-keygen not available")
    if out.returncode != 0:
        pytest.skip("ssh-keygen not available")
    assert out.stdout.split()[1] == fingerprint(kp.public)


def test_key_secret_has_the_controllers_shape(kp):
    obj = key_secret(kp.key, kp.cert, "kube-system")
    assert obj["type"] == "kubernetes.io/tls"
    assert obj["metadata"]["labels"] == {KEY_LABEL: "active"}
    assert obj["metadata"]["name"].startswith("sealed-secrets-key") and len(obj["metadata"]["name"]) == 23
    assert base64.b64decode(obj["data"]["tls.key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert base64.b64decode(obj["data"]["tls.crt"]).startswith(b"-----BEGIN CERTIFICATE-----")


def test_pkcs8_and_pkcs1_keys_both_load(kp):
    pkcs8 = kp.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert load_keys(pkcs8, "k8")[0].fingerprint == fingerprint(kp.public)
    assert load_keys(kp.key_path.read_bytes(), "k1")[0].fingerprint == fingerprint(kp.public)


def test_secret_and_list_backups_load_every_key(keypairs):
    items = [key_secret(k.key, k.cert) for k in keypairs]
    one = load_keys(yaml.safe_dump(items[0]).encode(), "s.yaml")
    many = load_keys(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}).encode(), "l.yaml")
    assert [k.fingerprint for k in one] == [fingerprint(keypairs[0].public)]
    assert {k.fingerprint for k in many} == {fingerprint(k.public) for k in keypairs}


def test_secret_without_tls_key_is_an_error():
    doc = yaml.safe_dump(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {}}
    ).encode()
    with pytest.raises(SealedError, match="tls.key"):
        load_keys(doc, "x.yaml")


def test_unreadable_key_file_is_a_one_line_error(tmp_path):
    with pytest.raises(SealedError, match="cannot read private key"):
        read_key_files([str(tmp_path / "absent.pem")])
    (tmp_path / "junk").write_bytes(b"\xff\xfe")
    with pytest.raises(SealedError, match="neither a PEM"):
        read_key_files([str(tmp_path / "junk")])


def test_key_dir_generates_0600_keys_and_lists_newest_first(tmp_path):
    kd = KeyDir(tmp_path / "keys")
    first, _ = kd.generate(key_size=2048, validity=dt.timedelta(days=1))
    assert first.stat().st_mode & 0o777 == 0o600
    second, _ = kd.generate(key_size=2048)
    listed = kd.keys()
    assert len(listed) == 2 and all(k.cert is not None for k in listed)
    assert listed[0].not_before >= listed[1].not_before


def test_renewal_is_due_when_newest_key_is_older_than_the_period(kp):
    key = kp.sealing_key()
    now = key.not_before + dt.timedelta(days=31)
    assert due_for_renewal([key], dt.timedelta(days=30), now)
    assert not due_for_renewal([key], dt.timedelta(days=30), key.not_before + dt.timedelta(days=1))
    assert due_for_renewal([], dt.timedelta(days=30))
    assert not due_for_renewal([key], dt.timedelta(0), now)


def test_export_is_a_kubectl_style_list_that_loads_back(keypairs):
    exported = export_list([k.sealing_key() for k in keypairs], "kube-system")
    assert exported["kind"] == "List" and exported["metadata"] == {"resourceVersion": ""}
    back = load_keys(yaml.safe_dump(exported).encode(), "backup.yaml")
    assert [k.fingerprint for k in back] == [fingerprint(k.public) for k in keypairs]


def test_generated_key_can_be_4096_bits_like_the_controller():
    key, cert = generate_key()
    assert key.key_size == 4096
    assert cert.public_key().key_size == 4096


def test_a_key_directory_can_be_given_as_a_key_file(tmp_path):
    kd = KeyDir(tmp_path / "keys")
    kd.generate(key_size=2048)
    assert len(read_key_files([str(tmp_path / "keys")])) == 1
