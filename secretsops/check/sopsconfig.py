"""Which files a ``.sops.yaml`` says must be encrypted, and with which rules.

sops picks the first creation rule whose ``path_regex`` (Go RE2, unanchored) matches the
file's path relative to the config's directory; a rule without ``path_regex`` matches
everything. For checking we use the nearest ``.sops.yaml`` in the file's directory or above
(inside the scan root), and a file counts as *covered* only when the first matching rule has
an explicit ``path_regex``: a catch-all rule says which keys to use, not that every README
must be encrypted.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from secretsops import yamlio
from secretsops.check.sopsfmt import EncryptionRules
from secretsops.errors import InputError
from secretsops.golang import regexp

CONFIG_NAMES = (".sops.yaml", ".sops.yml")


@dataclass
class CreationRule:
    path_regex: str
    rules: EncryptionRules
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

    def covering_rule(self, path: str) -> CreationRule | None:
        rel = path[len(self.directory) + 1 :] if self.directory else path
        for rule in self.rules:
            if rule.matches(rel):
                return rule if rule.path_regex else None
        return None


def parse_config(text: str, directory: str) -> SopsConfig:
    """Creation rules of one .sops.yaml; a broken config yields no rules and a problem."""
    try:
        data = yamlio.load_one(text, ".sops.yaml") or {}
    except InputError as exc:
        return SopsConfig(directory, [], str(exc).split(": ", 1)[-1])
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
                return SopsConfig(directory, [], "creation rule has an invalid path_regex")
        rules.append(CreationRule(regex, EncryptionRules.from_mapping(item)))
    return SopsConfig(directory, rules)


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
                    self._cache[directory] = parse_config(text, directory)
                    break
        return self._cache[directory]
