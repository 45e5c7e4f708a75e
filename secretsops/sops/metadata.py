"""The ``sops:`` metadata block: on-disk schema ↔ in-memory model.

Reads what any sops 3.x writes (flat key lists or ``key_groups``, keys in any order, missing
optional fields); writes what sops 3.11 writes, in its key order. Key stanzas of kinds no
installed key source understands (``gcp_kms``, ``azure_kv``, ...) are kept verbatim so
rewriting a file never drops a recipient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from secretsops.errors import InputError, UnsupportedVersion
from secretsops.keysources.base import KeyContext, MasterKey
from secretsops.keysources.registry import KeySourceRegistry, keysources
from secretsops.sops.tree import DEFAULT_UNENCRYPTED_SUFFIX, CryptRules

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

SOPS_VERSION = "3.11.0"
#: key-list names in the order sops 3.11 writes them at top level (pgp comes after mac)
TOP_KEY_ORDER_BEFORE_MAC = ("kms", "gcp_kms", "azure_kv", "hc_vault", "age")
#: order of key lists inside a ``key_groups`` entry
GROUP_KEY_ORDER = ("pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "age")
#: order sops uses when it builds a group from a file (KMS, GCP, Azure, Vault, PGP, age)
LOAD_ORDER = ("kms", "gcp_kms", "azure_kv", "hc_vault", "pgp", "age")
#: every key kind sops itself writes (whether or not a key source for it is installed here);
#: the stanza order above is sops' on-disk schema, kinds of plugins are written after them
SOPS_KEY_KINDS = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms")
CRYPT_FIELDS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)


class UnknownKey(MasterKey):
    """A stanza of a kind no installed key source handles: kept, never used to unwrap."""

    kind = "unknown"
    cli_flag = ""
    rule_key = ""
    group_key = ""
    priority = 1000

    def __init__(self, kind: str, stanza: Mapping[str, Any]) -> None:
        self.kind = kind  # type: ignore[misc]
        self.group_key = kind  # type: ignore[misc]
        self.stanza = dict(stanza)
        self.enc = str(stanza.get("enc", ""))

    @property
    def identifier(self) -> str:
        for k in ("arn", "resource_id", "vault_url", "fp", "recipient", "key_name"):
            if k in self.stanza:
                return str(self.stanza[k])
        return self.kind

    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        raise InputError(f"no key source is installed for {self.kind!r} keys")

    def unwrap(self, ctx: KeyContext) -> bytes:
        from secretsops.errors import KeySourceError

        raise KeySourceError(f"no key source is installed for {self.kind!r} keys")

    def to_metadata(self) -> dict[str, Any]:
        return dict(self.stanza)

    @classmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        raise NotImplementedError

    @classmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        raise NotImplementedError

    @classmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        raise NotImplementedError


def metadata_kinds() -> tuple[str, ...]:
    """Every key-list name a ``sops:`` block may hold: sops' own (installed or not) and every
    installed key source's kind (a plugin's stanzas are keys like any other)."""
    extra = [k for k in keysources().kinds() if k not in SOPS_KEY_KINDS]
    return (*SOPS_KEY_KINDS, *extra)


def now_rfc3339() -> str:
    from datetime import UTC, datetime  # lazy: not needed to decrypt

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def normalize_lastmodified(text: str) -> str:
    """Re-render lastmodified as Go's ``Format(time.RFC3339)`` does: it is the MAC's AAD."""
    m = _RFC3339.match(text)
    if m is None:
        raise InputError(f"sops metadata: lastmodified {text!r} is not an RFC 3339 timestamp")
    zone = m.group(4)
    if zone in ("Z", "z", "+00:00", "-00:00") and zone != "-00:00":
        zone = "Z"
    return f"{m.group(1)}T{m.group(2)}{zone}"


@dataclass(repr=False, eq=False)  # neither is used; each generated method costs start-up time
class Metadata:
    """What a file's ``sops:`` block says (sops' in-memory ``Metadata``)."""

    key_groups: list[list[MasterKey]] = field(default_factory=list)
    shamir_threshold: int = 0
    lastmodified: str = ""
    mac: str = ""
    rules: CryptRules = field(default_factory=CryptRules)
    version: str = SOPS_VERSION

    def all_keys(self) -> list[MasterKey]:
        return [k for g in self.key_groups for k in g]

    # --- reading ------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, raw: Any, *, where: str = "<input>") -> Metadata:
        if not isinstance(raw, Mapping):
            raise InputError(f"{where}: the sops metadata block is not a mapping")
        version = raw.get("version")
        if version is None or str(version).strip() == "":
            raise UnsupportedVersion(f"{where}: sops metadata has no version")
        vtext = str(version)  # any version is read, as sops reads it (it never checks)
        registry = keysources()
        for name in ("key_groups", *LOAD_ORDER, *registry.kinds()):
            if raw.get(name) is not None and not isinstance(raw[name], list):
                raise InputError(f"{where}: sops metadata {name!r} is not a list")
        flat = [k for k in metadata_kinds() if raw.get(k)]
        groups: list[list[MasterKey]] = []
        if flat:
            groups.append(_group_from(raw, registry, where))
        elif raw.get("key_groups"):
            kg = raw["key_groups"]
            if not isinstance(kg, list):
                raise InputError(f"{where}: sops key_groups is not a list")
            for g in kg:
                if not isinstance(g, Mapping):
                    raise InputError(f"{where}: a sops key group is not a mapping")
                groups.append(_group_from(g, registry, where))
        else:
            raise InputError(f"{where}: sops metadata lists no keys")
        crypt = {f: str(raw.get(f) or "") for f in CRYPT_FIELDS}
        if sum(1 for v in crypt.values() if v) > 1:
            raise InputError(
                f"{where}: sops metadata sets more than one of "
                "encrypted/unencrypted suffix/regex/comment regex"
            )
        if not any(crypt.values()):
            crypt["unencrypted_suffix"] = DEFAULT_UNENCRYPTED_SUFFIX
        mac_only = raw.get("mac_only_encrypted", False)
        if isinstance(mac_only, str):
            mac_only = mac_only == "true"
        try:
            threshold = int(raw.get("shamir_threshold") or 0)
        except (TypeError, ValueError):
            raise InputError(f"{where}: sops shamir_threshold is not an integer") from None
        lastmod = raw.get("lastmodified")
        if lastmod is None:
            raise InputError(f"{where}: sops metadata has no lastmodified")
        if not isinstance(lastmod, str) and hasattr(lastmod, "strftime"):  # a parsed timestamp
            lastmod = lastmod.strftime("%Y-%m-%dT%H:%M:%SZ")
        normalize_lastmodified(str(lastmod))
        return cls(
            key_groups=groups,
            shamir_threshold=threshold,
            lastmodified=str(lastmod),
            mac=str(raw.get("mac") or ""),
            rules=CryptRules(**crypt, mac_only_encrypted=bool(mac_only)),
            version=vtext,
        )

    # --- writing ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The block as sops 3.11 writes it (same keys, same order)."""
        out: dict[str, Any] = {}
        if self.shamir_threshold:
            out["shamir_threshold"] = self.shamir_threshold
        if len(self.key_groups) > 1:
            groups = []
            for g in self.key_groups:
                by_kind = _by_kind(g)
                entry: dict[str, Any] = {}
                for kind in GROUP_KEY_ORDER:
                    if by_kind.get(kind):
                        entry[kind] = by_kind[kind]
                    elif kind in ("hc_vault", "age"):
                        entry[kind] = []
                for kind, stanzas in by_kind.items():
                    if kind not in entry:
                        entry[kind] = stanzas
                groups.append(entry)
            out["key_groups"] = groups
            by_kind_top: dict[str, list[dict[str, Any]]] = {}
        else:
            by_kind_top = _by_kind(self.key_groups[0]) if self.key_groups else {}
        for kind in TOP_KEY_ORDER_BEFORE_MAC:
            if by_kind_top.get(kind):
                out[kind] = by_kind_top[kind]
        out["lastmodified"] = self.lastmodified
        out["mac"] = self.mac
        if by_kind_top.get("pgp"):
            out["pgp"] = by_kind_top["pgp"]
        for kind, stanzas in by_kind_top.items():
            if kind not in out and kind not in TOP_KEY_ORDER_BEFORE_MAC:
                out[kind] = stanzas
        for f in CRYPT_FIELDS:
            v = getattr(self.rules, f)
            if v:
                out[f] = v
        if self.rules.mac_only_encrypted:
            out["mac_only_encrypted"] = True
        out["version"] = self.version
        return out


def _by_kind(group: list[MasterKey]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for key in group:
        out.setdefault(key.kind, []).append(key.to_metadata())
    return out


def _group_from(raw: Mapping[str, Any], registry: KeySourceRegistry, where: str) -> list[MasterKey]:
    group: list[MasterKey] = []
    kinds = list(LOAD_ORDER) + [
        k for k in raw if k not in LOAD_ORDER and k != "key_groups" and isinstance(raw.get(k), list)
    ]
    for kind in kinds:
        stanzas = raw.get(kind)
        if not stanzas:
            continue
        if not isinstance(stanzas, list):
            raise InputError(f"{where}: sops metadata {kind!r} is not a list")
        for stanza in stanzas:
            if not isinstance(stanza, Mapping):
                raise InputError(f"{where}: a sops {kind!r} key entry is not a mapping")
            cls = registry.get(str(kind))
            if cls is None:
                group.append(UnknownKey(kind, stanza))
            else:
                group.append(cls.from_metadata(stanza))
    return group
