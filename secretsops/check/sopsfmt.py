"""Recognise SOPS-encrypted documents exactly, without decrypting anything.

A document is SOPS-encrypted when it has ``sops`` metadata with a MAC and at least one key
stanza that carries a wrapped data key, and every value the metadata's rules
(unencrypted/encrypted suffix and regex, as sops' ``shouldBeEncrypted`` applies them to every
key on the path, and the comment regexes against the comment lines above a key and its
parents) say must be encrypted is an ``ENC[AES256_GCM,...]`` string. One ``ENC[`` is not
enough. Which key lists count (``age``, ``kms``, a plugin's kind, ...) is
``sops.metadata.metadata_kinds()``: sops' own kinds and every installed key source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secretsops.check import goregex as regexp
from secretsops.check.yamllines import LineDict
from secretsops.sops.metadata import metadata_kinds

#: sops' value format, stricter than sops' own parse regex: base64 fields and a known type.
ENC_VALUE = re.compile(
    r"^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,"
    r"type:(?:str|int|float|bool|bytes|time|comment)\]$"
)
_OPTIONS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
CRYPT_OPTIONS = _OPTIONS
NO_MAC = "sops metadata has no MAC"
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
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, meta: Any, default_suffix: bool = True) -> EncryptionRules:
        rules = cls(
            unencrypted_suffix=str(meta.get("unencrypted_suffix") or ""),
            encrypted_suffix=str(meta.get("encrypted_suffix") or ""),
            unencrypted_regex=str(meta.get("unencrypted_regex") or ""),
            encrypted_regex=str(meta.get("encrypted_regex") or ""),
            unencrypted_comment_regex=str(meta.get("unencrypted_comment_regex") or ""),
            encrypted_comment_regex=str(meta.get("encrypted_comment_regex") or ""),
        )
        if default_suffix and not any(meta.get(k) for k in _OPTIONS):
            rules.unencrypted_suffix = DEFAULT_UNENCRYPTED_SUFFIX
        return rules

    @property
    def uses_comments(self) -> bool:
        return bool(self.unencrypted_comment_regex or self.encrypted_comment_regex)

    def _search(self, pattern: str, text: str) -> bool:
        """Go's regexp.Match: unanchored; an invalid pattern never matches (sops ignores the error)."""
        if pattern not in self._compiled:
            try:
                self._compiled[pattern] = regexp.compile(pattern)
            except regexp.error:
                self._compiled[pattern] = None
        rx = self._compiled[pattern]
        return rx is not None and rx.search(text) is not None

    def must_encrypt(self, path: list[str], comments: list[str] | None = None) -> bool:
        """sops' shouldBeEncrypted for a value at ``path``; ``comments`` are the comment lines
        above the value and its ancestors (sops' comment stack), read from the raw text."""
        encrypted = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex and any(self._search(self.unencrypted_regex, p) for p in path):
            encrypted = False
        if self.encrypted_regex:
            encrypted = any(self._search(self.encrypted_regex, p) for p in path)
        comments = comments or []
        if self.unencrypted_comment_regex and any(
            self._search(self.unencrypted_comment_regex, c) for c in comments
        ):
            encrypted = False
        if self.encrypted_comment_regex:
            encrypted = any(self._search(self.encrypted_comment_regex, c) for c in comments)
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
        return MetadataCheck(False, NO_MAC)
    if has_key_stanza(meta):
        return MetadataCheck(True)
    return MetadataCheck(False, "sops metadata has no key that wraps the data key")


def has_key_stanza(meta: Any) -> bool:
    """A key stanza (age, kms, a plugin's kind, ...) carrying a wrapped data key."""
    if not isinstance(meta, dict):
        return False
    groups: list[Any] = [meta]
    if isinstance(meta.get("key_groups"), list):
        groups.extend(g for g in meta["key_groups"] if isinstance(g, dict))
    for group in groups:
        for kind in metadata_kinds():
            stanzas = group.get(kind)
            if isinstance(stanzas, list) and any(isinstance(s, dict) and s.get("enc") for s in stanzas):
                return True
    return False


