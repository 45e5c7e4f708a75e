"""kubeconfigs with inline credentials: ``token``, ``password``, ``client-key-data`` and
auth-provider id/refresh tokens. ``client-key`` (a path) and exec plugins pass."""

from __future__ import annotations

from typing import Any

from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc
from secretsops.check.yamllines import line_of

_USER_FIELDS = ("token", "password", "client-key-data")
_PROVIDER_FIELDS = ("id-token", "refresh-token", "client-secret", "access-token")


def _looks_like_kubeconfig(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("users"), list)
        and (doc.get("kind") == "Config" or "clusters" in doc or "contexts" in doc)
    )


class KubeconfigCredentials:
    def scan(self, file: ScanFile) -> None:
        if "users" not in file.text:
            return
        # any file name (``kubeconfig``, ``admin.conf``), YAML or JSON, with or without clusters
        looks_yaml = "clusters" in file.text or "contexts" in file.text or "Config" in file.text
        docs = file.parse() if file.is_structured or looks_yaml else []
        for doc in docs:
            if not _looks_like_kubeconfig(doc):
                continue
            for entry in doc["users"]:
                user = entry.get("user") if isinstance(entry, dict) else None
                if not isinstance(user, dict):
                    continue
                who = str(entry.get("name") or "")
                self._fields(file, user, _USER_FIELDS, who)
                provider = user.get("auth-provider")
                config = provider.get("config") if isinstance(provider, dict) else None
                if isinstance(config, dict):
                    self._fields(file, config, _PROVIDER_FIELDS, who)

    def _fields(self, file: ScanFile, mapping: dict[str, Any], fields: tuple[str, ...], who: str) -> None:
        for name in fields:
            value = mapping.get(name)
            if isinstance(value, str) and not is_enc(value) and not is_placeholder(value):
                file.report("kubeconfig-credentials", line_of(mapping, name), f"users[{who}].{name}", value)
