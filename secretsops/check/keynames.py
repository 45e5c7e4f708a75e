"""Is this key name one that holds a credential? Shared by the .env and entropy detectors.

A name is split into words (``DB_PASSWORD``, ``apiKey``, ``client-secret``); it is secret-like
when one word is a credential word, unless the last word says it is *about* a credential
(``PASSWORD_FILE``, ``TOKEN_URL``, ``secretName``, ``SECRET_REF``).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "passphrase", "secret", "token", "apikey", "credential",
        "credentials", "dsn",
    }
)  # fmt: skip
#: substrings one of which every secret-like name contains: detectors test the lowercased text
#: for them (``in``, 10x a regex) before parsing or matching anything
HINT_WORDS = ("pass", "secret", "token", "key", "credential", "pwd", "dsn")
_KEY_QUALIFIERS = frozenset(
    {"api", "secret", "private", "access", "encryption", "signing", "master", "client"}
)
_ABOUT = frozenset(
    {
        "file", "path", "name", "url", "uri", "ref", "key_ref", "id", "length", "len", "ttl", "expiry",
        "expires", "type", "header", "endpoint", "policy", "field", "env", "var", "dir", "template",
        "format", "mode", "hash_algorithm", "name_prefix", "version", "min", "max", "rotation", "enabled",
        "arn", "selector", "source", "uuid", "guid",
    }
)  # fmt: skip


def words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


def is_secret_key_name(name: str) -> bool:
    parts = words(name)
    if not parts or parts[-1] in _ABOUT:
        return False
    for i, word in enumerate(parts):
        if word in _SECRET_WORDS:
            return True
        if word == "key" and i > 0 and parts[i - 1] in _KEY_QUALIFIERS:
            return True
    return False


def names_a_credential(name: str) -> bool:
    """Stricter than :func:`is_secret_key_name`: the *last* word is the credential (``DB_PASSWORD``,
    ``apiKey``, ``CLIENT_SECRET``), so ``TOKEN_AUDIENCE`` or ``SECRET_BACKEND`` do not count. For
    rules that report a value whatever its entropy."""
    parts = words(name)
    if not parts:
        return False
    last = parts[-1]
    if last in _SECRET_WORDS:
        return True
    return last == "key" and len(parts) > 1 and parts[-2] in _KEY_QUALIFIERS
