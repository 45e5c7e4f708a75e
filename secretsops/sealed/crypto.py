"""The hybrid format of sealed-secrets' pkg/crypto: RSA-OAEP(SHA-256) wraps an AES-256-GCM key.

A sealed value is ``uint16 big-endian len(rsa) || RSA-OAEP(session key, label) || AES-GCM``,
where the 32-byte session key is used once with an all-zero 12-byte nonce and no AAD.
The pieces are exposed separately so callers can cache the (expensive) RSA step.
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SESSION_KEY_BYTES = 32
ZERO_NONCE = bytes(12)


class TooShort(ValueError):
    """The value is shorter than its own length prefix says (``SealedSecret data is too short``)."""


def go_b64decode(text: object) -> bytes:
    """base64.StdEncoding.DecodeString: padded standard alphabet, ``\r``/``\n`` ignored, else error."""
    return base64.b64decode(str(text).replace("\r", "").replace("\n", ""), validate=True)


def oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)


def hybrid_encrypt(public_key: rsa.RSAPublicKey, plaintext: bytes, label: bytes) -> bytes:
    """Seal ``plaintext`` for ``public_key`` bound to ``label`` (HybridEncrypt)."""
    session_key = os.urandom(SESSION_KEY_BYTES)
    wrapped = public_key.encrypt(session_key, oaep(label))
    return (
        struct.pack(">H", len(wrapped)) + wrapped + AESGCM(session_key).encrypt(ZERO_NONCE, plaintext, None)
    )


@dataclass(frozen=True)
class SealedValue:
    """A sealed value split into its RSA part and its AES-GCM part."""

    wrapped_key: bytes
    payload: bytes

    @classmethod
    def parse(cls, blob: bytes) -> SealedValue:
        if len(blob) < 2:
            raise TooShort("SealedSecret data is too short")
        (rsa_len,) = struct.unpack(">H", blob[:2])
        if len(blob) < rsa_len + 2:
            raise TooShort("SealedSecret data is too short")
        return cls(blob[2 : rsa_len + 2], blob[rsa_len + 2 :])


def looks_sealed(text: object) -> bool:
    """True when ``text`` has the shape of a sealed value (base64, RSA block of a real key size, GCM tag).

    Lets a checker tell ciphertext from a plaintext pasted into ``encryptedData`` without keys.
    """
    try:
        blob = go_b64decode(text)
        value = SealedValue.parse(blob)
    except (ValueError, TooShort):
        return False
    return len(value.wrapped_key) in (128, 256, 384, 512, 768, 1024) and len(value.payload) >= 16


def unwrap_session_key(private_key: rsa.RSAPrivateKey, value: SealedValue, label: bytes) -> bytes | None:
    """The session key, or None when this key/label pair does not open the value."""
    try:
        return private_key.decrypt(value.wrapped_key, oaep(label))
    except ValueError:
        return None


def open_payload(session_key: bytes, value: SealedValue) -> bytes | None:
    """The plaintext, or None when the AES-GCM tag does not verify (tampered payload)."""
    if len(session_key) not in (16, 24, 32):
        return None
    try:
        return AESGCM(session_key).decrypt(ZERO_NONCE, value.payload, None)
    except (InvalidTag, ValueError):
        return None
