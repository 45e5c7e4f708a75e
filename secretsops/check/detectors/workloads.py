"""Credentials set in plaintext on Kubernetes objects that are not Secrets: a ConfigMap ``data``
value or a container's ``env`` ``value`` under a name that ends in a credential (``DB_PASSWORD``,
``apiKey``, ``CLIENT_SECRET``; not ``TOKEN_AUDIENCE``). ConfigMaps are readable by anyone who
can read the namespace's configuration and env values are printed by ``kubectl describe``: unlike
the entropy rule, a word-like password (``Summer2024-prod``) is reported here too.

What passes: references (``valueFrom``, ``$(VAR)``, ``${VAR}``, ``{{ }}``), placeholders,
values shorter than 4 characters, numbers and booleans (``PASSWORD_MIN_LENGTH: "8"``,
``TOKEN_AUTH: "true"``), paths and URLs without a password, references to external stores
(``vault:…``, ``arn:…``, ``ref+…``), names that are *about* a credential (``PASSWORD_FILE``,
``TOKEN_URL``, ``SECRET_NAME``), SOPS ciphertext, and public certificates/keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from secretsops.check.detectors.secrets import is_public_material, iter_k8s_objects
from secretsops.check.keynames import HINT_WORDS, names_a_credential
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc
from secretsops.check.yamllines import line_of

#: a value that is a setting, not a credential: a number, a boolean, a path, a plain URL
_SETTING = re.compile(
    r"^(?:-?\d+(?:\.\d+)?[a-zA-Z]{0,2}|true|false|yes|no|on|off|enabled|disabled|none|/[^\s]*|"
    r"[a-z][a-z0-9+.-]*://[^\s@]*)$",
    re.IGNORECASE,
)
#: a pointer into a secret store (bank-vaults, vals, AWS, ESO-style), resolved elsewhere
_STORE_REFERENCE = re.compile(
    r"^(?:vault:|ref\+|arn:aws:|secretsmanager:|ssm:|awssm:|gcpsm:|azkv:|sm://|op://|akv:|projects/)"
)
_MAX_DEPTH = 12
#: an env item's literal ``value:`` (YAML block or flow style, JSON), not ``valueFrom``
_VALUE_KEY = re.compile(r"""(?:^|[\s{,])["']?value["']?\s*:""", re.MULTILINE)
#: shorter is a flag or a marker (``x``, ``-``), not a credential anyone could use
MIN_LENGTH = 4


def is_plaintext_credential(name: str, value: Any) -> bool:
    if not isinstance(value, str) or not names_a_credential(name):
        return False
    v = value.strip()
    if len(v) < MIN_LENGTH or "\n" in v or is_enc(v) or is_placeholder(v) or is_public_material(v):
        return False
    return not (_SETTING.match(v) or _STORE_REFERENCE.match(v))


def _env_lists(node: Any, depth: int = 0) -> Iterator[list[Any]]:
    """Every container ``env`` list in a workload (Pods, templates, CronJob job templates, CRDs)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                yield value
            elif isinstance(value, (dict, list)):
                yield from _env_lists(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                yield from _env_lists(item, depth + 1)


class PlaintextCredentials:
    def scan(self, file: ScanFile) -> None:
        # cheap tests first: most manifests hold no credential-like word, or no literal `value:`
        # (an env list of valueFrom references), and are then not parsed for this rule
        text = file.text
        if not file.is_structured or not any(word in file.lower for word in HINT_WORDS):
            return
        if "ConfigMap" not in text and not _VALUE_KEY.search(text):
            return
        for doc in file.docs:
            if isinstance(doc, dict) and "sops" in doc:
                continue
            for obj in iter_k8s_objects(doc):
                if not isinstance(obj.get("apiVersion"), str) or obj.get("kind") in ("Secret", None):
                    continue  # only Kubernetes objects; Secrets have their own rule
                if obj.get("kind") == "ConfigMap" and obj.get("apiVersion") == "v1":
                    self._configmap(file, obj)
                else:
                    self._env(file, obj)

    def _configmap(self, file: ScanFile, obj: dict[str, Any]) -> None:
        data = obj.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                if is_plaintext_credential(str(key), value):
                    file.report("k8s-plaintext-credential", line_of(data, key), f"data.{key}", value)

    def _env(self, file: ScanFile, obj: dict[str, Any]) -> None:
        for env in _env_lists(obj.get("spec")):
            for item in env:
                if not isinstance(item, dict) or "valueFrom" in item:
                    continue
                name, value = str(item.get("name") or ""), item.get("value")
                if is_plaintext_credential(name, value):
                    file.report("k8s-plaintext-credential", line_of(item, "value"), f"env.{name}", str(value))
