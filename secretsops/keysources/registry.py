"""The one registry of key sources: every consumer asks it, nobody lists key kinds by hand.

A key source is a ``MasterKey`` subclass registered under the entry-point group
``secretsops.keysources``, named by its ``kind``. The CLI flags (``cli_flag``,
``recipients_env``), ``.sops.yaml`` creation-rule keys (``rule_key``) and key-group keys
(``group_key``), the ``sops:`` metadata kinds, ``check``'s notion of "a key that wraps the data
key", and the Flux decryption-Secret entries (``env_from_decryption_secret``) all come from
the classes found here, so a plugin distribution adds a key source without a change to
secretsops.

Classes are imported only when first asked for: decrypting an age file imports the age key
source and nothing else. ``keysources()`` builds the registry once per process, on first use.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from secretsops import entrypoints
from secretsops.errors import UsageError
from secretsops.keysources.base import MasterKey

GROUP = "secretsops.keysources"


class KeySourceRegistry:
    """Key-source classes by kind, loaded lazily from their entry points.

    A plain class, not a dataclass: it is built on every start, and creating a dataclass costs
    more than everything this registry does for a decrypt.
    """

    def __init__(self, entry_points: list[entrypoints.EntryPoint]) -> None:
        self.entry_points = entry_points
        self._loaded: dict[str, type[MasterKey] | None] = {}
        self._all: list[type[MasterKey]] | None = None

    @classmethod
    def from_entry_points(cls, found: Iterable[entrypoints.EntryPoint] | None = None) -> KeySourceRegistry:
        return cls(entrypoints.group(GROUP, found))

    def kinds(self) -> list[str]:
        """Every registered kind, without importing any key source."""
        return [ep.name for ep in self.entry_points]

    def get(self, kind: str) -> type[MasterKey] | None:
        """The class for a ``sops:`` metadata kind; None when none is installed or it fails to import
        (its stanzas are then kept verbatim, never used)."""
        if kind not in self._loaded:
            ep = next((e for e in self.entry_points if e.name == kind), None)
            self._loaded[kind] = _load(ep) if ep is not None else None
        return self._loaded[kind]

    def classes(self) -> list[type[MasterKey]]:
        """Every installed key source, in decryption order (``priority``, then kind).

        Two key sources claiming the same flag, rule key or group key fail closed: a
        ``.sops.yaml`` or a command line must never be read two ways.
        """
        if self._all is None:
            found = [c for c in (self.get(k) for k in self.kinds()) if c is not None]
            found.sort(key=lambda c: (c.priority, c.kind))
            for attr in ("cli_flag", "rule_key", "group_key", "recipients_env"):
                _unique(found, attr)
            self._all = found
        return list(self._all)

    def by_cli_flag(self) -> dict[str, type[MasterKey]]:
        """``--<flag>`` name (without dashes) → class, for every key source that has a flag."""
        return {c.cli_flag: c for c in self.classes() if c.cli_flag}

    def by_rule_key(self) -> dict[str, type[MasterKey]]:
        """Flat creation-rule key (``age``, ``hc_vault_transit_uri``, ...) → class."""
        return {c.rule_key: c for c in self.classes() if c.rule_key}

    def by_group_key(self) -> dict[str, type[MasterKey]]:
        """Key inside a ``key_groups`` entry (``age``, ``hc_vault``, ...) → class."""
        return {c.group_key: c for c in self.classes() if c.group_key}

    def kind_for_order_name(self, name: str) -> str:
        """A ``--decryption-order`` entry (a kind or one of its ``order_aliases``) → kind."""
        for c in self.classes():
            if name == c.kind or name in c.order_aliases:
                return c.kind
        return name


def _load(ep: entrypoints.EntryPoint) -> type[MasterKey] | None:
    try:
        cls = ep.load()
    except (ImportError, AttributeError):
        return None
    if not (isinstance(cls, type) and issubclass(cls, MasterKey)):
        raise UsageError(f"key source {ep.name!r} from {ep.distribution} is not a MasterKey class")
    if cls.kind != ep.name:
        raise UsageError(
            f"key source {ep.name!r} from {ep.distribution} declares kind {cls.kind!r}: "
            "the entry-point name must be the kind"
        )
    return cls


def _unique(classes: list[type[MasterKey]], attr: str) -> None:
    seen: dict[str, str] = {}
    for c in classes:
        value = str(getattr(c, attr))
        if value and value in seen:
            raise UsageError(f"key sources {seen[value]!r} and {c.kind!r} both use {attr} {value!r}")
        seen[value] = c.kind


@cache
def keysources() -> KeySourceRegistry:
    """This process's key sources (the installed entry points), built on first use."""
    return KeySourceRegistry.from_entry_points()

