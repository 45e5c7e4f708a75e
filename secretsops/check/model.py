"""Findings, notes and the report a scan returns; fingerprints that never reveal a value.

A finding names a file, a line, a rule and a key, and carries an HMAC fingerprint of the
value, so reports and baselines can tell findings apart without ever holding the value.
"""

from __future__ import annotations

import hashlib
import hmac
import shlex
from dataclasses import dataclass, field

from secretsops.check.rules import RULES, Fix, Rule

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
    #: which of the rule's fixes applies (``Rule.variants``; "" = the rule's default)
    variant: str = field(default="", compare=False)
    #: the file the fix acts on, relative to the scan root ("" = ``path``; a generator's env file)
    target: str = field(default="", compare=False)
    #: how the file is shown to the user: relative to the current directory ("" = ``path``)
    shown: str = field(default="", compare=False)
    #: ``target`` as shown to the user ("" = ``shown``)
    target_shown: str = field(default="", compare=False)
    #: the .sops.yaml an encrypt command must name (--config), "" when sops finds it from the
    #: current directory, None when no creation rule applies to the file
    sops_config: str | None = field(default="", compare=False)
    #: the repository root as shown ("" = the current directory), for .gitignore
    root_shown: str = field(default="", compare=False)
    #: the fix's command is left out (stdin, a blob of history that is no longer in the work tree)
    no_command: bool = field(default=False, compare=False)

    @property
    def rule_info(self) -> Rule:
        return RULES[self.rule]

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What a baseline matches on: not the line, so edits above a finding do not move it."""
        return (self.rule, self.path, self.key, self.fingerprint)

    @property
    def where(self) -> str:
        """The path as shown to the user (relative to the current directory when known)."""
        return self.shown or self.path

    @property
    def message(self) -> str:
        what = self.rule_info.description
        key = f" (key '{self.key}', fp {self.fingerprint})" if self.key else f" (fp {self.fingerprint})"
        return what + key

    @property
    def fix_spec(self) -> Fix:
        return self.rule_info.fix_for(self.variant)

    @property
    def fix_command(self) -> str:
        """A shell command that fixes this finding when run from the current directory, or ""."""
        spec = self.fix_spec
        if not spec.command or self.no_command:
            return ""
        target = self.target_shown or self.where
        config = f" --config {shlex.quote(self.sops_config)}" if self.sops_config else ""
        return (
            spec.command.replace("{config}", config)
            .replace("{gitignore}", shlex.quote(self.root_shown + ".gitignore"))
            .replace("{ignore_pattern}", shlex.quote("/" + (self.target or self.path)))
            .replace("{path}", shlex.quote(target))
        )

    @property
    def fix(self) -> str:
        """The fix in words, then the command (see ``fix_command``)."""
        spec = self.fix_spec
        advice = spec.advice.replace("{path}", shlex.quote(self.target_shown or self.where))
        command = self.fix_command
        if not command:
            return advice
        if spec.needs_creation_rule and self.sops_config is None:
            return f"{advice}: {command} (first add a .sops.yaml creation rule matching the file: its keys)"
        return f"{advice}: {command}"


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
