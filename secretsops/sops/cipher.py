"""The ``ENC[AES256_GCM,...]`` value format: AES-256-GCM with a 32-byte IV and the key path as AAD.

Values keep their type through encryption (``type:str|int|float|bool|bytes|comment|time``) and
render their plaintext the way sops (Go) does, so the MAC over plaintexts matches sops'.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field

from secretsops.errors import DecryptionFailed, InputError
from secretsops.golang import strconv

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

try:  # the Rust class the public module re-exports: that module also imports every other cipher
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl  # and mode (~4 ms a run)

    AESGCM = _rust_openssl.aead.AESGCM
except (ImportError, AttributeError):  # another layout in some cryptography release: the public name
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

IV_SIZE = 32
TAG_SIZE = 16

_ENC_RE = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")


class _Text:
    """An immutable value holding one string, equal to another of its own type with the same text.

    Written out rather than ``@dataclass(frozen=True)``: the six methods a frozen dataclass
    generates cost ~2.8 M instructions of start-up per class, on the path of every decrypt."""

    __slots__ = ("_text",)
    _text: str
    _field = "text"  # the attribute's name in repr

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "_text", text)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._text == self._text  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._text))

    def __reduce__(self) -> tuple[type, tuple[str]]:  # copy/deepcopy/pickle: rebuilt, not mutated
        return type(self), (self._text,)

    def __repr__(self) -> str:  # as the dataclass it replaces: Comment(value='...')
        return f"{type(self).__name__}({self._field}={self._text!r})"


class Comment(_Text):
    """A comment line of a YAML/dotenv/INI file (text after the comment character)."""

    __slots__ = ()
    _field = "value"

    @property
    def value(self) -> str:
        return self._text


class TimeValue(_Text):
    """A value sops stored with ``type:time`` (RFC 3339 text), kept as text."""

    __slots__ = ()

    @property
    def text(self) -> str:
        return self._text


def is_encrypted_value(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("ENC[AES256_GCM,")


def format_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``, how sops writes a float into the MAC and cipher."""
    return strconv.format_float(value, "f", -1)


def to_bytes(value: Any) -> bytes:
    """Plaintext bytes of a leaf as sops feeds them to the MAC and the cipher."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return format_float(value).encode()
    if isinstance(value, bytes):
        return value
    if isinstance(value, Comment):
        return value.value.encode()
    if isinstance(value, TimeValue):
        return value.text.encode()
    raise InputError(f"cannot encrypt a value of type {type(value).__name__}")


def type_tag(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "str"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, Comment):
        return "comment"
    if isinstance(value, TimeValue):
        return "time"
    raise InputError(f"cannot encrypt a value of type {type(value).__name__}")


def _is_empty(value: Any) -> bool:
    if isinstance(value, Comment):
        return value.value == ""
    return isinstance(value, (str, bytes)) and len(value) == 0


def _parse_bool(text: str) -> bool:
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError("not a bool")


@dataclass(repr=False, eq=False)  # holds keys or plaintext: no repr to leak them
class Cipher:
    """Encrypts and decrypts single values; remembers IVs of decrypted values.

    The stash makes re-encrypting an unchanged value (same path, type and plaintext) produce
    byte-identical ciphertext, so ``edit``/``set`` leave minimal diffs (sops does the same).
    """

    key: bytes
    stash: dict[tuple[str, str, bytes], bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise DecryptionFailed("the data key is not 32 bytes long")
        self._aead = AESGCM(self.key)

    def encrypt(self, value: Any, aad: str) -> str:
        if _is_empty(value):
            return ""
        tag = type_tag(value)
        plain = to_bytes(value)
        iv = self.stash.get((aad, tag, plain)) or os.urandom(IV_SIZE)
        out = self._aead.encrypt(iv, plain, aad.encode())
        b64 = base64.b64encode
        return (
            f"ENC[AES256_GCM,data:{b64(out[:-TAG_SIZE]).decode()},iv:{b64(iv).decode()},"
            f"tag:{b64(out[-TAG_SIZE:]).decode()},type:{tag}]"
        )

    def decrypt(self, text: str, aad: str, where: str = "") -> Any:
        """Decrypt one ENC value; ``where`` names the key path in errors (never the value)."""
        return self.decrypt_with_bytes(text, aad, where)[0]

    def decrypt_with_bytes(self, text: str, aad: str, where: str = "") -> tuple[Any, bytes]:
        """The value and its canonical plaintext bytes (what the MAC hashes)."""
        if text == "":
            return "", b""
        m = _ENC_RE.match(text)
        if m is None:
            raise DecryptionFailed(f"value at {where or aad!r} is not in sops' ENC[...] format")
        try:
            data = binascii.a2b_base64(m.group(1), strict_mode=True)
            iv = binascii.a2b_base64(m.group(2), strict_mode=True)
            tag = binascii.a2b_base64(m.group(3), strict_mode=True)
        except (binascii.Error, ValueError):
            raise DecryptionFailed(f"value at {where or aad!r} has invalid base64") from None
        kind = m.group(4)
        if len(iv) < 8 or len(tag) != TAG_SIZE:
            raise DecryptionFailed(f"value at {where or aad!r} has a malformed IV or tag")
        try:
            plain = self._aead.decrypt(iv, data + tag, aad.encode())
        except Exception as exc:  # InvalidTag, imported only on failure: its module imports typing
            from cryptography.exceptions import InvalidTag

            if not isinstance(exc, InvalidTag):
                raise
            raise DecryptionFailed(
                f"could not decrypt the value at {where or aad!r}: wrong data key or tampered value"
            ) from None
        value = _typed(plain, kind, where or aad)
        canonical = plain if kind in ("str", "bytes", "comment", "time") else to_bytes(value)
        self.stash[(aad, kind, canonical)] = iv
        return value, canonical


def _typed(plain: bytes, kind: str, where: str) -> Any:
    try:
        if kind == "str":
            return plain.decode("utf-8", "surrogateescape")
        if kind == "bytes":
            return plain
        if kind == "int":
            return int(plain.decode(), 10)
        if kind == "float":
            return float(plain.decode())
        if kind == "bool":
            return _parse_bool(plain.decode())
        if kind == "comment":
            return Comment(plain.decode())
        if kind == "time":
            return TimeValue(plain.decode())
    except (ValueError, UnicodeDecodeError):
        raise DecryptionFailed(f"value at {where!r} does not match its type tag {kind!r}") from None
    raise DecryptionFailed(f"value at {where!r} has an unknown type tag {kind!r}")
