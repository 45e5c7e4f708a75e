"""The library API of the SOPS format: encrypt/decrypt bytes, trees and parsed documents.

Everything here works in memory. Key material comes from the ``KeyContext`` the caller
built at the edge; plaintext is returned, never written. Errors name files, keys and paths,
never values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from secretsops.errors import (
    CouldNotLoadEncryptedFile,
    CouldNotReadInputFile,
    DecryptionFailed,
    EmptyFile,
    FileAlreadyEncrypted,
    InvalidFormat,
    MacMismatch,
    MetadataNotFound,
    NotEncrypted,
    TreeDecryptionFailed,
    TreeEncryptionFailed,
    UnsupportedVersion,
    UnwalkableValue,
)
from secretsops.keysources.base import KeyContext, MasterKey
from secretsops.sops.cipher import Cipher, Comment, TimeValue
from secretsops.sops.datakey import unwrap_data_key, wrap_data_key
from secretsops.sops.formats import get_store
from secretsops.sops.formats.base import METADATA_KEY
from secretsops.sops.metadata import SOPS_VERSION, Metadata, normalize_lastmodified, now_rfc3339
from secretsops.sops.tree import (
    DEFAULT_UNENCRYPTED_SUFFIX,
    Branch,
    CryptRules,
    decrypt_branches,
    encrypt_branches,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DataKeyCache",
    "DecryptedTree",
    "EncryptOptions",
    "EncryptedFile",
    "decrypt_bytes",
    "decrypt_document",
    "decrypt_documents",
    "decrypt_tree",
    "encrypt_bytes",
    "encrypt_tree",
    "is_encrypted_document",
    "load_encrypted",
    "reencrypt",
]


@dataclass(repr=False, eq=False)  # neither is used; each generated method costs start-up time
class EncryptOptions:
    """sops' encryption settings (flags or a creation rule); at most one crypt rule."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""
    mac_only_encrypted: bool = False
    shamir_threshold: int = 0
    indent: int | None = None
    version: str = SOPS_VERSION

    def rules(self, fmt: str = "yaml") -> CryptRules:
        fields = dict(
            unencrypted_suffix=self.unencrypted_suffix,
            encrypted_suffix=self.encrypted_suffix,
            unencrypted_regex=self.unencrypted_regex,
            encrypted_regex=self.encrypted_regex,
            unencrypted_comment_regex=self.unencrypted_comment_regex,
            encrypted_comment_regex=self.encrypted_comment_regex,
        )
        if sum(1 for v in fields.values() if v) > 1:
            from secretsops.errors import ConflictingParameters

            raise ConflictingParameters(  # sops: exit 8
                "cannot use more than one of encrypted/unencrypted suffix, regex or comment regex"
            )
        if not any(fields.values()) and fmt != "binary":
            fields["unencrypted_suffix"] = DEFAULT_UNENCRYPTED_SUFFIX
        return CryptRules(**fields, mac_only_encrypted=self.mac_only_encrypted)


@dataclass(repr=False, eq=False)  # holds keys or plaintext: no repr to leak them
class DataKeyCache:
    """Data keys in memory, by the file's encrypted MAC: an unchanged file costs no key call."""

    keys: dict[str, bytes] = field(default_factory=dict)
    hits: int = 0

    def get(self, meta: Metadata) -> bytes | None:
        key = self.keys.get(meta.mac) if meta.mac else None
        if key is not None:
            self.hits += 1
        return key

    def put(self, meta: Metadata, data_key: bytes) -> None:
        if meta.mac:
            self.keys[meta.mac] = data_key


@dataclass(repr=False, eq=False)  # neither is used; each generated method costs start-up time
class EncryptedFile:
    """A parsed encrypted file: still-encrypted branches and its metadata."""

    branches: list[Branch]
    metadata: Metadata
    fmt: str


@dataclass(repr=False, eq=False)  # holds keys or plaintext: no repr to leak them
class DecryptedTree:
    """Plaintext branches with the metadata and data key they came with.

    ``cipher`` remembers the IV of every decrypted value, so ``reencrypt`` writes unchanged
    values byte-identically (minimal git diffs; the merge driver relies on this).
    """

    branches: list[Branch]
    metadata: Metadata
    data_key: bytes
    cipher: Cipher
    fmt: str


# --- loading ----------------------------------------------------------------------------------


def _deepcopy(value: Any) -> Any:
    import copy  # lazy: the decrypt-to-bytes path never copies

    return copy.deepcopy(value)


def load_encrypted(data: bytes, fmt: str, *, where: str = "<input>") -> EncryptedFile:
    """Parse an encrypted file; ``MetadataNotFound`` when it has no sops metadata."""
    store = get_store(fmt)
    try:
        branches, raw = store.load_encrypted(data)
    except UnwalkableValue as exc:
        raise TreeDecryptionFailed(f"{where}: {exc}") from None
    except InvalidFormat as exc:
        raise CouldNotLoadEncryptedFile(f"{where}: {exc}") from None
    if raw is None:
        raise NotEncrypted(f"{where}: sops metadata not found (the file is not encrypted)")
    meta = Metadata.from_dict(raw, where=where)
    return EncryptedFile(branches, meta, fmt)


