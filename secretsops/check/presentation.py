"""Findings as the user sees them: paths relative to the current directory, and fix commands
that run from there.

A finding's ``path`` stays relative to its repository root (baselines and SARIF match on it);
what people read and paste is relative to where they ran ``check``, as linters print it. The
fix commands are completed here because only here is known where they will run: which
``.sops.yaml`` sops would find from the current directory (else ``--config`` names the one that
applies to the file), whether any creation rule gives ``secretsops encrypt`` its keys, whether the
file can be untracked with git, and whether it still exists to be fixed.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from collections.abc import Callable
from pathlib import Path

from secretsops.check.model import Finding, Note, Report
from secretsops.check.sopsconfig import CreationRule, SopsConfigs
from secretsops.sops.configfile import CONFIG_NAME, find_config

#: files ``secretsops encrypt`` turns into a usable SOPS file of the same format
_STRUCTURED = (".yaml", ".yml", ".json", ".ini")
#: files that are keys whole: encrypting them (sops' binary store) keeps them usable via decrypt
_KEY_SUFFIXES = (".pem", ".key", ".crt", ".p12", ".pfx", ".jks", ".keystore", ".agekey", ".asc", ".gpg")
STDIN = "<stdin>"


@dataclasses.dataclass
class Presenter:
    root: Path
    cwd: Path
    in_git: bool
    mode: str
    sops_configs: SopsConfigs
    #: whether a path (relative to root) is a file of the work tree
    exists: Callable[[str], bool]

    def show(self, rel: str) -> str:
        if rel == STDIN:
            return rel
        full = self.root / rel if rel not in ("", ".") else self.root
        shown = os.path.relpath(full, self.cwd)
        return Path(shown).as_posix()

    def finding(self, f: Finding) -> Finding:
        target = f.target or f.path
        variant = f.variant
        gitable = self.in_git and self.mode in ("worktree", "staged")
        if variant == "key-file" and not (gitable and self.exists(target)):
            variant = ""
        if (
            f.rule in ("private-key", "high-entropy-secret", "url-credential", "registry-credentials")
            and variant == ""
            and not _encryptable(f.rule, target)
        ):
            variant = "not-encryptable"
        sops_config: str | None = ""
        spec = f.rule_info.fix_for(variant)
        if spec.needs_creation_rule:
            sops_config = self._config_flag(target)
            rule = self._rule(target)
            decides = rule is not None and (rule.declares_options or bool(rule.path_regex))
            if f.rule == "k8s-secret-plaintext" and variant == "" and decides:
                variant = "rule-decides"
        no_command = target == STDIN or not self.exists(target)
        root_shown = self.show("")
        return dataclasses.replace(
            f,
            variant=variant,
            shown=self.show(f.path),
            target_shown=self.show(target) if f.target else "",
            sops_config=sops_config,
            root_shown="" if root_shown == "." else root_shown.rstrip("/") + "/",
            no_command=no_command,
        )

    def note(self, n: Note) -> Note:
        path, at, commit = n.path, "", ""
        if self.mode in ("history", "since"):  # "path@commit12" (scanner: where)
            head, sep, tail = n.path.rpartition("@")
            if sep and len(tail) == 12 and all(c in "0123456789abcdef" for c in tail):
                path, at, commit = head, sep, tail
        return Note(self.show(path) + at + commit, n.reason)

    def _rule(self, target: str) -> CreationRule | None:
        config = self.sops_configs.for_path(target)
        return config.matching_rule(target) if config is not None else None

    def _config_flag(self, target: str) -> str | None:
        """ "" when sops finds the applicable .sops.yaml from the cwd, ``FILE`` for --config, None
        when no creation rule matches the file (``secretsops encrypt`` has no keys for it)."""
        config = self.sops_configs.for_path(target)
        if config is None or config.matching_rule(target) is None:
            return None
        full = self.root / config.path
        found = find_config(self.cwd)
        if config.name == CONFIG_NAME and found is not None and found.resolve() == full.resolve():
            return ""
        return self.show(config.path)


def _encryptable(rule: str, path: str) -> bool:
    name = posixpath.basename(path).lower()
    if name.endswith(_STRUCTURED) or name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return True
    return rule == "private-key" and (name.endswith(_KEY_SUFFIXES) or "." not in name.lstrip("."))


def present(report: Report, presenter: Presenter) -> None:
    """Rewrite the report's findings and notes for the user at ``presenter.cwd`` (in place)."""
    report.findings = [presenter.finding(f) for f in report.findings]
    report.suppressed = [
        dataclasses.replace(s, finding=presenter.finding(s.finding)) for s in report.suppressed
    ]
    report.notes = [presenter.note(n) for n in report.notes]
    report.errors = [presenter.note(n) for n in report.errors]
