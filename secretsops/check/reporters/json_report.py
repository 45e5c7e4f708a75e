"""Machine output: a versioned JSON document with findings, suppressed findings and notes.

``path`` is shown as in the text report (relative to the current directory); ``repo_path`` is
relative to the repository root (what baselines and SARIF use); ``fix_command`` is the shell
command that fixes the finding from the current directory, or null when none can.
"""

from __future__ import annotations

import json
from typing import Any

from secretsops.check.model import Finding, Report

JSON_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rule": f.rule,
        "path": f.where,
        "repo_path": f.path,
        "line": f.line,
        "key": f.key,
        "fingerprint": f.fingerprint,
        "message": f.message,
        "fix": f.fix,
        "fix_command": f.fix_command or None,
    }
    if f.commit:
        d["commit"] = f.commit
    return d


def render_json(report: Report) -> str:
    doc = {
        "version": JSON_VERSION,
        "mode": report.mode,
        "files_scanned": report.files_scanned,
        "files_with_findings": len({f.where for f in report.findings}),
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [
            {**finding_dict(s.finding), "suppression": s.kind, "reason": s.reason} for s in report.suppressed
        ],  # fmt: skip
        "notes": [{"path": n.path, "reason": n.reason} for n in report.notes],
        "errors": [{"path": n.path, "reason": n.reason} for n in report.errors],
    }
    return json.dumps(doc, indent=2) + "\n"
