"""``.env`` files with credential-shaped values in plaintext (not SOPS dotenv files: those
are judged by the sops detector)."""

from __future__ import annotations

from secretsops.check.detectors.sops_files import _dotenv_items, is_dotenv_name
from secretsops.check.detectors.urls import urls_with_password
from secretsops.check.keynames import is_secret_key_name
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc


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
            # scheme://user:password@host is a credential whatever the key is called
            url = next(urls_with_password(value), None)
            if url and url[0] == 0 and not is_placeholder(url[2]):
                file.report("dotenv-credential", line, key, value)
            elif is_secret_key_name(key):
                file.report("dotenv-credential", line, key, value)


def _without_inline_comment(value: str) -> str:
    """``KEY=value # note`` -> ``value`` (quoted values were already unquoted whole)."""
    if value.startswith("#"):
        return ""
    head, sep, _tail = value.partition(" #")
    return head.strip() if sep else value