def _data_key(
    meta: Metadata, ctx: KeyContext, cache: DataKeyCache | None, order: list[str] | None = None
) -> bytes:
    if cache is not None:
        hit = cache.get(meta)
        if hit is not None:
            return hit
    key = unwrap_data_key(meta, ctx, order)
    if cache is not None:
        cache.put(meta, key)
    return key


_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _check_version(version: str, where: str) -> None:
    """sops parses the metadata version as semver before decrypting (any major version)."""
    if not _SEMVER.match(version):
        raise UnsupportedVersion(f"{where}: sops metadata version is not Major.Minor.Patch")


def decrypt_tree(
    ef: EncryptedFile,
    *,
    ctx: KeyContext,
    ignore_mac: bool = False,
    cache: DataKeyCache | None = None,
    where: str = "<input>",
    in_place: bool = False,
    decryption_order: list[str] | None = None,
) -> DecryptedTree:
    """Decrypt in memory and verify the MAC (unless ``ignore_mac``).

    The input is left unchanged unless ``in_place`` (saves a copy when the caller drops it).
    """
    _check_version(ef.metadata.version, where)
    key = _data_key(ef.metadata, ctx, cache, decryption_order)
    branches = ef.branches if in_place else _deepcopy(ef.branches)
    cipher = Cipher(key)
    try:
        computed = decrypt_branches(branches, cipher, ef.metadata.rules)
    except DecryptionFailed as exc:
        raise TreeDecryptionFailed(f"{where}: {exc}") from None
    if not ignore_mac:
        _verify_mac(ef.metadata, cipher, computed, where)
    return DecryptedTree(branches, ef.metadata, key, cipher, ef.fmt)


def _verify_mac(meta: Metadata, cipher: Cipher, computed: str, where: str) -> None:
    if not meta.mac:
        raise MacMismatch(f"{where}: MAC mismatch: the file has no MAC")
    try:
        stored = cipher.decrypt(meta.mac, normalize_lastmodified(meta.lastmodified), "sops.mac")
    except DecryptionFailed:
        raise MacMismatch(
            f"{where}: cannot decrypt the MAC: wrong data key or tampered MAC/lastmodified"
        ) from None
    if not isinstance(stored, str) or stored != computed:
        raise MacMismatch(f"{where}: MAC mismatch: the file was changed without re-encryption (tampered?)")


# --- encrypting -------------------------------------------------------------------------------


def _has_metadata(branches: list[Branch], fmt: str) -> bool:
    if not branches:
        return False
    first = branches[0]
    if fmt == "dotenv":
        return any(isinstance(k, str) and k.startswith("sops_") for k, _ in first)
    return any(k == METADATA_KEY for k, _ in first)


def encrypt_tree(
    branches: list[Branch],
    fmt: str,
    *,
    groups: list[list[MasterKey]],
    options: EncryptOptions,
    ctx: KeyContext,
) -> bytes:
    """Encrypt plaintext branches for ``groups`` with a fresh data key; returns the file bytes."""
    if not branches:
        raise EmptyFile("file cannot be completely empty, it must contain at least one document")
    if _has_metadata(branches, fmt):
        raise FileAlreadyEncrypted("the file already has sops metadata: it is already encrypted")
    meta = Metadata(
        key_groups=groups,
        shamir_threshold=options.shamir_threshold,
        rules=options.rules(fmt),
        version=options.version,
    )
    data_key = os.urandom(32)
    wrap_data_key(data_key, meta, ctx)
    tree = DecryptedTree(branches, meta, data_key, Cipher(data_key), fmt)
    return reencrypt(tree, indent=options.indent, in_place=True)


def reencrypt(
    tree: DecryptedTree, *, indent: int | None = None, touch: bool = True, in_place: bool = False
) -> bytes:
    """Encrypt ``tree`` with its own data key and metadata (unchanged values keep their IVs).

    ``tree.branches`` stay plaintext unless ``in_place`` (then they are consumed).
    """
    branches = tree.branches if in_place else _deepcopy(tree.branches)
    mac = encrypt_branches(branches, tree.cipher, tree.metadata.rules)
    if touch or not tree.metadata.lastmodified:
        tree.metadata.lastmodified = now_rfc3339()
    tree.metadata.mac = tree.cipher.encrypt(mac, normalize_lastmodified(tree.metadata.lastmodified))
    store = get_store(tree.fmt, indent)
    try:
        return store.emit_encrypted(branches, tree.metadata.to_dict())
    except InvalidFormat as exc:
        from secretsops.errors import ErrorGeneric

        raise ErrorGeneric(f"could not write the encrypted file: {exc}") from None


