"""Human output: ``file:line: [rule] what (key, fp)`` and the exact fix, then a summary."""

from __future__ import annotations

from secretsops.check.model import Finding, Report


def location(f: Finding) -> str:
    commit = f" (commit {f.commit[:12]})" if f.commit else ""
    return f"{f.path}:{f.line}{commit}"


def render_text(report: Report) -> str:
    out: list[str] = []
    for f in report.findings:
        out.append(f"{location(f)}: [{f.rule}] {f.message}")
        out.append(f"    fix: {f.fix}")
    binary = sum(1 for n in report.notes if n.reason == "binary file, skipped")
    for n in report.notes:
        if n.reason != "binary file, skipped":
            out.append(f"note: {n.path}: {n.reason}")
    for n in report.errors:
        out.append(f"error: {n.path}: {n.reason}")
    if binary:
        out.append(f"note: {binary} binary file(s) skipped")
    inline = sum(1 for s in report.suppressed if s.kind == "inline")
    based = len(report.suppressed) - inline
    extra = f"; suppressed: {inline} inline, {based} by baseline" if report.suppressed else ""
    verdict = (
        f"{len(report.findings)} plaintext secret(s) found" if report.findings else "no plaintext secrets"
    )
    out.append(f"secretsops check: {verdict} in {report.files_scanned} file(s){extra}")
    return "\n".join(out) + "\n"
