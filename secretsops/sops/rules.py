"""``.sops.yaml`` creation rules, found and matched exactly as sops does.

The config is looked up from the working directory upwards (``.sops.yaml`` only; a
``.sops.yml`` is reported, not used). The file path is made relative to the config's directory
when it lies below it, then the first rule whose ``path_regex`` (Go RE2 syntax, searched, not
anchored) matches wins; a rule without ``path_regex`` matches everything. Which keys a rule may
name (``age``, ``hc_vault_transit_uri``, a plugin's key...) is the key-source registry's to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops.errors import ConfigFileError, ConfigFileInvalid, InputError, NoCreationRuleMatched
from secretsops.keysources.base import MasterKey
from secretsops.keysources.registry import keysources
from secretsops.sops.api import EncryptOptions
from secretsops.sops.configfile import CONFIG_NAME, MAX_DEPTH, find_config  # noqa: F401 - re-exported
from secretsops.sops.formats.registry import formats

ALT_CONFIG_NAME = ".sops.yml"


@dataclass
class CreationRule:
    path_regex: str
    key_groups: list[list[MasterKey]]
    options: EncryptOptions
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class SopsConfig:
    path: Path
    rules: list[Mapping[str, Any]]
    stores: Mapping[str, Any] = field(default_factory=dict)
    #: ``creation_rules`` is present and not null (sops: absent means "no config", ``[]`` matches nothing)
    declares_rules: bool = True

    def store_indent(self, fmt: str) -> int | None:
        """``stores: {yaml|json|json_binary: {indent: N}}`` for ``fmt``, if set."""
        section = formats().config_section(fmt)
        conf = self.stores.get(section) if section else None
        if isinstance(conf, Mapping) and isinstance(conf.get("indent"), int):
            return int(conf["indent"])
        return None

    def rule_for(
        self, file_path: str | Path, *, encryption_context: Mapping[str, Any] | None = None
    ) -> CreationRule:
        """The first creation rule matching ``file_path`` (``NoMatchingCreationRules`` if none)."""
        abs_path = str(Path(file_path).absolute())
        config_dir = str(self.path.parent.absolute())
        rel = abs_path[len(config_dir) + 1 :] if abs_path.startswith(config_dir + "/") else abs_path
        from secretsops.golang import regexp  # lazy: decrypting without a .sops.yaml never matches rules

        for i, rule in enumerate(self.rules):
            pattern = rule.get("path_regex") or ""
            if not pattern:
                return _build(rule, encryption_context)
            try:
                rx = regexp.matcher(str(pattern))
            except regexp.error:
                raise ConfigFileInvalid(
                    f"{self.path}: creation rule {i + 1}: invalid path_regex (RE2 syntax)"
                ) from None
            if rx.search(rel):
                return _build(rule, encryption_context)
        raise NoCreationRuleMatched(f"{self.path}: no matching creation rules found for {file_path}")


def load_config(path: Path) -> SopsConfig:
    from secretsops import yamlio

    try:
        text = yamlio.read_text(path)
    except yamlio.LimitExceeded as exc:
        raise ConfigFileInvalid(str(exc)) from None
    except InputError:
        raise ConfigFileError(f"cannot read config file {path}") from None
    try:
        data = yamlio.load_one(text, str(path))
    except InputError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise ConfigFileInvalid(f"config file {path} is not valid YAML ({reason})") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigFileInvalid(f"config file {path} is not a mapping")
    rules = data.get("creation_rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise ConfigFileInvalid(f"config file {path}: creation_rules must be a list of mappings")
    stores = data.get("stores") or {}
    if not isinstance(stores, Mapping):
        raise ConfigFileInvalid(f"config file {path}: stores must be a mapping")
    return SopsConfig(path, rules, stores, declares_rules=data.get("creation_rules") is not None)


def _keys_of(cls: type[MasterKey], value: Any, ctx_opts: Mapping[str, Any]) -> list[MasterKey]:
    if value in (None, "", []):
        return []
    return cls.from_rule(value, ctx_opts)


def _dedupe(group: list[MasterKey]) -> list[MasterKey]:
    seen: set[tuple[str, str]] = set()
    out = []
    for k in group:
        ident = (k.kind, k.identifier)
        if ident not in seen:
            seen.add(ident)
            out.append(k)
    return out


def _group_from_rule(group: Mapping[str, Any]) -> list[MasterKey]:
    keys: list[MasterKey] = []
    for sub in group.get("merge") or []:
        if isinstance(sub, Mapping):
            keys.extend(_group_from_rule(sub))
    for group_key, cls in keysources().by_group_key().items():
        if group.get(group_key):
            keys.extend(_keys_of(cls, group[group_key], {}))
    return _dedupe(keys)


def _build(rule: Mapping[str, Any], encryption_context: Mapping[str, Any] | None) -> CreationRule:
    opts: dict[str, Any] = {"encryption_context": dict(encryption_context or {})}
    if rule.get("aws_profile"):
        opts["aws_profile"] = str(rule["aws_profile"])
    crypt = {
        f: str(rule.get(f) or "")
        for f in (
            "unencrypted_suffix",
            "encrypted_suffix",
            "unencrypted_regex",
            "encrypted_regex",
            "unencrypted_comment_regex",
            "encrypted_comment_regex",
        )
    }
    if sum(1 for v in crypt.values() if v) > 1:
        raise ConfigFileInvalid(
            "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
            "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule"
        )
    groups: list[list[MasterKey]] = []
    if rule.get("key_groups"):
        for g in rule["key_groups"]:
            if not isinstance(g, Mapping):
                raise ConfigFileInvalid("a key group in a creation rule is not a mapping")
            groups.append(_group_from_rule(g))
    else:
        group: list[MasterKey] = []
        for rule_key, cls in keysources().by_rule_key().items():
            group.extend(_keys_of(cls, rule.get(rule_key), opts))
        groups.append(group)
    try:
        threshold = int(rule.get("shamir_threshold") or 0)
    except (TypeError, ValueError):
        raise ConfigFileInvalid("shamir_threshold must be an integer") from None
    options = EncryptOptions(
        mac_only_encrypted=bool(rule.get("mac_only_encrypted")), shamir_threshold=threshold
    )
    for name, value in crypt.items():
        setattr(options, name, value)
    return CreationRule(str(rule.get("path_regex") or ""), groups, options, rule)


def rule_for(path: str | Path, *, config: Path | None = None, cwd: Path | None = None) -> CreationRule | None:
    """The creation rule for ``path`` from ``config`` or the ``.sops.yaml`` found upwards from
    ``cwd``; None when there is no config file at all."""
    cfg_path = config or find_config(cwd or Path.cwd())
    if cfg_path is None:
        return None
    return load_config(cfg_path).rule_for(path)
