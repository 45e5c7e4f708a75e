"""Findings, notes and the report a scan returns; fingerprints that never reveal a value.

A finding names a file, a line, a rule and a key, and carries an HMAC fingerprint of the
value, so reports and baselines can tell findings apart without ever holding the value.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from secretsops.check.rules import RULES, Rule

#: hex digits kept of HMAC-SHA256: 128 bits, so two different values never share a fingerprint
FINGERPRINT_HEX = 32


def fingerprint(value: str | bytes, key: bytes) -> str:
    """HMAC-SHA256(key, value), first 128 bits in hex.

    The key is the repository's (see ``check/fpkey.py``), never in the scanned content: with a
    public salt anyone holding a report or baseline could confirm guessed passwords offline.
    """
    if not key:
        raise ValueError("a fingerprint needs the repository's key")
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]


@dataclass(frozen=True)
class Finding:
    """One leak: where it is and what kind, never what."""

    rule: str
    path: str
    line: int
    key: str
    fingerprint: str
    commit: str = ""

    @property
    def rule_info(self) -> Rule:
        return RULES[self.rule]

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What a baseline matches on: not the line, so edits above a finding do not move it."""
        return (self.rule, self.path, self.key, self.fingerprint)

    @property
    def message(self) -> str:
        what = self.rule_info.description
        key = f" (key '{self.key}', fp {self.fingerprint})" if self.key else f" (fp {self.fingerprint})"
        return what + key

    @property
    def fix(self) -> str:
        return self.rule_info.fix.replace("{path}", self.path)


@dataclass(frozen=True)
class Suppressed:
    finding: Finding
    #: "inline" (a pragma in the file) or "baseline"
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class Note:
    """A file that was skipped or only partly understood, and why."""

    path: str
    reason: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    #: files a detector failed on: the scan is incomplete, so it cannot pass (exit 2)
    errors: list[Note] = field(default_factory=list)
    files_scanned: int = 0
    mode: str = "worktree"
    #: advisory findings (rules with ``gates=False``) fail the gate too
    fail_on_warnings: bool = False

    @property
    def exit_code(self) -> int:
        if any(self.fail_on_warnings or f.rule_info.gates for f in self.findings):
            return 1
        return 2 if self.errors else 0
