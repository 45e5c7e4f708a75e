"""``secretsops merge-driver``, ``diff-driver`` and ``git-setup``: git integration for sops files.

Thin layer over ``secretsops.sops.git_drivers``: the KeyContext is built once from the
environment git gives the driver; the library never writes plaintext.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any


def register(sub: Any, keygen_sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    from secretsops.sops.formats.registry import formats

    del keygen_sub
    p = sub.add_parser(
        "merge-driver",
        help="git merge driver for sops files (%%O %%A %%B %%P): merge by key, re-encrypt",
        description="Decrypt ancestor, ours and theirs in memory, merge key by key, re-encrypt into "
        "OURS with its data key. On a conflict OURS is left untouched and the key paths are listed.",
    )
    p.add_argument("ancestor", help="%%O: the common ancestor version")
    p.add_argument("ours", help="%%A: our version; receives the merged result")
    p.add_argument("theirs", help="%%B: their version")
    p.add_argument("path", nargs="?", default=None, help="%%P: path in the repository (picks the format)")
    p.add_argument("--input-type", choices=formats().names(), default=None)
    p.set_defaults(func=_merge_driver)

    d = sub.add_parser(
        "diff-driver",
        help="git textconv for sops files: a key-level view (--redact: fingerprints, no values)",
    )
    d.add_argument("file", help="the file git hands to textconv")
    d.add_argument("--redact", action="store_true", help="print short fingerprints instead of secret values")
    d.add_argument("--input-type", choices=formats().names(), default=None)
    d.set_defaults(func=_diff_driver)

    s = sub.add_parser(
        "git-setup",
        help="configure a repository to merge and diff sops files with secretsops",
    )
    s.add_argument("--repo", default=".", help="repository directory (default: the current one)")
    s.add_argument(
        "--pattern",
        action="append",
        default=None,
        help="gitattributes pattern of sops files (repeatable; default: *.sops.yaml *.sops.yml "
        "*.sops.json *.sops.env *.sops.ini)",
    )
    s.add_argument("--redact", action="store_true", help="make git diff show fingerprints, never values")
    s.add_argument("--command", default=None, help="how git runs secretsops (default: this install)")
    s.set_defaults(func=_git_setup)


def _ctx() -> Any:
    from secretsops.keysources.base import KeyContext

    keys_dir = Path.cwd() / "keys"
    return KeyContext.from_environ(os.environ, keys_dir=keys_dir if keys_dir.is_dir() else None)


def _merge_driver(args: argparse.Namespace) -> int:
    from secretsops.sops.git_drivers import MergeConflict, merge_files

    name = args.path or args.ours
    try:
        merge_files(
            Path(args.ancestor), Path(args.ours), Path(args.theirs), name, ctx=_ctx(), fmt=args.input_type
        )
    except MergeConflict as exc:
        print(f"secretsops: {exc}", file=sys.stderr)
        for path in exc.paths:
            print(f"  conflict: {path}", file=sys.stderr)
        return 1
    return 0


def _diff_driver(args: argparse.Namespace) -> int:
    from secretsops.errors import CouldNotReadInputFile
    from secretsops.sops.git_drivers import textconv

    try:
        data = Path(args.file).read_bytes()
    except OSError:
        raise CouldNotReadInputFile(f"cannot read {args.file}") from None
    text = textconv(data, args.file, ctx=_ctx(), redact=args.redact, fmt=args.input_type)
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _default_command() -> str:
    script = Path(sys.executable).parent / "secretsops"
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m secretsops"


def _git_setup(args: argparse.Namespace) -> int:
    from secretsops.sops.git_drivers import DEFAULT_PATTERNS, git_setup

    result = git_setup(
        Path(args.repo),
        args.command or _default_command(),
        patterns=args.pattern or DEFAULT_PATTERNS,
        redact=args.redact,
    )
    sys.stdout.write(setup_report(result))
    return 0


def setup_report(result: Any) -> str:
    """What ``git-setup`` tells the user: the patterns that now have the drivers, the SOPS files
    that still have none, and the command that adds a pattern."""
    attrs = result.attributes_file
    added = f"{len(result.added_lines)} added now, commit {attrs.name}" if result.added_lines else "none new"
    lines = [
        f"{attrs}: merge and diff through secretsops for: {' '.join(result.patterns)} ({added})",
        "git config --local (this clone; every clone runs git-setup once):",
        *(f"  {key} = {value}" for key, value in result.config.items()),
    ]
    if result.uncovered:
        count = len(result.uncovered)
        lines.append(
            f"{count} SOPS-encrypted file{'s' if count > 1 else ''} match{'' if count > 1 else 'es'} "
            "no pattern (git merges and diffs "
            f"{'them' if count > 1 else 'it'} as ciphertext): {' '.join(result.uncovered[:10])}"
            + (f" (+{count - 10} more)" if count > 10 else "")
        )
        suggested = " ".join(f"--pattern {shlex.quote(p)}" for p in result.uncovered[:10])
        lines.append(f"  add: secretsops git-setup {suggested}")
    lines.append("more files: secretsops git-setup --pattern 'PATTERN' (gitattributes syntax; repeatable)")
    return "\n".join(lines) + "\n"
