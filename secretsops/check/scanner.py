"""Run the detectors over a source and turn their findings into a Report.

Per file: skip excluded paths, note binary/huge/unreadable ones, decode, look up the
.sops.yaml rule that covers it, run every detector, drop duplicates, then apply inline
pragmas and the baseline (suppressed findings are kept in the report as a trail).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
WEAK_RULES = frozenset({"high-entropy-secret", "url-credential"})
MODES = ("worktree", "staged", "history", "since", "stdin")
#: below this many files one process is faster than forking workers
PARALLEL_MIN_FILES = 500
MAX_WORKERS = 8


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
    #: processes for a large work-tree scan (0: one per available CPU)
    jobs: int = 0


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
    judge = Judge(source, sops_configs, detectors, key)
    config_notes: set[Note] = set()
    for judged in _judge_all(judge, source, options, total):
        for note in judged.config_notes:
            if note not in config_notes:  # each broken .sops.yaml once, whichever worker met it
                config_notes.add(note)
                report.notes.append(note)
        report.files_scanned += judged.scanned
        for finding, reason in judged.findings:
            _keep(report, finding, reason, options.baseline, seen)
        report.notes.extend(judged.notes)
        report.errors.extend(judged.errors)
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


@dataclass
class Judged:
    """What one file contributed: findings with their inline-suppression reason, notes, errors."""

    path: str
    findings: list[tuple[Finding, str | None]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    errors: list[Note] = field(default_factory=list)
    config_notes: list[Note] = field(default_factory=list)
    scanned: bool = False


@dataclass
class Judge:
    """Runs the detectors over one item; holds nothing that changes between items, so a forked
    worker can run a copy of it over its share of the files."""

    source: Source
    sops_configs: SopsConfigs
    detectors: list[Detector]
    key: bytes = field(repr=False)

    def __call__(self, item: Item) -> Judged:
        where = item.path if not item.commit else f"{item.path}@{item.commit[:12]}"
        out = Judged(item.path)
        if item.data is None:
            out.notes.append(Note(where, item.note))
            return out
        config = self.sops_configs.for_path(item.path) if item.path != "<stdin>" else None
        if config is not None and config.problem:
            out.config_notes.append(Note(config.directory or ".", f".sops.yaml: {config.problem}"))
        rule = config.covering_rule(item.path) if config is not None else None
        out.scanned = True
        if b"\0" in item.data[:8192]:
            if rule is not None and is_keystore_name(item.path):  # a key store a rule covers
                fp = fingerprint(item.data, self.key)
                out.findings.append((Finding("sops-unencrypted", item.path, 1, "", fp, item.commit), None))
            else:
                out.notes.append(Note(where, "binary file, skipped"))
            return out
        text = item.data.decode("utf-8", "replace")
        commit = item.commit
        source = self.source

        def read_sibling(path: str) -> str | None:
            return source.read_sibling(path, commit)

        file = ScanFile(
            item.path, text, commit, read_sibling=read_sibling, sops_rule=rule, fingerprint_key=self.key
        )
        for detector in self.detectors:
            try:
                detector.scan(file)
            except Exception as exc:  # one bad file must not stop the gate
                # fail closed: the file could not be judged, so the run cannot pass
                out.errors.append(
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
            out.findings.append((finding, inline_reason(lines, finding.line) if lines else None))
        out.notes.extend(Note(where, n.reason) for n in file.notes)
        out.errors.extend(Note(where, n.reason) for n in file.errors)
        return out


def _judge_all(judge: Judge, source: Source, options: CheckOptions, total: int | None) -> Iterator[Judged]:
    """Every item judged, in the source's order; a large work tree is split over the CPUs.

    Workers are forked (they share the loaded detectors and configs without pickling them),
    each reads and judges every N-th file and sends back only findings and notes.
    """
    workers = _workers(options, total)
    progress = options.progress
    if workers < 2 or not isinstance(source, WorktreeSource):
        for n, item in enumerate(source.items(), 1):
            if progress is not None:
                progress(n, total, item.path)
            yield judge(item)
        return
    import multiprocessing  # lazy: small scans (pre-commit) never fork, and it costs ~30 ms to import

    paths = source.listing()
    chunks = [paths[i::workers] for i in range(workers)]
    context = multiprocessing.get_context("fork")
    started = []
    for chunk in chunks[1:]:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(judge, source, chunk, send), daemon=True)
        process.start()
        send.close()
        started.append((process, receive))
    results = []
    for n, item in enumerate(source.read(chunks[0])):
        if progress is not None:  # the workers keep pace: show this share scaled to the whole
            progress(min(n * workers + 1, len(paths)), total, item.path)
        results.append(judge(item))
    try:
        for _process, receive in started:
            try:
                part = receive.recv()
            except EOFError:
                raise CheckError("a scan worker stopped before it finished (out of memory?)") from None
            if isinstance(part, str):
                raise CheckError(f"a scan worker failed: {part}")
            results.extend(part)
    finally:
        for process, _receive in started:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    order = {path: i for i, path in enumerate(paths)}
    results.sort(key=lambda judged: order.get(judged.path, len(order)))
    yield from results


def _work(judge: Judge, source: WorktreeSource, paths: list[str], send: Any) -> None:
    """A forked worker: judge ``paths`` and send the results (or one line on failure)."""
    try:
        send.send([judge(item) for item in source.read(paths)])
    except Exception as exc:
        send.send(f"{type(exc).__name__}: {exc}")
    finally:
        send.close()


def _workers(options: CheckOptions, total: int | None) -> int:
    """CPUs to use: 1 for small scans (forking costs more than it saves), for tests' own
    detectors, and when the caller asked for one."""
    if options.jobs == 1 or total is None or total < PARALLEL_MIN_FILES or options.mode != "worktree":
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(options.jobs or cpus, cpus, MAX_WORKERS))


def _keep(
    report: Report,
    finding: Finding,
    reason: str | None,
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
    if reason is not None:
        report.suppressed.append(Suppressed(finding, "inline", reason))
    elif baseline is not None and finding in baseline:
        report.suppressed.append(Suppressed(finding, "baseline"))
    else:
        report.findings.append(finding)
