"""The wire format, checked field by field against values sealed by kubesealpy (written by others)."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from kubesealpy import Sealer, SealingScope

from secretsops.sealed.crypto import SealedValue, hybrid_encrypt
from secretsops.sealed.scope import Scope, scope_of, with_scope_annotations

LABELS = [
    (SealingScope.STRICT, Scope.STRICT, b"shop/db"),
    (SealingScope.NAMESPACE_WIDE, Scope.NAMESPACE_WIDE, b"shop"),
    (SealingScope.CLUSTER_WIDE, Scope.CLUSTER_WIDE, b""),
]


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)


@pytest.mark.parametrize(("theirs", "ours", "label"), LABELS)
def test_scope_label_matches_what_kubesealpy_binds_values_to(kp, theirs, ours, label):
    assert ours.label("shop", "db") == label
    blob = Sealer(kp.public).seal_value(b"v", "shop", "db", theirs)
    (rsa_len,) = struct.unpack(">H", blob[:2])
    session = kp.key.decrypt(blob[2 : 2 + rsa_len], _oaep(label))
    assert len(session) == 32


def test_sealed_value_layout_is_length_prefix_rsa_block_then_gcm(kp):
    plaintext = b"\x00\xffbinary"
    blob = hybrid_encrypt(kp.public, plaintext, b"shop/db")
    assert struct.unpack(">H", blob[:2])[0] == kp.key.key_size // 8
    value = SealedValue.parse(blob)
    session = kp.key.decrypt(value.wrapped_key, _oaep(b"shop/db"))
    assert len(session) == 32
    assert len(value.payload) == len(plaintext) + 16  # GCM tag, no nonce stored
    assert AESGCM(session).decrypt(bytes(12), value.payload, None) == plaintext


def test_kubesealpy_value_opens_with_zero_nonce_and_no_aad(kp):
    blob = Sealer(kp.public).seal_value(b"hello", "shop", "db", SealingScope.STRICT)
    value = SealedValue.parse(blob)
    session = kp.key.decrypt(value.wrapped_key, _oaep(b"shop/db"))
    assert AESGCM(session).decrypt(bytes(12), value.payload, None) == b"hello"


def test_encrypted_data_is_standard_padded_base64(kp):
    from secretsops.sealed.sealing import SealOptions, seal_secret

    sealed = seal_secret(
        kp.public,
        {"kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "stringData": {"a": "x"}},
        SealOptions(),
    )
    text = sealed["spec"]["encryptedData"]["a"]
    assert base64.b64decode(text, validate=True)
    assert len(text) % 4 == 0


@pytest.mark.parametrize("short", [b"", b"\x01", b"\x01\x00" + b"x" * 10])
def test_value_shorter_than_its_prefix_is_rejected(short):
    with pytest.raises(ValueError, match="too short"):
        SealedValue.parse(short)


def test_cluster_wide_annotation_wins_over_namespace_wide():
    meta = {
        "annotations": {
            "sealedsecrets.bitnami.com/cluster-wide": "true",
            "sealedsecrets.bitnami.com/namespace-wide": "true",
        }
    }
    assert scope_of(meta) is Scope.CLUSTER_WIDE


def test_scope_annotation_must_be_exactly_true():
    assert scope_of({"annotations": {"sealedsecrets.bitnami.com/cluster-wide": "True"}}) is Scope.STRICT


def test_scope_annotations_are_replaced_not_accumulated():
    anno = with_scope_annotations(
        {"sealedsecrets.bitnami.com/cluster-wide": "true", "x": "y"}, Scope.NAMESPACE_WIDE
    )
    assert anno == {"x": "y", "sealedsecrets.bitnami.com/namespace-wide": "true"}


def test_scope_names_parse_like_kubeseal_flag():
    assert Scope.parse("") is Scope.STRICT
    assert Scope.parse("namespace-wide") is Scope.NAMESPACE_WIDE
    with pytest.raises(ValueError, match="strict, namespace-wide, cluster-wide"):
        Scope.parse("global")
