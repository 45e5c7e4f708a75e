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


@dataclass(frozen=True)
class Pattern:
    """One token format: the regex runs only when one of its literals is in the text."""

    rule: str
    literals: tuple[str, ...]
    regex: re.Pattern[str]
    lowercase_literals: bool = False


def _p(rule: str, literals: tuple[str, ...], regex: str, lowercase_literals: bool = False) -> Pattern:
    return Pattern(rule, literals, re.compile(regex), lowercase_literals)


PATTERNS: tuple[Pattern, ...] = (
    _p(
        "age-secret-key",
        ("AGE-SECRET-KEY-",),
        r"AGE-SECRET-KEY-(?:PQ-)?1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{50,}",
    ),
    _p(
        "private-key",
        ("PRIVATE KEY",),
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:\\[nr]|\s|[A-Za-z-]+: [^\n\\]*)*[A-Za-z0-9+/=]{32,}",
    ),
    _p("aws-access-key", ("AKIA", "ASIA"), _L + r"(?:AKIA|ASIA)[A-Z0-9]{16}" + _R),
    _p(
        "aws-access-key",
        ("secret_access_key", "secretaccesskey", "secret-access-key"),
        r"(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
        lowercase_literals=True,
    ),
    _p("vault-token", ("hvs.", "hvb.", "hvr."), _L + r"hv[sbr]\.[A-Za-z0-9_-]{24,}" + _R),
    _p(
        "vault-token",
        ("s.",),
        r"s\.[A-Za-z0-9]{24}" + _R,  # verified by _LEGACY_VAULT below (mixed classes, word start)
    ),
    _p("vault-token", ("b.AAAAAQ",), _L + r"b\.AAAAAQ[A-Za-z0-9_-]{40,}" + _R),
    _p("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), _L + r"gh[pousr]_[A-Za-z0-9]{36,255}" + _R),
    _p("github-token", ("github_pat_",), _L + r"github_pat_[A-Za-z0-9_]{60,255}" + _R),
    _p(
        "gitlab-token",
        ("glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glcbt-", "glsoat-"),
        _L + r"gl(?:pat|dt|rt|ptt|ft|cbt|soat)-[A-Za-z0-9_-]{20,}" + _R,
    ),
    # the formats below are the providers' published ones (their docs and secret-scanning partner
    # programmes): a fixed prefix and a fixed alphabet, so a match is the token, not a guess
    _p("slack-token", ("xox",), _L + r"xox[abposr]-(?:[0-9]+-){1,3}[A-Za-z0-9]{16,}" + _R),
    _p("slack-token", ("xapp-",), _L + r"xapp-[0-9]+-[A-Z0-9]+-[0-9]+-[a-f0-9]{32,}" + _R),
    _p(
        "slack-token",
        ("hooks.slack.com",),
        r"hooks\.slack\.com/(?:services|workflows|triggers)/"
        r"T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9]{16,}" + _R,
    ),
    _p(
        "stripe-key",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_"),
        _L + r"[rs]k_(?:live|test)_[A-Za-z0-9]{20,247}" + _R,
    ),
    _p("google-api-key", ("AIza",), _L + r"AIza[0-9A-Za-z_-]{35}" + _R),
    _p("npm-token", ("npm_",), _L + r"npm_[A-Za-z0-9]{36}" + _R),
    _p("pypi-token", ("pypi-AgEIcHlwaS5vcmc",), _L + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}" + _R),
    _p("dockerhub-token", ("dckr_pat_",), _L + r"dckr_pat_[A-Za-z0-9_-]{27,}" + _R),
    _p("sendgrid-api-key", ("SG.",), _L + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _R),
    _p(
        "openai-api-key",
        ("T3BlbkFJ",),  # "OpenAI" in base64, inside every key
        _L + r"sk-(?:[a-z]+-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}" + _R,
    ),
    _p("anthropic-api-key", ("sk-ant-",), _L + r"sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{80,}" + _R),
    _p(
        "azure-connection-string",
        ("AccountKey=", "SharedAccessKey="),
        r"(?:AccountKey=[A-Za-z0-9+/]{86}==|SharedAccessKey=[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])",
    ),
)
_LEGACY_VAULT = re.compile(r"s\.(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[0-9])")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-.")
_KEY_ON_LINE = re.compile(r"""^\s*(?:-\s*)?(?:export\s+)?["']?([A-Za-z0-9_.\-/]+)["']?\s*[:=]""")


