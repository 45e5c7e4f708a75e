"""Render a Report for people (text) or tools (json, sarif, junit). No reporter ever sees a
value: findings carry only key names and fingerprints."""

from __future__ import annotations

from secretsops.check.model import Report
from secretsops.check.reporters.json_report import render_json
from secretsops.check.reporters.junit import render_junit
from secretsops.check.reporters.sarif import render_sarif
from secretsops.check.reporters.text import render_text

FORMATS = {"text": render_text, "json": render_json, "sarif": render_sarif, "junit": render_junit}


def render(report: Report, fmt: str) -> str:
    return FORMATS[fmt](report)
