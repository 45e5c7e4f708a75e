"""``secretsops check``: find plaintext secrets in a GitOps repository, exactly.

Public API::

    from secretsops.check import CheckOptions, run_check, resolve_root
    report = run_check(CheckOptions(root=root, mode="worktree"))
    report.findings / report.suppressed / report.notes / report.exit_code

Reporters: ``secretsops.check.reporters.render(report, fmt)`` with fmt in text/json/sarif/junit.
"""

from __future__ import annotations

from secretsops.check.baseline import Baseline, load_baseline, write_baseline
from secretsops.check.model import Finding, Note, Report, Suppressed, fingerprint
from secretsops.check.rules import RULES, Rule
from secretsops.check.scanner import CheckOptions, resolve_root, run_check

__all__ = [
    "RULES",
    "Baseline",
    "CheckOptions",
    "Finding",
    "Note",
    "Report",
    "Rule",
    "Suppressed",
    "fingerprint",
    "load_baseline",
    "resolve_root",
    "run_check",
    "write_baseline",
]
