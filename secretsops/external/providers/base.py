"""The provider seam: one interface for every secret backend a store can name.

A provider answers ESO's three questions (``GetSecret``, ``GetSecretMap``, ``GetAllSecrets``)
for one store as seen from one namespace. Instances live for one resolve pass, so every answer
is memoised per pass (one request per distinct remote key); connections, clients and login
tokens live in ``connections``, which the caller keeps across passes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from secretsops.errors import ExternalError
from secretsops.external.lookup import ObjectLookup, secret_key_ref
from secretsops.external.resources import Find, RemoteRef, Store


class NoSecret(ExternalError):
    """The remote secret does not exist (ESO's NoSecretErr)."""


@dataclass
class ProviderSettings:
    """Injected at the edge: the credential environment snapshot and network bounds."""

    env: Mapping[str, str] = field(default_factory=dict)
    #: seconds for connect and for each read
    timeout: float = 10.0
    #: extra attempts after a connection failure or a temporary server error
    retries: int = 2
    #: base of the exponential backoff between attempts, seconds
    backoff: float = 0.2
    #: the pod's own service-account token (Vault Kubernetes auth without a secretRef, as in ESO)
    service_account_token_path: Path = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
    #: False when resolving for a source that impersonates a ServiceAccount: the engine's own
    #: credentials (its ServiceAccount token, AWS keys or role from its environment) would give
    #: that source the engine's identity at the secret backend (issue 11 row 1)
    engine_credentials_allowed: bool = True

    def own_service_account_token(self, where: str) -> str:
        if not self.engine_credentials_allowed:
            raise ExternalError(
                f"{where}: auth.kubernetes without secretRef or serviceAccountRef would send the"
                " engine's own ServiceAccount token; a source with a serviceAccountName must name"
                " serviceAccountRef"
            )
        try:
            return self.service_account_token_path.read_text(encoding="utf-8").strip()
        except OSError:
            raise ExternalError(
                f"{where}: cannot read Kubernetes service account token from"
                f" {self.service_account_token_path}"
                " (set auth.kubernetes.secretRef or serviceAccountRef outside a cluster)"
            ) from None


@dataclass
class StoreContext:
    store: Store
    es_namespace: str
    lookup: ObjectLookup
    settings: ProviderSettings
    #: survives passes: clients and login tokens, keyed by the provider
    connections: dict[Any, Any]
    count: Callable[[str, int], None]

    def secret_ref(self, ref: Any, where: str, default_key: str = "") -> str:
        return secret_key_ref(
            self.lookup,
            self.store.kind,
            self.es_namespace,
            ref,
            where=f"{self.store}: {where}",
            default_key=default_key,
        )


class Provider(ABC):
    """One backend as seen through one store."""

    #: what the provider is called in error messages and call counters
    name: ClassVar[str]

    def __init__(self, sc: StoreContext) -> None:
        self.sc = sc
        self.store = sc.store
        self.provider = sc.store.provider

    @abstractmethod
    def get_secret(self, ref: RemoteRef) -> bytes:
        """One value (``remoteRef`` of ``data[]``)."""

    @abstractmethod
    def get_secret_map(self, ref: RemoteRef) -> dict[str, bytes]:
        """All key/value pairs of one remote secret (``dataFrom[].extract``)."""

    @abstractmethod
    def get_all_secrets(self, find: Find) -> dict[str, bytes]:
        """Remote secrets matching a name regexp, tags or a path (``dataFrom[].find``)."""

    def prefetch(self, refs: list[RemoteRef]) -> None:  # noqa: B027 - optional hook
        """Fetch many remote keys at once where the API allows (default: nothing to batch)."""
