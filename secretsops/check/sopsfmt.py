"""Recognise SOPS-encrypted documents exactly, without decrypting anything.

A document is SOPS-encrypted when it has ``sops`` metadata with a MAC and at least one key
stanza that carries a wrapped data key, and every value the metadata's rules
(unencrypted/encrypted suffix and regex, as sops' ``shouldBeEncrypted`` applies them to every
key on the path) say must be encrypted is an ``ENC[AES256_GCM,...]`` string. One ``ENC[`` is
not enough. Comments are not checked (PyYAML drops them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import re2

#: sops' value format, stricter than sops' own parse regex: base64 fields and a known type.
ENC_VALUE = re.compile(
    r"^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,"
    r"type:(?:str|int|float|bool|bytes|time|comment)\]$"
)
KEY_TYPES = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms")
_OPTIONS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


def is_enc(value: Any) -> bool:
    return isinstance(value, str) and ENC_VALUE.match(value) is not None


@dataclass
class EncryptionRules:
    """Which keys sops encrypts: the metadata fields of the same names."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, meta: Any, default_suffix: bool = True) -> EncryptionRules:
        rules = cls(
            unencrypted_suffix=str(meta.get("unencrypted_suffix") or ""),
            encrypted_suffix=str(meta.get("encrypted_suffix") or ""),
            unencrypted_regex=str(meta.get("unencrypted_regex") or ""),
            encrypted_regex=str(meta.get("encrypted_regex") or ""),
        )
        if default_suffix and not any(meta.get(k) for k in _OPTIONS):
            rules.unencrypted_suffix = DEFAULT_UNENCRYPTED_SUFFIX
        return rules

    def _rx(self, pattern: str) -> Any:
        if pattern not in self._compiled:
            self._compiled[pattern] = re2.compile(pattern)
        return self._compiled[pattern]

    def must_encrypt(self, path: list[str]) -> bool:
        """sops' shouldBeEncrypted for a value at ``path`` (comments aside)."""
        encrypted = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex and any(self._rx(self.unencrypted_regex).search(p) for p in path):
            encrypted = False
        if self.encrypted_regex:
            encrypted = any(self._rx(self.encrypted_regex).search(p) for p in path)
        return encrypted


@dataclass
class MetadataCheck:
    ok: bool
    problem: str = ""


def check_metadata(meta: Any) -> MetadataCheck:
    """A usable ``sops`` mapping: an ENC[...] MAC and at least one key stanza with ``enc``."""
    if not isinstance(meta, dict):
        return MetadataCheck(False, "sops metadata is not a mapping")
    if not is_enc(meta.get("mac")):
        return MetadataCheck(False, "sops metadata has no MAC")
    groups: list[Any] = [meta]
    if isinstance(meta.get("key_groups"), list):
        groups.extend(g for g in meta["key_groups"] if isinstance(g, dict))
    for group in groups:
        for kind in KEY_TYPES:
            stanzas = group.get(kind)
            if isinstance(stanzas, list) and any(isinstance(s, dict) and s.get("enc") for s in stanzas):
                return MetadataCheck(True)
    return MetadataCheck(False, "sops metadata has no key that wraps the data key")


def looks_like_sops_metadata(meta: Any) -> bool:
    """A ``sops`` key that is clearly SOPS' own (rather than an app config key named sops)."""
    return isinstance(meta, dict) and any(k in meta for k in ("mac", "version", "lastmodified", *KEY_TYPES))


@dataclass
class Leaf:
    path: list[str]
    value: Any
    container: Any
    key: Any


def iter_leaves(node: Any, path: list[str] | None = None, seen: set[int] | None = None) -> Iterator[Leaf]:
    """Every scalar under ``node`` with its sops path (list items add no path element).

    Containers reached twice through YAML aliases are walked once (no alias bombs, no cycles).
    """
    path = path or []
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from iter_leaves(v, [*path, str(k)], seen)
            elif v is not None:
                yield Leaf([*path, str(k)], v, node, k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                yield from iter_leaves(v, path, seen)
            elif v is not None:
                yield Leaf(path, v, node, i)


def plaintext_leaves(doc: dict[str, Any], rules: list[EncryptionRules]) -> Iterator[Leaf]:
    """Values that any of ``rules`` says must be encrypted but are not ENC[...] (empty is fine)."""
    for leaf in iter_leaves({k: v for k, v in doc.items() if k != "sops"}):
        if leaf.value == "" or is_enc(leaf.value):
            continue
        if any(r.must_encrypt(leaf.path) for r in rules):
            yield leaf


# --- flat formats (dotenv, ini) -----------------------------------------------------------

_FLAT_KEY = re.compile(r"^(?:key_groups__list_\d+__map_)?(" + "|".join(KEY_TYPES) + r")__list_\d+__map_enc$")


def flat_metadata_check(meta: dict[str, str]) -> MetadataCheck:
    """The same check as ``check_metadata`` for sops' flattened ``sops_*`` / ``[sops]`` keys."""
    if not is_enc(meta.get("mac")):
        return MetadataCheck(False, "sops metadata has no MAC")
    if not any(_FLAT_KEY.match(k) and v for k, v in meta.items()):
        return MetadataCheck(False, "sops metadata has no key that wraps the data key")
    return MetadataCheck(True)
