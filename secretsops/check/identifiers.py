"""Values in a Secret that name who or where, not a credential: ``username: app``, ``host: db``.

A Secret often carries its connection details next to the password (``username``, ``host``,
``port``, ``database``). Reporting them teaches people to ignore the gate, so a value is a plain
identifier when its key's last word says so *and* the value has the shape of one: a port number,
a lowercase host name or IPv4 address, a short user or database name. A long or random-looking
value under such a key is still reported; ``check --strict`` reports every value.
"""

from __future__ import annotations

import re

from secretsops.check.keynames import words

_PORT = re.compile(r"^\d{1,5}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$"
)
_IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$")
#: a short name: lowercase with separators (``app_user``, ``svc-reports``, ``app@example.com``),
#: or letters with a small number (``Admin``, ``appUser2``)
_NAME = re.compile(r"^(?:[a-z0-9][a-z0-9_.@+-]{0,31}|[A-Za-z][A-Za-z_.-]{0,27}[0-9]{0,4})$")
_USER = frozenset({"user", "username", "login", "owner"})
_HOSTS = frozenset({"host", "hostname"})
_DATABASES = frozenset({"database", "db", "dbname", "schema"})
_SECRET_WORDS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "key", "credential"})


def is_plain_identifier(key: str, value: str) -> bool:
    """True when ``value`` under ``key`` is a user/host/port/database name, not a credential."""
    parts = words(key)
    if not parts or any(p in _SECRET_WORDS for p in parts):
        return False
    last = parts[-1]
    if last == "name" and len(parts) > 1:  # db_name, user-name, hostName
        last = parts[-2] if parts[-2] in _USER | _HOSTS | _DATABASES else last
    v = value.strip()
    if last == "port":
        return bool(_PORT.match(v))
    if last in _HOSTS or last == "server":
        return bool(_HOST.match(v) or _IPV4.match(v))
    if last in _USER or last in _DATABASES:
        return bool(_NAME.match(v))
    return False
