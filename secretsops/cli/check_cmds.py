"""``secretsops check``: the CI gate that rejects plaintext secrets (exit 1 when it finds any)."""

from __future__ import annotations

import argparse
import functools
import os
import stat
import sys
from pathlib import Path
from typing import Any, TextIO

from secretsops.check import CheckOptions, Report, load_baseline, resolve_root, run_check, write_baseline
from secretsops.check.fpkey import read_key_file
from secretsops.check.progress import ProgressLine
from secretsops.check.reporters import FORMATS, render
from secretsops.check.reporters.text import plural
from secretsops.check.sources import DEFAULT_MAX_FILE_SIZE
from secretsops.errors import CheckError, UsageError
from secretsops.yamlio.inputs import kind_of


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``check`` to the top-level parser."""
    del keygen_sub
    p = sub.add_parser(
        "check",
        help="fail when plaintext secrets are in the repo (Secrets, SOPS files, keys, tokens)",
        description="Scan files for plaintext secrets; exit 1 when any are found, 0 when none.",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files/dirs to scan (default: the repo; - = stdin)"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--staged", action="store_true", help="scan staged blobs (pre-commit)")
    mode.add_argument("--history", action="store_true", help="scan every blob reachable from any ref")
    mode.add_argument("--since", metavar="REV", help="scan blobs added in REV..HEAD")
    p.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (text summary to stdout)")
    p.add_argument("--baseline", metavar="FILE", help="accept the findings recorded in FILE")
    p.add_argument("--update-baseline", action="store_true", help="write current findings to --baseline FILE")
    p.add_argument(
        "--fingerprint-key-file",
        type=Path,
        metavar="FILE",
        help="key of the value fingerprints (default: .git/secretsops-check.key, created on first use)",
    )
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB")
    p.add_argument(
        "--max-file-size",
        type=int,
        default=DEFAULT_MAX_FILE_SIZE,
        metavar="BYTES",
        help="skip larger files (note)",
    )
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    p.add_argument(
        "--strict",
        action="store_true",
        help="report every plaintext value of a Secret, placeholders (${VAR}, changeme) and "
        "user/host/port/database names too",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="re-encrypt in place the SOPS files with values decrypted by hand (sops-partially-decrypted; "
        "keys as for decrypt), then report what is left",
    )
    p.add_argument(
        "--gitops",
        action="store_true",
        help="also check GitOps mistakes: moving image tags, pruning/self-heal off, cluster URLs, "
        "people with write access to production (docs/check.md)",
    )
    p.set_defaults(func=run)


def _mode(args: argparse.Namespace, stdin: bool) -> str:
    if stdin:
        return "stdin"
    if args.staged:
        return "staged"
    if args.history:
        return "history"
    return "since" if args.since else "worktree"


def _check_paths(paths: list[str]) -> None:
    missing = [p for p in paths if not (Path(p).exists() or Path(p).is_symlink())]
    if missing:
        raise CheckError(f"{missing[0]}: no such file or directory")
    for p in paths:
        st_mode = Path(p).stat().st_mode if Path(p).exists() else stat.S_IFREG
        if not (stat.S_ISREG(st_mode) or stat.S_ISDIR(st_mode)):  # /dev/zero, a FIFO: never read
            raise CheckError(f"{p}: is {kind_of(st_mode)}, not a regular file (refused as input)")


def _root_of(path: Path, cwd: Path) -> tuple[Path, bool]:
    """The repository a path on disk belongs to; outside git, the current directory when the
    path is under it (so its .sops.yaml applies), else the path's own directory."""
    root, in_git = resolve_root(path)
    if not in_git and path.is_relative_to(cwd):
        return cwd, False
    return root, in_git


def _groups(args: argparse.Namespace, cwd: Path) -> list[tuple[Path, bool, list[str]]]:
    """(root, in git, paths relative to root) per repository the PATHs name, in order given.

    Paths on disk may lie in several repositories, or outside any: each is scanned from its own
    root. With --staged/--history/--since the PATHs name git content of the current repository.
    """
    paths: list[str] = list(args.paths)
    stdin = paths == ["-"]
    if "-" in paths and not stdin:
        raise UsageError("'-' (stdin) cannot be combined with other paths")
    on_disk = _mode(args, stdin) == "worktree"
    if not on_disk or not paths:
        root, in_git = resolve_root(cwd)
        rel: list[str] = []
        for p in [] if stdin else paths:
            full = Path(p).absolute()
            try:
                rel.append(full.relative_to(root).as_posix() if full != root else ".")
            except ValueError:
                raise UsageError(f"{p}: outside the repository {root}") from None
        return [(root, in_git, [p for p in rel if p != "."])]
    _check_paths(paths)
    groups: dict[Path, tuple[bool, list[str]]] = {}
    for p in paths:
        given = Path(p).absolute()
        # the real directory (as git reports roots), the entry itself unresolved (a symlink is noted)
        full = given.resolve() if given.is_dir() else given.parent.resolve() / given.name
        root, in_git = _root_of(full, cwd)
        groups.setdefault(root, (in_git, []))[1].append(
            full.relative_to(root).as_posix() if full != root else "."
        )
    return [(root, in_git, [] if "." in listed else listed) for root, (in_git, listed) in groups.items()]


