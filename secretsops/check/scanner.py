"""Run the detectors over a source and turn their findings into a Report.

Per file: skip excluded paths, note binary/huge/unreadable ones, decode, look up the
.sops.yaml rule that covers it, run every detector, drop duplicates, then apply inline
pragmas and the baseline (suppressed findings are kept in the report as a trail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from secretsops.check import gitio
from secretsops.check.baseline import Baseline
from secretsops.check.config import CONFIG_FILE, Excludes, load_check_config
from secretsops.check.detectors import Detector, default_detectors
from secretsops.check.fpkey import repository_key
from secretsops.check.holds_secrets import is_keystore_name
from secretsops.check.model import Finding, Note, Report, Suppressed, fingerprint
from secretsops.check.presentation import Presenter, present
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsconfig import SopsConfigs
from secretsops.check.sources import (
    DEFAULT_MAX_FILE_SIZE,
    HistorySource,
    Item,
    Source,
    StagedSource,
    StdinSource,
    WorktreeSource,
)
from secretsops.check.suppress import HINT, inline_reason
from secretsops.errors import CheckError

Progress = Callable[[int, "int | None", str], None]
#: heuristic rules, dropped on a line an exact rule already reported
WEAK_RULES = frozenset({"high-entropy-secret"})
MODES = ("worktree", "staged", "history", "since", "stdin")


@dataclass
class CheckOptions:
    """What to scan and how; built by the CLI, usable directly from Python."""

    root: Path = Path(".")
    paths: list[str] = field(default_factory=list)
    mode: str = "worktree"
    since: str | None = None
    stdin_data: bytes = b""
    exclude: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    progress: Progress | None = None
    detectors: list[Detector] | None = None
    #: key of the value fingerprints; empty: the repository's key (check/fpkey.py)
    fingerprint_key: bytes = field(default=b"", repr=False)
    #: report every plaintext value of a Secret (placeholders, user/host/port names too)
    strict: bool = False
    #: where the user is: findings are shown and fix commands written relative to it (None: root)
    cwd: Path | None = None


def resolve_root(start: Path) -> tuple[Path, bool]:
    """(scan root, in git): the work tree root when inside git, else ``start`` itself."""
    top = gitio.toplevel(start if start.is_dir() else start.parent)
    return (top, True) if top is not None else (start if start.is_dir() else start.parent, False)


def make_source(options: CheckOptions, in_git: bool) -> Source:
    root, size = options.root, options.max_file_size
    if options.mode == "stdin":
        return StdinSource(root, options.stdin_data, size)
    if options.mode == "worktree":
        return WorktreeSource(root, options.paths, in_git, size)
    if not in_git:
        raise CheckError(f"--{options.mode} needs a git repository ({root} is not in one)")
    if options.mode == "staged":
        return StagedSource(root, options.paths, size)
    if options.mode in ("history", "since"):
        return HistorySource(root, options.since if options.mode == "since" else None, size, options.paths)
    raise CheckError(f"unknown scan mode {options.mode!r}")


def run_check(options: CheckOptions, in_git: bool | None = None) -> Report:
    """Scan per ``options`` and return the report (findings, suppressed, notes).

    ``in_git`` defaults to whether ``options.root`` is inside a git work tree.
    """
    if options.mode not in MODES:
        raise CheckError(f"unknown scan mode {options.mode!r}")
    if in_git is None:
        in_git = gitio.toplevel(options.root) is not None
    source = make_source(options, in_git)
    config = load_check_config(source.read_worktree(CONFIG_FILE))
    excludes = Excludes([*config.get("exclude", []), *options.exclude])
    source.skip = excludes.match
    sops_configs = SopsConfigs(source.read_worktree)
    detectors = options.detectors if options.detectors is not None else default_detectors(options.strict)
    report = Report(mode=options.mode)
    key = options.fingerprint_key or repository_key(options.root, in_git)
    total = source.count()
    seen: set[tuple[str, str, str, str, int, str]] = set()
    for n, item in enumerate(source.items(), 1):
        if options.progress is not None:
            options.progress(n, total, item.path)
        _scan_item(
            item,
            source=source,
            sops_configs=sops_configs,
            detectors=detectors,
            baseline=options.baseline,
            report=report,
            key=key,
            seen=seen,
        )
    if options.progress is not None:
        options.progress(-1, total, "")
    report.findings.sort(key=lambda f: (f.path, f.line, f.rule, f.key, f.commit))
    root = options.root.resolve()

    def exists(rel: str) -> bool:
        return rel != "<stdin>" and (root / rel).is_file()

    present(
        report, Presenter(root, (options.cwd or root).resolve(), in_git, options.mode, sops_configs, exists)
    )
    return report


def _scan_item(
    item: Item,
    *,
    source: Source,
    sops_configs: SopsConfigs,
    detectors: list[Detector],
    baseline: Baseline | None,
    report: Report,
    key: bytes,
    seen: set[tuple[str, str, str, str, int, str]],
) -> None:
    where = item.path if not item.commit else f"{item.path}@{item.commit[:12]}"
    if item.data is None:
        report.notes.append(Note(where, item.note))
        return
    config = sops_configs.for_path(item.path) if item.path != "<stdin>" else None
    if config is not None and config.problem:
        report.notes.append(Note(config.directory or ".", f".sops.yaml: {config.problem}"))
        config.problem = ""
    rule = config.covering_rule(item.path) if config is not None else None
    report.files_scanned += 1
    if b"\0" in item.data[:8192]:
        if rule is not None and is_keystore_name(item.path):  # a key store a rule covers
            fp = fingerprint(item.data, key)
            _keep(report, Finding("sops-unencrypted", item.path, 1, "", fp, item.commit), [], baseline, seen)
        else:
            report.notes.append(Note(where, "binary file, skipped"))
        return
    text = item.data.decode("utf-8", "replace")
    commit = item.commit

    def read_sibling(path: str) -> str | None:
        return source.read_sibling(path, commit)

    file = ScanFile(item.path, text, commit, read_sibling=read_sibling, sops_rule=rule, fingerprint_key=key)
    for detector in detectors:
        try:
            detector.scan(file)
        except Exception as exc:  # one bad file must not stop the gate
            # fail closed: the file could not be judged, so the run cannot pass
            report.errors.append(
                Note(where, f"not fully scanned: {type(detector).__name__} failed ({type(exc).__name__})")
            )
    lines = text.splitlines() if any(h in text for h in HINT) else []
    exact_lines = {f.line for f in file.findings if f.rule not in WEAK_RULES}
    decrypted = {(f.line, f.key) for f in file.findings if f.rule == "sops-partially-decrypted"}
    for finding in file.findings:
        if finding.rule in WEAK_RULES and finding.line in exact_lines:
            continue  # an exact detector already explains this line
        if finding.variant == "in-sops-file" and (finding.line, finding.key) in decrypted:
            continue  # the same value, told once: as a SOPS value decrypted by hand (one fix)
        _keep(report, finding, lines, baseline, seen)
    report.notes.extend(Note(where, n.reason) for n in file.notes)
    report.errors.extend(Note(where, n.reason) for n in file.errors)


def _keep(
    report: Report,
    finding: Finding,
    lines: list[str],
    baseline: Baseline | None,
    seen: set[tuple[str, str, str, str, int, str]],
) -> None:
    # in history, one secret kept across many versions of a file is one finding (its first)
    key = (
        (*finding.identity, 0, "")
        if report.mode in ("history", "since")
        else (*finding.identity, finding.line, finding.commit)
    )
    if key in seen:
        return
    seen.add(key)
    reason = inline_reason(lines, finding.line) if lines else None
    if reason is not None:
        report.suppressed.append(Suppressed(finding, "inline", reason))
    elif baseline is not None and finding in baseline:
        report.suppressed.append(Suppressed(finding, "baseline"))
    else:
        report.findings.append(finding)