@dataclass(frozen=True)
class Match:
    rule: str
    start: int
    value: str


#: every case-sensitive literal, tested once per text (one pass instead of one per pattern)
_LITERALS = tuple(sorted({lit for p in PATTERNS if not p.lowercase_literals for lit in p.literals}))


def find_key_material(text: str) -> Iterator[Match]:
    """Every token/key in ``text`` with its rule id and offset (placeholders skipped)."""
    present = {lit for lit in _LITERALS if lit in text}
    # the case-insensitive literals all spell "secret": lowercase the text only when it might
    lowered = text.lower() if ("ecret" in text or "ECRET" in text) else ""
    for pattern in PATTERNS:
        if pattern.lowercase_literals:
            if not any(lit in lowered for lit in pattern.literals):
                continue
        elif present.isdisjoint(pattern.literals):
            continue
        for m in pattern.regex.finditer(text):
            start, value = m.start(), m.group(0)
            if pattern.literals == ("s.",) and (
                (start and text[start - 1] in _TOKEN_CHARS) or not _LEGACY_VAULT.match(value)
            ):
                continue
            if pattern.lowercase_literals:
                value = value[-40:]  # the secret access key itself, not its label
            elif pattern.rule == "azure-connection-string":
                value = value.partition("=")[2]  # the key, not its label
            if is_placeholder(value) or "EXAMPLE" in value:
                continue
            yield Match(pattern.rule, start, value)


def key_on_line(line: str) -> str:
    m = _KEY_ON_LINE.match(line)
    return m.group(1) if m else ""


_PEM_LABEL = re.compile(r"[A-Z0-9 ]+")
_AGE_IDENTITY = re.compile(r"AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+")
_COMMENT_LINE = re.compile(r"^\s*#.*$", re.MULTILINE)


def _without_pem_blocks(text: str) -> str:
    """``text`` without its complete ``-----BEGIN X----- … -----END X-----`` blocks.

    str.find, not a lazy regex: with a thousand BEGIN lines and no END, a regex scans to the end
    of the file from each of them (a 1 MB file took a minute)."""
    out: list[str] = []
    at = 0
    while (begin := text.find("-----BEGIN ", at)) != -1:
        label_end = text.find("-----", begin + 11)
        if label_end == -1:
            break
        label = text[begin + 11 : label_end]
        if not _PEM_LABEL.fullmatch(label):
            out.append(text[at : begin + 11])
            at = begin + 11
            continue
        end_marker = f"-----END {label}-----"
        end = text.find(end_marker, label_end + 5)
        if end == -1:
            break  # unterminated: what follows is not a block
        out.append(text[at:begin])
        at = end + len(end_marker)
    out.append(text[at:])
    return "".join(out)


def is_key_file(text: str) -> bool:
    """A file holding nothing but keys (an age identity file, id_rsa, tls.key, a PEM bundle):
    the fix is to stop tracking it, not to edit it."""
    rest = _COMMENT_LINE.sub("", _AGE_IDENTITY.sub("", _without_pem_blocks(text)))
    return not rest.strip()


class KeyMaterial:
    """age identities, PEM private keys, cloud keys and provider tokens in any text file."""

    def scan(self, file: ScanFile) -> None:
        text = file.text
        key_file: bool | None = None
        for match in find_key_material(text):
            variant = ""
            if match.rule in ("age-secret-key", "private-key"):
                key_file = is_key_file(text) if key_file is None else key_file
                variant = "key-file" if key_file else ""
            line_no = file.line_at(match.start)
            line_start = text.rfind("\n", 0, match.start) + 1
            line_end = text.find("\n", match.start)
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            key = key_on_line(line)
            key = "" if key and key in match.value else key
            file.report(match.rule, line_no, key, match.value, variant=variant)
