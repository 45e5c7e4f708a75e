"""``secretsops check``: the CI gate that rejects plaintext secrets (exit 1 when it finds any)."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import Any

from secretsops.check import CheckOptions, load_baseline, resolve_root, run_check, write_baseline
from secretsops.check.fpkey import read_key_file
from secretsops.check.progress import ProgressLine
from secretsops.check.reporters import FORMATS, render
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
        "--gitops",
        action="store_true",
        help="also check GitOps mistakes: moving image tags, pruning/self-heal off, cluster URLs, "
        "people with write access to production (docs/check.md)",
    )
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> tuple[CheckOptions, bool]:
    paths: list[str] = list(args.paths)
    stdin = paths == ["-"]
    if "-" in paths and not stdin:
        raise UsageError("'-' (stdin) cannot be combined with other paths")
    on_disk = not (stdin or args.staged or args.history or args.since)  # else paths name git content
    missing = [p for p in paths if on_disk and not (Path(p).exists() or Path(p).is_symlink())]
    if missing:
        raise CheckError(f"{missing[0]}: no such file or directory")
    for p in paths if on_disk else []:
        st_mode = Path(p).stat().st_mode if Path(p).exists() else stat.S_IFREG
        if not (stat.S_ISREG(st_mode) or stat.S_ISDIR(st_mode)):  # /dev/zero, a FIFO: never read
            raise CheckError(f"{p}: is {kind_of(st_mode)}, not a regular file (refused as input)")
    start = Path(paths[0]) if paths and on_disk else Path.cwd()
    root, in_git = resolve_root(start.absolute())
    rel: list[str] = []
    for p in [] if stdin else paths:
        full = Path(p).absolute()
        try:
            rel.append(full.relative_to(root).as_posix() if full != root else ".")
        except ValueError:
            raise UsageError(f"{p}: outside the scanned repository {root}") from None
    mode = (
        "stdin"
        if stdin
        else "staged"
        if args.staged
        else "history"
        if args.history
        else ("since" if args.since else "worktree")
    )
    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline needs --baseline FILE")
    show_progress = not args.no_progress and sys.stderr.isatty() and not os.environ.get("CI")
    opts = CheckOptions(
        root=root,
        paths=[p for p in rel if p != "."],
        mode=mode,
        since=args.since,
        stdin_data=sys.stdin.buffer.read(args.max_file_size + 1) if stdin else b"",
        exclude=args.exclude,
        baseline=load_baseline(Path(args.baseline)) if args.baseline and not args.update_baseline else None,
        max_file_size=args.max_file_size,
        progress=ProgressLine(sys.stderr) if show_progress else None,
        fingerprint_key=read_key_file(args.fingerprint_key_file) if args.fingerprint_key_file else b"",
    )
    if args.gitops:
        from secretsops.check.detectors import default_detectors, gitops_detectors
        from secretsops.check.detectors.gitops_objects import settings_for

        gitops = settings_for(root)
        opts.detectors = default_detectors() + gitops_detectors(gitops)
        args.fail_on_warnings = gitops.fail_on_warnings
    return opts, in_git


def run(args: argparse.Namespace) -> int:
    options, in_git = _options(args)
    report = run_check(options, in_git)
    report.fail_on_warnings = getattr(args, "fail_on_warnings", False)
    if args.update_baseline:
        write_baseline(Path(args.baseline), report.findings)
        print(f"secretsops check: wrote {len(report.findings)} finding(s) to baseline {args.baseline}")
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