def load_plain(data: bytes, fmt: str, *, where: str = "<input>") -> list[Branch]:
    if fmt == "yaml" and not data:  # sops: only a 0-byte YAML file is "empty" (92)
        raise EmptyFile(f"{where}: file cannot be completely empty, it must contain at least one document")
    try:
        branches = get_store(fmt).load_plain(data)
    except UnwalkableValue as exc:
        raise TreeEncryptionFailed(f"{where}: {exc}") from None
    except InvalidFormat as exc:
        raise CouldNotReadInputFile(f"{where}: {exc}") from None
    if not branches:  # whitespace or comments only: go-yaml's decoder gives EOF
        raise CouldNotReadInputFile(f"{where}: no document in the input (EOF)")
    return branches


def encrypt_bytes(
    data: bytes,
    fmt: str,
    *,
    groups: list[list[MasterKey]],
    options: EncryptOptions,
    ctx: KeyContext,
    where: str = "<input>",
    output_fmt: str | None = None,
) -> bytes:
    """Plaintext file bytes → encrypted file bytes (in ``output_fmt``, default the same)."""
    branches = load_plain(data, fmt, where=where)
    return encrypt_tree(branches, output_fmt or fmt, groups=groups, options=options, ctx=ctx)


def decrypt_bytes(
    data: bytes,
    fmt: str,
    *,
    ctx: KeyContext,
    ignore_mac: bool = False,
    cache: DataKeyCache | None = None,
    output_fmt: str | None = None,
    indent: int | None = None,
    where: str = "<input>",
    decryption_order: list[str] | None = None,
) -> bytes:
    """Encrypted file bytes → plaintext file bytes (in ``output_fmt``, default the same)."""
    tree = decrypt_tree(
        load_encrypted(data, fmt, where=where),
        ctx=ctx,
        ignore_mac=ignore_mac,
        cache=cache,
        where=where,
        in_place=True,
        decryption_order=decryption_order,
    )
    store = get_store(output_fmt or fmt, indent)
    try:
        return store.emit_plain(tree.branches)
    except InvalidFormat as exc:
        from secretsops.errors import ErrorGeneric

        raise ErrorGeneric(f"{where}: could not write the decrypted output: {exc}") from None


# --- parsed Kubernetes documents --------------------------------------------------------------


def is_encrypted_document(doc: Any) -> bool:
    """True for a mapping with a ``sops`` block that carries a mac and a version."""
    if not isinstance(doc, Mapping):
        return False
    md = doc.get(METADATA_KEY)
    return isinstance(md, Mapping) and "mac" in md and "version" in md


def _to_branch(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Branch((k, _to_branch(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_to_branch(v) for v in value]
    return value


def _to_dict(value: Any) -> Any:
    if isinstance(value, Branch):
        return {k: _to_dict(v) for k, v in value if not isinstance(k, Comment)}
    if isinstance(value, list):
        return [_to_dict(v) for v in value if not isinstance(v, Comment)]
    if isinstance(value, TimeValue):
        return value.text
    return value


def decrypt_document(
    doc: Mapping[str, Any], *, ctx: KeyContext, cache: DataKeyCache | None = None, where: str = "<document>"
) -> dict[str, Any]:
    """One parsed YAML/JSON document with a ``sops`` block → the plain document (MAC verified)."""
    if not is_encrypted_document(doc):
        raise MetadataNotFound(f"{where}: sops metadata not found")
    meta = Metadata.from_dict(doc[METADATA_KEY], where=where)
    branch = _to_branch({k: v for k, v in doc.items() if k != METADATA_KEY})
    tree = decrypt_tree(
        EncryptedFile([branch], meta, "yaml"), ctx=ctx, cache=cache, where=where, in_place=True
    )
    out = _to_dict(tree.branches[0])
    assert isinstance(out, dict)
    return out


def decrypt_documents(
    data: bytes,
    fmt: str = "yaml",
    *,
    ctx: KeyContext,
    cache: DataKeyCache | None = None,
    where: str = "<input>",
) -> list[dict[str, Any]]:
    """Every document of a manifest file, decrypted where it carries a ``sops`` block.

    Parses with the same rules sops uses (go-yaml scalars), so the MAC of unencrypted values
    matches even where a YAML 1.1 parser would read them differently (``on``, timestamps).
    Each encrypted document is verified on its own; plain documents pass through.
    """
    store = get_store(fmt)
    try:
        branches = store.load_plain(data) if data.strip() else []
    except InvalidFormat as exc:
        raise CouldNotLoadEncryptedFile(f"{where}: {exc}") from None
    out: list[dict[str, Any]] = []
    for i, branch in enumerate(branches):
        raw = branch.get(METADATA_KEY)
        doc_where = f"{where}#{i}" if len(branches) > 1 else where
        if raw is None:
            plain = _to_dict(branch)
        else:
            meta = Metadata.from_dict(_to_dict(raw), where=doc_where)
            body = Branch((k, v) for k, v in branch if k != METADATA_KEY)
            tree = decrypt_tree(
                EncryptedFile([body], meta, fmt), ctx=ctx, cache=cache, where=doc_where, in_place=True
            )
            plain = _to_dict(tree.branches[0])
        assert isinstance(plain, dict)
        out.append(plain)
    return out
