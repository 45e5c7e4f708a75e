"""Which provider class serves a store: built-ins plus ``secretsops.external.providers`` entry points.

An entry point's name is the provider key in ``spec.provider`` (for AWS: ``aws.<service>``), so a
third party adds e.g. ``gcpsm`` by shipping a package; nothing here changes.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from secretsops.errors import InputError
from secretsops.external.providers.aws_sm import SecretsManagerProvider
from secretsops.external.providers.aws_ssm import ParameterStoreProvider
from secretsops.external.providers.base import Provider
from secretsops.external.providers.vault import OpenBaoProvider, VaultProvider
from secretsops.external.resources import Store

GROUP = "secretsops.external.providers"

BUILTIN: dict[str, type[Provider]] = {
    "vault": VaultProvider,
    "openBao": OpenBaoProvider,
    "openbao": OpenBaoProvider,
    "aws.SecretsManager": SecretsManagerProvider,
    "aws.ParameterStore": ParameterStoreProvider,
}


def provider_name(store: Store) -> str:
    if store.provider_key == "aws":
        service = str(store.provider.get("service") or "")
        if not service:
            raise InputError(
                f"{store}: spec.provider.aws.service is required (SecretsManager or ParameterStore)"
            )
        return f"aws.{service}"
    return store.provider_key


def provider_class(store: Store) -> type[Provider]:
    name = provider_name(store)
    found = BUILTIN.get(name)
    if found is not None:
        return found
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls: type[Provider] = ep.load()
            return cls
    raise InputError(f"{store}: provider {name!r} is not supported")
