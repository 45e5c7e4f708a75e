"""SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab, Azure DevOps).

Suppressed findings are emitted with ``suppressions`` (inSource for pragmas, external for the
baseline) so the UI shows them as closed, not as gone. ``partialFingerprints`` carries our
line-independent identity so alerts follow a secret when lines move. Locations are relative to
the repository root (``%SRCROOT%``), as code-scanning uploads expect, whatever the current directory.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from typing import Any

from secretsops.check.model import Finding, Report
from secretsops.check.rules import RULES, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/secretsops/secretsops"


def _version() -> str:
    try:
        return metadata.version("secretsops")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _rule_help(rule: Rule) -> str:
    fix = rule.fix
    command = (
        fix.command.replace("{config}", "")
        .replace("{gitignore}", ".gitignore")
        .replace("{ignore_pattern}", "/FILE")
        .replace("{path}", "FILE")
    )
    advice = fix.advice.replace("{path}", "FILE")
    return f"{advice}: {command}" if command else advice


def _identity_hash(f: Finding) -> str:
    return hashlib.sha256("\0".join(f.identity).encode()).hexdigest()[:32]


def _result(f: Finding, index: dict[str, int], suppression: dict[str, Any] | None = None) -> dict[str, Any]:
    rule = RULES[f.rule]
    text = f"{f.message}. Fix: {f.fix}"
    if f.commit:
        text += f" (commit {f.commit})"
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": rule.level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": f.line},
                }
            }
        ],
        "partialFingerprints": {"secretsopsFindingId/v1": _identity_hash(f)},
    }
    if suppression is not None:
        result["suppressions"] = [suppression]
    return result


def render_sarif(report: Report) -> str:
    rules = list(RULES.values())
    index = {r.id: i for i, r in enumerate(rules)}
    results = [_result(f, index) for f in report.findings]
    for s in report.suppressed:
        sup: dict[str, Any] = {"kind": "inSource" if s.kind == "inline" else "external", "status": "accepted"}
        if s.reason:
            sup["justification"] = s.reason
        results.append(_result(s.finding, index, sup))
    notes = [{"level": "note", "message": {"text": f"{n.path}: {n.reason}"}} for n in report.notes]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "secretsops",
                        "informationUri": INFO_URI,
                        "version": _version(),
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.name,
                                "shortDescription": {"text": r.description},
                                "fullDescription": {"text": r.description},
                                "help": {"text": "Fix: " + _rule_help(r)},
                                "defaultConfiguration": {"level": r.level},
                                "properties": {"tags": ["security", "secrets"]},
                            }
                            for r in rules
                        ],
                    }
                },
                "invocations": [
                    {"executionSuccessful": not report.errors, "toolExecutionNotifications": notes}
                ],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
