"""URLs that carry a password: ``postgres://app:PASSWORD@db``, ``https://user:TOKEN@git.host``.

A credential whatever key or file holds it (values files, application.yml, .git-credentials,
docker-compose files), except documentation (examples are written that way on purpose) and
``.env`` files (their own detector reports the same line). A line an exact rule already
reported (a Secret's stringData) is told once, by that rule.
"""

from __future__ import annotations

import re

from secretsops.check.detectors.sops_files import is_dotenv_name
from secretsops.check.detectors.tokens import key_on_line
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc

#: scheme://user:password@host; the password stops at the first '@', '/', quote or space
URL_WITH_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}://([^\s/:@\"'<>`]*):([^\s/@\"'<>`]+)@[A-Za-z0-9\[]"
)
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
        for m in URL_WITH_PASSWORD.finditer(text):
            password = m.group(2)
            if len(password) < 3 or password.lower() in _SYNTAX or password.startswith(_TEMPLATED):
                continue  # templated (${VAR}, {{ .Values.x }}, {pw} in an f-string, %(pw)s) or syntax
            if is_placeholder(password) or is_enc(password):
                continue
            line_no = text.count("\n", 0, m.start()) + 1
            start = text.rfind("\n", 0, m.start()) + 1
            file.report("url-credential", line_no, key_on_line(text[start : m.start()]), m.group(0)[:-1])
