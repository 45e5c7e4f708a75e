"""Which files a ``.sops.yaml`` says must be encrypted, and with which rules.

sops picks the first creation rule whose ``path_regex`` (Go RE2, unanchored) matches the
file's path relative to the config's directory; a rule without ``path_regex`` matches
everything. For checking we use the nearest ``.sops.yaml`` in the file's directory or above
(inside the scan root). A rule *covers* a file for ``sops-unencrypted`` only when the file
holds secrets (``check/holds_secrets.py``): a rule, broad or narrow, says which keys encrypt
what is secret, not that a certificate or a README must be encrypted. A rule without
``path_regex`` covers nothing (it says which keys to use); ``matching_rule`` still finds it,
because ``secretsops encrypt`` reads its keys from it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from secretsops import yamlio
from secretsops.check import goregex as regexp
from secretsops.check.sopsfmt import CRYPT_OPTIONS, EncryptionRules
from secretsops.errors import InputError

CONFIG_NAMES = (".sops.yaml", ".sops.yml")


@dataclass
class CreationRule:
    path_regex: str
    rules: EncryptionRules
    #: the rule sets one of sops' encrypted/unencrypted suffix/regex options itself
    declares_options: bool = False
    _rx: Any = None

    def matches(self, rel: str) -> bool:
        if not self.path_regex:
            return True
        if self._rx is None:
            self._rx = regexp.compile(self.path_regex)
        return self._rx.search(rel) is not None


@dataclass
class SopsConfig:
    directory: str  # posix path relative to the scan root ("" = root)
    rules: list[CreationRule]
    problem: str = ""
    #: the config's file name (.sops.yaml, or .sops.yml which sops itself does not read)
    name: str = ".sops.yaml"

    @property
    def path(self) -> str:
        """The config file, relative to the scan root."""
        return posixpath.join(self.directory, self.name) if self.directory else self.name

    def matching_rule(self, path: str) -> CreationRule | None:
        """The rule sops would use for ``path`` (first match; a rule without path_regex matches all)."""
        rel = path[len(self.directory) + 1 :] if self.directory else path
        for rule in self.rules:
            if rule.matches(rel):
                return rule
        return None

    def covering_rule(self, path: str) -> CreationRule | None:
        """The matching rule when it names files (has a path_regex), else None."""
        rule = self.matching_rule(path)
        return rule if rule is not None and rule.path_regex else None


def parse_config(text: str, directory: str, name: str = ".sops.yaml") -> SopsConfig:
    """Creation rules of one .sops.yaml; a broken config yields no rules and a problem."""
    try:
        data = yamlio.load_one(text, name) or {}
    except InputError as exc:
        return SopsConfig(directory, [], str(exc).split(": ", 1)[-1], name)
    rules: list[CreationRule] = []
    raw = data.get("creation_rules") if isinstance(data, dict) else None
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        regex = str(item.get("path_regex") or "")
        if regex:
            try:
                regexp.compile(regex)
            except regexp.error:
                return SopsConfig(directory, [], "creation rule has an invalid path_regex", name)
        declares = any(item.get(k) for k in CRYPT_OPTIONS)
        rules.append(CreationRule(regex, EncryptionRules.from_mapping(item), declares))
    return SopsConfig(directory, rules, name=name)


@dataclass
class SopsConfigs:
    """Looks up the nearest .sops.yaml for a path, reading each config at most once."""

    read: Callable[[str], str | None]
    _cache: dict[str, SopsConfig | None] = field(default_factory=dict)

    def for_path(self, path: str) -> SopsConfig | None:
        directory = posixpath.dirname(path)
        while True:
            config = self._config_in(directory)
            if config is not None:
                return config
            if not directory:
                return None
            directory = posixpath.dirname(directory)

    def _config_in(self, directory: str) -> SopsConfig | None:
        if directory not in self._cache:
            self._cache[directory] = None
            for name in CONFIG_NAMES:
                text = self.read(posixpath.join(directory, name) if directory else name)
                if text is not None:
                    self._cache[directory] = parse_config(text, directory, name)
                    break
        return self._cache[directory]
