"""Committed key material and provider tokens, found by their published formats.

Each pattern is anchored on both sides against base64/word characters so random ciphertext
(ENC[...] data, SealedSecret blobs) does not produce matches by chance. The same matcher runs
on decoded Secret ``data`` values, which is how a PEM key base64'd inside a Secret is found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile

_L = r"(?<![A-Za-z0-9+/_\-.])"  # not inside a longer token
_R = r"(?![A-Za-z0-9+/_\-])"

_PATTERNS: list[tuple[str, str]] = [
    ("age-secret-key", r"AGE-SECRET-KEY-(?:PQ-)?1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{50,}"),
    (
        "private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:\\[nr]|\s|[A-Za-z-]+: [^\n\\]*)*[A-Za-z0-9+/=]{32,}",
    ),
    ("aws-access-key", _L + r"(?:AKIA|ASIA)[A-Z0-9]{16}" + _R),
    (
        "aws-access-key",
        r"(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    ),
    ("vault-token", _L + r"hv[sbr]\.[A-Za-z0-9_-]{24,}" + _R),
    (
        "vault-token",
        _L + r"s\.(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{24}" + _R,
    ),
    ("vault-token", _L + r"b\.AAAAAQ[A-Za-z0-9_-]{40,}" + _R),
    ("github-token", _L + r"gh[pousr]_[A-Za-z0-9]{36,255}" + _R),
    ("github-token", _L + r"github_pat_[A-Za-z0-9_]{60,255}" + _R),
    ("gitlab-token", _L + r"gl(?:pat|dt|rt|ptt|ft|cbt|soat)-[A-Za-z0-9_-]{20,}" + _R),
]
_COMBINED = re.compile("|".join(f"(?P<r{i}>{p})" for i, (_rule, p) in enumerate(_PATTERNS)))
#: cheap pre-filter: none of the tokens can appear without one of these substrings
_HINT = re.compile(
    r"AGE-SECRET-KEY|PRIVATE KEY|AKIA|ASIA|(?i:aws_?secret)|hv[sbr]\.|s\.|b\.AAAA"
    r"|gh[pousr]_|github_pat_|gl[a-z]{1,4}-"
)
_KEY_ON_LINE = re.compile(r"""^\s*(?:-\s*)?(?:export\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]""")


@dataclass(frozen=True)
class Match:
    rule: str
    start: int
    value: str


def find_key_material(text: str) -> Iterator[Match]:
    """Every token/key in ``text`` with its rule id and offset (placeholders skipped)."""
    if not _HINT.search(text):
        return
    for m in _COMBINED.finditer(text):
        group = m.lastgroup or ""
        rule = _PATTERNS[int(group[1:])][0]
        value = m.group(group)
        if rule == "aws-access-key" and value[:3].lower() == "aws":
            value = value[-40:]  # the secret access key itself, not its label
        if is_placeholder(value) or "EXAMPLE" in value:
            continue
        yield Match(rule, m.start(), value)


def key_on_line(line: str) -> str:
    m = _KEY_ON_LINE.match(line)
    return m.group(1) if m else ""


class KeyMaterial:
    """age identities, PEM private keys, AWS keys, Vault/GitHub/GitLab tokens in any text file."""

    def scan(self, file: ScanFile) -> None:
        text = file.text
        for match in find_key_material(text):
            line_no = text.count("\n", 0, match.start) + 1
            line_start = text.rfind("\n", 0, match.start) + 1
            line_end = text.find("\n", match.start)
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            key = key_on_line(line)
            file.report(match.rule, line_no, "" if key and key in match.value else key, match.value)
