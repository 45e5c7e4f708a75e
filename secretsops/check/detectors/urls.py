"""URLs that carry a password: ``postgres://app:PASSWORD@db``, ``https://user:TOKEN@git.host``.

A credential whatever key or file holds it (values files, application.yml, .git-credentials,
docker-compose files), except documentation (examples are written that way on purpose) and
``.env`` files (their own detector reports the same line). A line an exact rule already
reported (a Secret's stringData) is told once, by that rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretsops.check.detectors.sops_files import is_dotenv_name
from secretsops.check.detectors.tokens import key_on_line
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc

#: after ``scheme://``: user ``:`` password ``@`` host; the password stops at '@', '/', a quote or space
_USERINFO = re.compile(r"([^\s/:@\"'<>`]*):([^\s/@\"'<>`]+)@[A-Za-z0-9\[]")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_MAX_SCHEME = 32


def urls_with_password(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, URL up to the host, password) of every ``scheme://user:password@host``.

    Found from each ``://`` (a regex tried at every letter of a file is 10x slower on code)."""
    at = text.find("://")
    while at != -1:
        m = _USERINFO.match(text, at + 3)
        if m:
            start = at
            while start > 0 and at - start < _MAX_SCHEME and text[start - 1] in _SCHEME_CHARS:
                start -= 1
            if start < at and text[start].isascii() and text[start].isalpha():
                if start == 0 or text[start - 1] not in _SCHEME_CHARS:
                    yield start, text[start : m.end() - 1], m.group(2)
        at = text.find("://", at + 3)


_TEMPLATED = ("$", "{", "%")
#: ``user:password@host`` spells out the syntax (docstrings, help texts), it does not use it
_SYNTAX = frozenset({"password", "passwd", "pass", "pwd", "pw", "secret", "token"})
_DOCS = (".md", ".markdown", ".rst", ".adoc", ".txt", ".html", ".htm")


class UrlCredentials:
    def scan(self, file: ScanFile) -> None:
        text = file.text
        if "://" not in text or "@" not in text:
            return
        name = file.name.lower()
        if name.endswith(_DOCS) or is_dotenv_name(file.name):
            return
        for offset, url, password in urls_with_password(text):
            if len(password) < 3 or password.lower() in _SYNTAX or password.startswith(_TEMPLATED):
                continue  # templated (${VAR}, {{ .Values.x }}, {pw} in an f-string, %(pw)s) or syntax
            if is_placeholder(password) or is_enc(password):
                continue
            line_no = file.line_at(offset)
            start = text.rfind("\n", 0, offset) + 1
            file.report("url-credential", line_no, key_on_line(text[start:offset]), url)
