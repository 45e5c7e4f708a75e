"""Human output: ``file:line: [rule] what (key, fp)`` and the exact fix, then a summary.

Paths are shown relative to the directory ``check`` ran in (``Finding.where``), so they can be
pasted into an editor or into the printed fix command as they are.
"""

from __future__ import annotations

from secretsops.check.model import Finding, Report


def plural(n: int, word: str, many: str = "") -> str:
    """``1 file``, ``2 files``, ``0 findings``: counts read as English, never ``file(s)``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def location(f: Finding) -> str:
    commit = f" (commit {f.commit[:12]})" if f.commit else ""
    return f"{f.where}:{f.line}{commit}"


def summary(report: Report) -> str:
    """``3 findings in 2 files (40 files scanned)``, or ``no findings (40 files scanned)``."""
    scanned = plural(report.files_scanned, "file") + " scanned"
    if not report.findings:
        return f"no findings ({scanned})"
    files = {(f.where, f.commit) if report.mode in ("history", "since") else f.where for f in report.findings}
    return f"{plural(len(report.findings), 'finding')} in {plural(len(files), 'file')} ({scanned})"


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
        out.append(f"note: {plural(binary, 'binary file')} skipped")
    inline = sum(1 for s in report.suppressed if s.kind == "inline")
    based = len(report.suppressed) - inline
    extra = f"; suppressed: {inline} inline, {based} by baseline" if report.suppressed else ""
    out.append(f"secretsops check: {summary(report)}{extra}")
    return "\n".join(out) + "\n"
