"""ESO-compatible external references: resolve ExternalSecrets from Vault/OpenBao and AWS.

Public API (imported lazily so importing one module stays light):

* ``Resolver(lookup, settings, cache, count).resolve(obj) -> list[obj]`` — one ExternalSecret
  to the Secret ESO would write (``prefetch([...])`` first to batch a whole pass);
* ``ObjectLookup(objects, kube)`` — where stores and auth Secrets are found (``kube``: the gateway);
* ``ProviderSettings(env=..., timeout=..., retries=...)`` — injected credentials and bounds;
* ``ExternalCache`` (kept in ``DecryptContext.cache.external``) — connections and logins across
  passes, ``begin_pass()`` forgets provider answers;
* ``refresh_due(es, last_resolved_at, now)``, ``next_refresh_at(objects, last)``,
  ``parse_duration(text)``, ``refresh_interval(es)``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Resolver": "secretsops.external.resolve",
    "ExternalCache": "secretsops.external.resolve",
    "object_hash_of_data": "secretsops.external.resolve",
    "ObjectLookup": "secretsops.external.lookup",
    "ProviderSettings": "secretsops.external.providers.base",
    "ExternalSecret": "secretsops.external.resources",
    "Store": "secretsops.external.resources",
    "refresh_due": "secretsops.external.refresh",
    "refresh_interval": "secretsops.external.refresh",
    "next_refresh_at": "secretsops.external.refresh",
    "parse_duration": "secretsops.external.refresh",
}

__all__ = [
    "ExternalCache",
    "ExternalSecret",
    "ObjectLookup",
    "ProviderSettings",
    "Resolver",
    "Store",
    "object_hash_of_data",
    "parse_duration",
    "refresh_due",
    "refresh_interval",
    "next_refresh_at",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(module), name)
