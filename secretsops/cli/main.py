"""The ``secretsops`` command: parse flags, call the library, map errors to exit codes.

Each command group lives in its own module with ``register(subparsers, keygen_subparsers)``;
a handler takes the parsed ``argparse.Namespace`` and returns an exit code. Nothing here is
imported by the library.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from secretsops.cli.deferred import DeferredArgumentParser, OnlyCommand, materialize
from secretsops.cli.startup import defer_imports, pause_gc, prime_pyyaml, resume_gc
from secretsops.errors import SecretsOpsError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

COMMAND_MODULES = (
    "sops_cmds",
    "sops_git_cmds",
    "sealed_cmds",
    "external_cmds",
    "engine_cmds",
    "refresh_cmds",
    "krm_cmds",
    "check_cmds",
    "controller_cmds",
    "helm_cmds",
    "backup_cmds",
    "bootstrap_cmds",
    "completion_cmds",
)


#: which module registers each command, so a run imports only the group it needs (start-up time
#: matters for a 3-value decrypt); ``tests/test_cli_main.py`` keeps this table honest.
COMMANDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("encrypt", "decrypt", "rotate", "updatekeys", "edit", "set", "unset", "filestatus"), ("sops_cmds",)
    ),
    **dict.fromkeys(("merge-driver", "diff-driver", "git-setup"), ("sops_git_cmds",)),
    **dict.fromkeys(("seal", "unseal", "sealing-keys"), ("sealed_cmds",)),
    "render": ("external_cmds",),
    "reconcile": ("engine_cmds",),
    "status": ("engine_cmds",),
    "refresh": ("refresh_cmds",),
    "krm": ("krm_cmds",),
    "check": ("check_cmds",),
    "controller": ("controller_cmds",),
    "helm-post-renderer": ("helm_cmds",),
    "helm": ("helm_cmds",),
    "backup": ("backup_cmds",),
    "bootstrap": ("bootstrap_cmds",),
    "completion": ("completion_cmds",),
    "keygen": ("sops_cmds", "sealed_cmds"),
    "version": (),
}


def _command(argv: Sequence[str] | None) -> str | None:
    """The command ``argv`` runs, when it names one of ``COMMANDS``."""
    command = next((a for a in (argv or ()) if not a.startswith("-")), None)
    return command if command in COMMANDS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``'s command only (every command when unknown or absent).

    Only the module that registers the command is imported, and in it only the command's own
    parser is built (the others are ``SkippedParser``s): start-up time of a small decrypt.
    """
    command = _command(argv)
    parser = DeferredArgumentParser(
        prog="secretsops",
        description="Secrets safe in GitOps: sops-compatible encryption, sealing, external references.",
    )
    parser.add_argument("--version", "-v", action=_VersionAction)
    # subcommand parsers may defer plugin-dependent flags until they are used (cli/deferred.py)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=DeferredArgumentParser
    )
    keygen = sub.add_parser("keygen", help="create keys (age identity, sealing key pair)")
    keygen_sub = keygen.add_subparsers(dest="keygen_kind", required=True, metavar="KIND")
    sub.add_parser("version", help="print the version").set_defaults(func=_cmd_version)
    commands: Any = sub
    kinds: Any = keygen_sub
    if command is not None:
        commands = OnlyCommand(sub, frozenset({command}))
        kinds = keygen_sub if command == "keygen" else OnlyCommand(keygen_sub, frozenset())
    for name in COMMANDS[command] if command is not None else COMMAND_MODULES:
        module = importlib.import_module(f"secretsops.cli.{name}")
        module.register(commands, kinds)
    _add_examples(sub)
    return parser


def _add_examples(sub: argparse._SubParsersAction[Any]) -> None:
    """End every command's help with its examples and give every flag help (``cli/helptext.py``)."""
    from secretsops.cli.helptext import epilog

    for name, command in sub.choices.items():
        text = epilog(name)
        if text and command.epilog is None:
            command.epilog = text
            if command.formatter_class is argparse.HelpFormatter:
                command.formatter_class = argparse.RawDescriptionHelpFormatter
        _fill_help(command)


def _fill_help(parser: argparse.ArgumentParser) -> None:
    """Common words for flags registered without help, also in nested and deferred parsers."""
    defer = getattr(parser, "defer", None)
    if callable(defer):  # flags a parser adds on first use get theirs then
        defer(_fill_help_now)
    else:
        _fill_help_now(parser)


def _fill_help_now(parser: argparse.ArgumentParser) -> None:
    from secretsops.cli.helptext import COMMON_FLAG_HELP

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in action.choices.values():
                _fill_help(nested)
        elif action.help is None and action.dest in COMMON_FLAG_HELP:
            action.help = COMMON_FLAG_HELP[action.dest]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("secretsops")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _cmd_version(args: argparse.Namespace) -> int:
    print(f"secretsops {_version()}")
    return 0


class _VersionAction(argparse.Action):
    """``--version``/``-v`` (as sops has them); the version is looked up only when asked."""

    def __init__(
        self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object
    ) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"secretsops {_version()}")
        parser.exit()


def _accepts(command: str, option: str) -> bool:
    """Whether ``command``'s parser defines ``option`` (for sops' global-flag form)."""
    for action in build_parser([command])._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return option in materialize(action.choices[command])._option_string_actions
    return False


def _is_sops_global_form(argv: Sequence[str]) -> bool:
    """``sops -d f``, ``sops --set … f``, ``sops f``: anything not starting with a command."""
    return bool(argv) and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "-v", "--version")


def main(argv: Sequence[str] | None = None) -> int:
    process = argv is None  # the console script: this process is the command
    if process:
        pause_gc()
        defer_imports()  # modules imported on the way but not used by a small command
    prime_pyyaml()  # before anything imports yaml (cli/startup.py)
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (cli/completion_cmds.py)
        from secretsops.cli.completion_cmds import complete

        complete(build_parser())
    argv = sys.argv[1:] if argv is None else argv
    if list(argv) in (["--version"], ["-v"]):  # no parser: answers even with a broken command group
        print(f"secretsops {_version()}")
        return 0
    if not argv:  # a bare `secretsops` lists the commands
        build_parser([]).print_help()
        return 0
    try:
        if _is_sops_global_form(argv):
            from secretsops.cli.sops_legacy import translate

            argv = translate(argv, tuple(COMMANDS), _accepts)
    except SecretsOpsError as exc:
        print(f"secretsops: {exc}", file=sys.stderr)
        return exc.exit_code
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if process:
        resume_gc()
    try:
        code = args.func(args)
    except SecretsOpsError as exc:
        print(f"secretsops: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 141
    except Exception as exc:
        # Never a traceback for users (exception text may quote input, so it is not shown either).
        if os.environ.get("SECRETSOPS_DEBUG"):
            raise
        print(
            f"secretsops: internal error ({type(exc).__name__}); "
            "rerun with SECRETSOPS_DEBUG=1 for a traceback",
            file=sys.stderr,
        )
        return 1
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
