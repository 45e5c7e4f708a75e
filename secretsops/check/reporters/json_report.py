"""Machine output: a versioned JSON document with findings, suppressed findings and notes."""

from __future__ import annotations

import json
from typing import Any

from secretsops.check.model import Finding, Report

JSON_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rule": f.rule,
        "path": f.path,
        "line": f.line,
        "key": f.key,
        "fingerprint": f.fingerprint,
        "message": f.message,
        "fix": f.fix,
    }
    if f.commit:
        d["commit"] = f.commit
    return d


def render_json(report: Report) -> str:
    doc = {
        "version": JSON_VERSION,
        "mode": report.mode,
        "files_scanned": report.files_scanned,
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [
            {**finding_dict(s.finding), "suppression": s.kind, "reason": s.reason} for s in report.suppressed
        ],  # fmt: skip
        "notes": [{"path": n.path, "reason": n.reason} for n in report.notes],
        "errors": [{"path": n.path, "reason": n.reason} for n in report.errors],
    }
    return json.dumps(doc, indent=2) + "\n"
