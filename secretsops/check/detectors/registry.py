"""Container registry credentials outside a Secret: a docker/podman ``config.json`` (or an
``auth.json``, a Helm values block) with ``auths.<registry>.auth``/``password``/``identitytoken``.

A ``kubernetes.io/dockerconfigjson`` Secret is judged by the Secret detector; a config that
names only a credential helper (``credsStore``/``credHelpers``) holds nothing and passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc
from secretsops.check.yamllines import line_of

_FIELDS = ("auth", "password", "identitytoken", "registrytoken")


def _auths(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every ``auths`` mapping in a document (a values file may nest it), never inside a Secret."""
    if depth > 8 or not isinstance(node, dict) or node.get("kind") == "Secret" or "sops" in node:
        return
    for key, value in node.items():
        if key == "auths" and isinstance(value, dict):
            yield value
        elif isinstance(value, dict):
            yield from _auths(value, depth + 1)


class RegistryCredentials:
    def scan(self, file: ScanFile) -> None:
        if '"auths"' not in file.text and "auths:" not in file.text:
            return
        for doc in file.docs:
            for auths in _auths(doc):
                for registry, entry in auths.items():
                    if not isinstance(entry, dict):
                        continue
                    for name in _FIELDS:
                        value = entry.get(name)
                        if not isinstance(value, str) or not value or is_enc(value) or is_placeholder(value):
                            continue
                        key = f"auths[{registry}].{name}"
                        file.report("registry-credentials", line_of(entry, name), key, value)