def _options(args: argparse.Namespace, root: Path, paths: list[str], cwd: Path) -> CheckOptions:
    stdin = list(args.paths) == ["-"]
    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline needs --baseline FILE")
    show_progress = not args.no_progress and sys.stderr.isatty() and not os.environ.get("CI")
    opts = CheckOptions(
        root=root,
        paths=paths,
        mode=_mode(args, stdin),
        since=args.since,
        stdin_data=sys.stdin.buffer.read(args.max_file_size + 1) if stdin else b"",
        exclude=args.exclude,
        baseline=load_baseline(Path(args.baseline)) if args.baseline and not args.update_baseline else None,
        max_file_size=args.max_file_size,
        progress=ProgressLine(sys.stderr) if show_progress else None,
        fingerprint_key=read_key_file(args.fingerprint_key_file) if args.fingerprint_key_file else b"",
        strict=args.strict,
        cwd=cwd,
    )
    if args.gitops:
        from secretsops.check.detectors import default_detectors, gitops_detectors
        from secretsops.check.detectors.gitops_objects import settings_for

        gitops = settings_for(root)
        opts.detectors = default_detectors(args.strict) + gitops_detectors(gitops)
        args.fail_on_warnings = args.fail_on_warnings or gitops.fail_on_warnings
    return opts


def _scan(args: argparse.Namespace, cwd: Path) -> Report:
    """One report over every repository the PATHs name."""
    merged: Report | None = None
    for root, in_git, paths in _groups(args, cwd):
        report = run_check(_options(args, root, paths, cwd), in_git)
        if merged is None:
            merged = report
            continue
        merged.findings.extend(report.findings)
        merged.suppressed.extend(report.suppressed)
        merged.notes.extend(report.notes)
        merged.errors.extend(report.errors)
        merged.files_scanned += report.files_scanned
    assert merged is not None  # _groups yields at least one group
    merged.findings.sort(key=lambda f: (f.where, f.line, f.rule, f.key, f.commit))
    return merged


def _fix(report: Report, cwd: Path, out: TextIO) -> int:
    """Re-encrypt each SOPS file a finding's fix names ``check --fix`` for; returns how many."""
    from secretsops.check.reencrypt import reencrypt_file
    from secretsops.check.sopsconfig import SopsConfigs
    from secretsops.keysources.base import KeyContext

    keys_dir = cwd / "keys"
    ctx = KeyContext.from_environ(os.environ, keys_dir=keys_dir if keys_dir.is_dir() else None)
    files = sorted({f.where for f in report.findings if f.fix_command.startswith("secretsops check --fix ")})
    for shown in files:
        full = (cwd / shown).resolve()
        root, _in_git = _root_of(full, cwd)
        rel = full.relative_to(root).as_posix()
        config = SopsConfigs(functools.partial(_read_under, root)).for_path(rel)
        rule = config.covering_rule(rel) if config is not None else None
        result = reencrypt_file(full, shown=shown, ctx=ctx, rule=rule)
        n = result.reencrypted
        print(
            f"secretsops check: fixed {shown}: re-encrypted {plural(n, 'value')} that "
            f"{'was' if n == 1 else 'were'} readable: rotate {'it' if n == 1 else 'them'}",
            file=out,
        )
    return len(files)


def _read_under(root: Path, rel: str) -> str | None:
    path = root / rel
    try:
        return path.read_text("utf-8", "replace") if path.is_file() else None
    except OSError:
        return None


def run(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    args.fail_on_warnings = False
    if args.fix and (args.staged or args.history or args.since or list(args.paths) == ["-"]):
        raise UsageError("--fix rewrites files of the work tree: it cannot be combined with --staged, "
                         "--history, --since or stdin")  # fmt: skip
    report = _scan(args, cwd)
    # what was fixed goes with the text report; beside a JSON/SARIF/JUnit one on stdout, to stderr
    if args.fix and _fix(report, cwd, sys.stdout if args.format == "text" or args.output else sys.stderr):
        report = _scan(args, cwd)
    report.fail_on_warnings = args.fail_on_warnings
    if args.update_baseline:
        write_baseline(Path(args.baseline), report.findings)
        wrote = plural(len(report.findings), "finding")
        print(f"secretsops check: wrote {wrote} to baseline {args.baseline}")
        return 0
    rendered = render(report, args.format)
    if args.output:
        try:
            Path(args.output).write_text(rendered, "utf-8")
        except OSError as exc:
            raise CheckError(f"{args.output}: cannot write report ({exc.strerror})") from None
        if args.format != "text":
            sys.stdout.write(render(report, "text"))
    else:
        sys.stdout.write(rendered)
    return report.exit_code
