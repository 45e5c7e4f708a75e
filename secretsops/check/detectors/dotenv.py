"""``.env`` files with credential-shaped values in plaintext (not SOPS dotenv files: those
are judged by the sops detector)."""

from __future__ import annotations

import re

from secretsops.check.detectors.sops_files import _dotenv_items, is_dotenv_name
from secretsops.check.keynames import is_secret_key_name
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc

#: scheme://user:password@host — a credential whatever the key is called
URL_WITH_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@")


class DotenvCredentials:
    def scan(self, file: ScanFile) -> None:
        if not is_dotenv_name(file.name):
            return
        items = _dotenv_items(file.text)
        if any(k.startswith("sops_") for k, _v, _l, _s in items):
            return
        for key, raw, line, _section in items:
            value = _without_inline_comment(raw)
            if not value or is_enc(value) or is_placeholder(value):
                continue
            url = URL_WITH_PASSWORD.match(value)
            if url and not is_placeholder(url.group(1)):
                file.report("dotenv-credential", line, key, value)
            elif is_secret_key_name(key):
                file.report("dotenv-credential", line, key, value)


def _without_inline_comment(value: str) -> str:
    """``KEY=value # note`` -> ``value`` (quoted values were already unquoted whole)."""
    if value.startswith("#"):
        return ""
    head, sep, _tail = value.partition(" #")
    return head.strip() if sep else value
