"""JUnit XML for CI systems that show test reports (GitLab, Jenkins): one failing test case
per finding, one passing case when there is nothing to report."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from secretsops.check.model import Report
from secretsops.check.reporters.text import location


def render_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name="secretsops check")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="secretsops check",
        tests=str(max(len(report.findings), 1) + len(report.suppressed)),
        failures=str(len(report.findings)),
        errors="0",
        skipped=str(len(report.suppressed)),
    )
    for f in report.findings:
        case = ET.SubElement(suite, "testcase", classname=f.where, name=f"{f.rule} {f.key}".strip())
        failure = ET.SubElement(case, "failure", message=f"{location(f)}: {f.message}", type=f.rule)
        failure.text = f"{location(f)}: [{f.rule}] {f.message}\nfix: {f.fix}\n"
    for s in report.suppressed:
        f = s.finding
        case = ET.SubElement(suite, "testcase", classname=f.where, name=f"{f.rule} {f.key}".strip())
        ET.SubElement(case, "skipped", message=f"suppressed ({s.kind}) {s.reason}".strip())
    if not report.findings:
        ET.SubElement(suite, "testcase", classname="secretsops", name="no plaintext secrets")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
