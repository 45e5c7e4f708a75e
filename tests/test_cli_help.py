"""What a new user meets first: the version, the command list, help for every flag, examples."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

import pytest

from secretsops.cli import main as cli_main
from secretsops.cli.helptext import EXAMPLES
from secretsops.cli.sops_cmds import SOPS_COMMANDS


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secretsops", *args], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize("args", [["--version"], ["-v"], ["version"]])
def test_version_is_printed(args):
    from importlib.metadata import version

    out = _run(*args)
    assert (out.returncode, out.stdout) == (0, f"secretsops {version('secretsops')}\n")


def test_bare_command_lists_every_command():
    out = _run()
    assert out.returncode == 0
    for command in cli_main.COMMANDS:
        assert command in out.stdout, command


def _subparsers(command: str | None = None) -> dict[str, argparse.ArgumentParser]:
    """The subcommand parsers (only ``command``'s group when given, as a real run builds it)."""
    parser = cli_main.build_parser([command] if command else None)
    return dict(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def test_every_command_has_examples():
    assert set(_subparsers()) <= set(EXAMPLES)


def _argv(example: str) -> list[str]:
    """The secretsops part of an example shell line (after a pipe, before a redirection)."""
    lexer = shlex.shlex(example, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    words = words[words.index("secretsops") + 1 :]
    for stop in ("<", "|", ">"):
        if stop in words:
            words = words[: words.index(stop)]
    return words


@pytest.mark.parametrize(("command", "example"), [(c, e) for c, lines in EXAMPLES.items() for e in lines])
def test_every_example_parses_with_the_real_parser(command, example):
    argv = _argv(example)
    assert argv[0] == command
    args = cli_main.build_parser(argv).parse_args(argv)
    assert callable(args.func)


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_each_help_ends_with_its_examples(command):
    sub = _subparsers(command)
    if command not in sub:
        pytest.fail(f"{command} has examples but is not a command")
    text = sub[command].format_help().rstrip()
    assert text.endswith(EXAMPLES[command][-1])


@pytest.mark.parametrize("command", SOPS_COMMANDS)
def test_every_flag_of_the_sops_commands_has_help(command):
    parser = _subparsers(command)[command]
    parser.format_help()  # adds flags a parser defers until it is used
    missing = [a.option_strings or [a.dest] for a in parser._actions if not a.help]
    assert missing == []


def _flags_without_help(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    parser.format_help()  # adds flags a parser defers until it is used
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, nested in action.choices.items():
                out += _flags_without_help(nested, f"{prefix} {name}")
        elif not action.help:
            out.append(f"{prefix} {'/'.join(action.option_strings) or action.dest}")
    return out


def test_every_flag_of_every_command_has_help():
    missing = [m for name, p in _subparsers().items() for m in _flags_without_help(p, name)]
    assert missing == []