def looks_like_sops_metadata(meta: Any) -> bool:
    """A ``sops`` key that is clearly SOPS' own (rather than an app config key named sops)."""
    return isinstance(meta, dict) and any(
        k in meta for k in ("mac", "version", "lastmodified", *metadata_kinds())
    )


@dataclass
class Leaf:
    path: list[str]
    value: Any
    container: Any
    key: Any
    #: 1-based lines of the keys on the path (0 where unknown), outermost first
    key_lines: list[int] = field(default_factory=list)


def iter_leaves(
    node: Any, path: list[str] | None = None, seen: set[int] | None = None, lines: list[int] | None = None
) -> Iterator[Leaf]:
    """Every scalar under ``node`` with its sops path (list items add no path element).

    Containers reached twice through YAML aliases are walked once (no alias bombs, no cycles).
    """
    path, lines = path or [], lines or []
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        key_lines = getattr(node, "lines", {})
        for k, v in node.items():
            child_lines = [*lines, key_lines.get(k, 0)]
            if isinstance(v, (dict, list)):
                yield from iter_leaves(v, [*path, str(k)], seen, child_lines)
            elif v is not None:
                yield Leaf([*path, str(k)], v, node, k, child_lines)
    elif isinstance(node, list):
        item_lines = getattr(node, "lines", [])
        for i, v in enumerate(node):
            child_lines = [*lines, item_lines[i] if i < len(item_lines) else 0]
            if isinstance(v, (dict, list)):
                yield from iter_leaves(v, path, seen, child_lines)
            elif v is not None:
                yield Leaf(path, v, node, i, child_lines)


def comments_above(text_lines: list[str], key_lines: list[int]) -> list[str]:
    """The comment lines directly above each key on the path (sops' comment stack, roughly)."""
    out: list[str] = []
    for line in key_lines:
        n = line - 2
        while 0 <= n < len(text_lines) and text_lines[n].lstrip().startswith("#"):
            out.append(text_lines[n].lstrip()[1:].strip())
            n -= 1
    return out


def plaintext_leaves(
    doc: dict[str, Any], rules: list[EncryptionRules], text_lines: list[str] | None = None
) -> Iterator[Leaf]:
    """Values that any of ``rules`` says must be encrypted but are not ENC[...] (empty is fine)."""
    needs_comments = text_lines is not None and any(r.uses_comments for r in rules)
    top = LineDict()
    doc_lines = getattr(doc, "lines", {})
    for k, v in doc.items():
        if k != "sops":
            top[k] = v
            top.lines[k] = doc_lines.get(k, 0)
    for leaf in iter_leaves(top):
        if leaf.value == "" or is_enc(leaf.value):
            continue
        comments = comments_above(text_lines or [], leaf.key_lines) if needs_comments else None
        if any(r.must_encrypt(leaf.path, comments) for r in rules):
            yield leaf


# --- flat formats (dotenv, ini) -----------------------------------------------------------

#: a flattened stanza's ``enc``; group 1 is the kind, checked against ``metadata_kinds()``
_FLAT_KEY = re.compile(r"^(?:key_groups__list_\d+__map_)?(\w+?)__list_\d+__map_enc$")


def flat_metadata_check(meta: dict[str, str]) -> MetadataCheck:
    """The same check as ``check_metadata`` for sops' flattened ``sops_*`` / ``[sops]`` keys."""
    if not is_enc(meta.get("mac")):
        return MetadataCheck(False, "sops metadata has no MAC")
    kinds = set(metadata_kinds())
    if not any(v and (m := _FLAT_KEY.match(k)) and m.group(1) in kinds for k, v in meta.items()):
        return MetadataCheck(False, "sops metadata has no key that wraps the data key")
    return MetadataCheck(True)
