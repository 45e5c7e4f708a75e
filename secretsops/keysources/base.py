"""The key-source seam: a master key wraps and unwraps the 32-byte SOPS data key.

A key source is a ``MasterKey`` subclass registered under the entry-point group
``secretsops.keysources``; the entry-point name is the key in the file's ``sops:`` block
(``age``, ``kms``, ``hc_vault``, ``pgp``). The class's declarations are all secretsops needs to
offer it everywhere (``keysources.registry``): CLI flags, ``.sops.yaml`` keys, metadata,
``check`` and the engine's decryption Secret. Credentials never come from ``os.environ`` in the
middle of an operation: the edge (CLI, engine start-up) builds a ``KeyContext`` once and
passes it down.
"""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

from secretsops.errors import InputError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)

if TYPE_CHECKING:
    from os import PathLike
    from typing import Any, ClassVar

#: Environment variables a key source may read from ``KeyContext.env``.
CREDENTIAL_ENV_PREFIXES = ("SOPS_", "AWS_", "VAULT_", "BAO_", "GNUPGHOME", "HOME", "XDG_CONFIG_HOME", "PATH")


@dataclass(repr=False, eq=False)  # holds credentials: no repr to leak them
class KeyContext:
    """Credentials and per-process clients for key sources.

    ``env`` is a snapshot of the credential variables taken at the edge (or built from a
    Flux-style decryption Secret by the engine). ``clients`` caches one service client per
    endpoint so a bulk run makes one connection per key service, not one per file.
    """

    env: Mapping[str, str] = field(default_factory=dict)
    keys_dir: str | PathLike[str] | None = None
    clients: dict[Any, Any] = field(default_factory=dict)
    #: counts of wrap/unwrap calls by key-source kind (metrics and the one-call-per-file tests)
    calls: dict[str, int] = field(default_factory=dict)
    #: how this caller's user supplies a missing key, for "no key found" errors (empty: the
    #: sops environment variables and key files; the engine names its decryption Secret)
    missing_key_help: str = ""

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], keys_dir: str | PathLike[str] | None = None
    ) -> KeyContext:
        env = {k: v for k, v in environ.items() if k.startswith(CREDENTIAL_ENV_PREFIXES)}
        return cls(env=env, keys_dir=keys_dir)

    def count(self, kind: str) -> None:
        self.calls[kind] = self.calls.get(kind, 0) + 1


def now_rfc3339() -> str:
    """A stanza's ``created_at`` as sops writes it (UTC, seconds)."""
    from datetime import UTC, datetime  # lazy: the CLI reads key-source classes on every start

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def created_at_text(value: Any) -> str:
    """A stanza's ``created_at`` read back as text, also when a YAML loader made it a datetime."""
    if value is None or isinstance(value, str):
        return value or ""
    strftime = getattr(value, "strftime", None)
    return str(strftime("%Y-%m-%dT%H:%M:%SZ")) if strftime is not None else str(value)


class DecryptionSecret:
    """A Flux-style decryption Secret's ``data`` (base64 values), decoded only on demand.

    Key sources read their own entries from it (``MasterKey.env_from_decryption_secret``);
    an error names the entry and the Secret, never the value. (A plain class: this module is on
    every command's start-up path, and creating a dataclass costs more than a decrypt spends
    in the registries.)
    """

    __slots__ = ("data", "where")

    def __init__(self, data: Mapping[str, Any], where: str = "") -> None:
        self.data = data
        self.where = where

    def names(self) -> list[str]:
        return sorted(str(k) for k in self.data)

    def text(self, name: str) -> str:
        try:
            return base64.b64decode(str(self.data[name])).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            prefix = f"{self.where}: " if self.where else ""
            raise InputError(f"{prefix}key {name!r} is not base64-encoded UTF-8") from None


class MasterKey(ABC):
    """One recipient of the data key, as stored in the ``sops:`` metadata block."""

    #: key in the ``sops:`` block and the entry-point name
    kind: ClassVar[str]
    #: sops CLI flag without dashes (``age``, ``kms``, ``hc-vault-transit``, ``pgp``)
    cli_flag: ClassVar[str]
    #: key in a .sops.yaml creation rule (``age``, ``kms``, ``hc_vault_transit_uri``, ``pgp``)
    rule_key: ClassVar[str]
    #: key inside a ``key_groups`` entry (``age``, ``kms``, ``hc_vault``, ``pgp``)
    group_key: ClassVar[str]
    #: environment variable sops reads recipients from when the flag is absent (``SOPS_AGE_RECIPIENTS``)
    recipients_env: ClassVar[str] = ""
    #: other names ``--decryption-order`` accepts for this kind
    order_aliases: ClassVar[tuple[str, ...]] = ()
    #: lower first when decrypting: local keys (age, pgp) before network services
    priority: ClassVar[int] = 50

    enc: str = ""
    created_at: str = ""

    @property
    @abstractmethod
    def identifier(self) -> str:
        """Human-readable name of the key (recipient, ARN, URI, fingerprint); never secret."""

    @abstractmethod
    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        """Encrypt ``data_key`` for this recipient and store the result in ``self.enc``."""

    @abstractmethod
    def unwrap(self, ctx: KeyContext) -> bytes:
        """Return the data key from ``self.enc``; raise ``KeySourceError`` saying why not."""

    @abstractmethod
    def to_metadata(self) -> dict[str, Any]:
        """The stanza as sops writes it (key order matters for byte-compatibility)."""

    @classmethod
    @abstractmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        """Read a stanza as any sops version wrote it."""

    @classmethod
    @abstractmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        """Parse a comma-separated flag value (``options`` carries e.g. encryption context)."""

    @classmethod
    @abstractmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        """Parse a creation-rule or key-group value (string, comma list or list of mappings).

        ``options`` carries what a flat rule and the command line add (``aws_profile``,
        ``encryption_context``); it is empty inside ``key_groups``.
        """

    @classmethod
    def env_from_decryption_secret(cls, secret: DecryptionSecret) -> dict[str, str]:
        """The variables this source reads (``KeyContext.env``) from a Flux decryption Secret's
        entries (``*.agekey``, ``sops.vault-token``, ...); none by default."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identifier!r})"
