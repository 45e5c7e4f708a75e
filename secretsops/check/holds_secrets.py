"""Does a file hold secrets? What a ``.sops.yaml`` creation rule's coverage applies to.

A creation rule that matches a file says which keys encrypt it if it must be encrypted; it
does not make every file under a broad ``path_regex`` (``.*``) a secret. ``sops-unencrypted``
is reported only for covered files that hold something secret:

- key material or a provider token (PEM private keys, age identities, AWS/Vault/GitHub/GitLab);
- a Kubernetes Secret with a value ``check`` would call exposed (not a placeholder, not a
  plain user/host/port name, not public material);
- an env file with a real value (not empty, not a placeholder);
- configuration (YAML, JSON, INI, TOML, properties, ...) with a secret-like key
  (``password``, ``apiKey``, ``client_secret``) holding a real value;
- another text file whose *name* says secret (``db-password``, ``token.txt``) and is not empty.

Certificates, public keys, age recipients and documentation are never secrets.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from secretsops.check.detectors.secrets import (
    decode_data_value,
    is_exposed_value,
    is_public_material,
    iter_k8s_objects,
)
from secretsops.check.detectors.sops_files import _dotenv_items, is_dotenv_name
from secretsops.check.detectors.tokens import find_key_material
from secretsops.check.keynames import is_secret_key_name, words
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc, iter_leaves

DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".html", ".htm", ".org")
#: binary files that are key stores: a creation rule covering one means it must be encrypted
KEYSTORE_SUFFIXES = (".p12", ".pfx", ".jks", ".jceks", ".keystore", ".bks", ".kdbx")
#: ``name = value`` / ``name: value`` / ``name=value`` in INI, TOML, properties, conf files
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+)?["']?([A-Za-z_][\w.\-]*)["']?\s*[:=]\s*["']?([^"'#;\s][^"'#;]*)"""
)


_KEY_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "dsn")
_SECRET_KIND = re.compile(r"""kind["']?\s*:\s*["']?secret\b""")
#: ``key: value`` anywhere (``a: {password: x}``, ``"token": "x"``); the value may be a block marker
_KEY_VALUE = re.compile(
    r"""["']?([A-Za-z_][\w.\-]*)["']?[ \t]*:[ \t]*"""  # a key, on the same line as
    r"""["']?([^\s"',{}\[\]#][^"',{}\[\]#\n]*)"""  # its value
)


_NOT_SECRETS = frozenset({"SealedSecret", "ExternalSecret", "ClusterExternalSecret", "PushSecret"})
#: a Kubernetes object or data-key name: lowercase words joined by - . _
_RESOURCE_NAME = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$")


def is_keystore_name(path: str) -> bool:
    return path.lower().endswith(KEYSTORE_SUFFIXES)


def holds_secrets(file: ScanFile) -> bool:
    """Whether ``file`` (not SOPS-encrypted) holds anything secret (see the module docstring)."""
    text = file.text
    if not text.strip() or is_public_material(text):
        return False
    if any(True for _ in find_key_material(text)):
        return True
    name = file.name
    if is_dotenv_name(name):
        return any(v and not is_enc(v) and not is_placeholder(v) for _k, v, _l, _s in _dotenv_items(text))
    if name.lower().endswith(DOC_SUFFIXES):
        return False
    if file.is_structured:
        if not file.parsed and not _could_hold_secrets(file.text, file.lower):
            return False  # no Secret and no secret-like key with a value: not worth a parse
        docs = file.parse()
        if file.parsed_ok:
            return any(_doc_holds_secrets(doc) for doc in docs)
    # a secret-like name contains one of these words: no need to try the regex on every line otherwise
    if any(word in file.lower for word in _KEY_WORDS) and _assignments_hold_secrets(text):
        return True
    stem = posixpath.splitext(name)[0]
    return not file.is_structured and is_secret_key_name(stem)


def _could_hold_secrets(text: str, lower: str) -> bool:
    """A cheap superset of ``_doc_holds_secrets`` on the raw YAML/JSON text: a Secret, or a
    secret-like key (block style, flow style or JSON) followed by a value."""
    if _SECRET_KIND.search(lower):
        return True
    return any(
        _hinted(m.group(1)) and is_secret_key_name(m.group(1)) and _real(m.group(2).strip())
        for m in _KEY_VALUE.finditer(text)
    )


def _hinted(key: str) -> bool:
    """A cheap necessary condition for ``is_secret_key_name``."""
    low = key.lower()
    return any(word in low for word in _KEY_WORDS)


def _doc_holds_secrets(doc: Any) -> bool:
    for obj in iter_k8s_objects(doc):
        if obj.get("kind") in _NOT_SECRETS:
            continue  # ciphertext (SealedSecret) or references (ESO): protected by design
        if obj.get("kind") == "Secret":
            for field_name in ("data", "stringData"):
                values = obj.get(field_name)
                if isinstance(values, dict) and any(
                    _secret_value(str(k), v, field_name == "data") for k, v in values.items()
                ):
                    return True
            continue
        for leaf in iter_leaves(obj):
            value = leaf.value
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                continue
            key = leaf.key
            if isinstance(key, str) and is_secret_key_name(key) and _real(str(value)):
                if not _names_a_secret(key, str(value)):
                    return True
    return False


def _secret_value(key: str, value: Any, encoded: bool) -> bool:
    if value is None or is_enc(value):
        return False
    text = value if isinstance(value, str) else str(value)
    if encoded and isinstance(value, str):
        raw = decode_data_value(value)
        if raw is not None:
            text = raw.decode("utf-8", "replace")
    return is_exposed_value(key, text)


def _names_a_secret(key: str, value: str) -> bool:
    """``existingSecret: db-credentials``, ``adminPasswordKey: admin-password``, ESO's
    ``secretKey: password``: the value names a Secret or a key in one, it is not the secret."""
    parts = words(key)
    refers = parts[0] in ("existing", "external") or (
        len(parts) > 1 and parts[-1] == "key" and parts[-2] in ("password", "secret", "token", "credentials")
    )
    return refers and bool(_RESOURCE_NAME.match(value))


def _real(value: str) -> bool:
    return (
        bool(value.strip())
        and not is_enc(value)
        and not is_placeholder(value)
        and not is_public_material(value)
    )


def _assignments_hold_secrets(text: str) -> bool:
    for line in text.splitlines():
        m = _ASSIGNMENT.match(line)
        if m and is_secret_key_name(m.group(1).rsplit(".", 1)[-1]) and _real(m.group(2).strip()):
            return True
    return False
