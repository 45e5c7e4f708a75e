"""The CLI shell: help works, errors are one line with the right exit code."""

from __future__ import annotations

import argparse

import pytest

from secretsops.cli import main as cli_main
from secretsops.errors import MacMismatch


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["--help"])
    assert exc.value.code == 0
    assert "keygen" in capsys.readouterr().out


def test_library_error_becomes_one_line_and_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(args: argparse.Namespace) -> int:
        raise MacMismatch("secrets.yaml: MAC mismatch")

    parser = cli_main.build_parser()
    monkeypatch.setattr(cli_main, "build_parser", lambda argv=None: parser)
    parser.set_defaults(func=failing)
    monkeypatch.setattr(parser, "parse_args", lambda argv: argparse.Namespace(func=failing))
    assert cli_main.main(["decrypt"]) == 51
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unexpected_exception_is_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: argparse.Namespace) -> int:
        raise ValueError("value-that-might-be-secret")

    parser = cli_main.build_parser()
    monkeypatch.setattr(cli_main, "build_parser", lambda argv=None: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv: argparse.Namespace(func=boom))
    assert cli_main.main(["decrypt"]) == 1
    err = capsys.readouterr().err
    assert "value-that-might-be-secret" not in err and "Traceback" not in err


def test_command_table_names_every_registered_command_and_its_module() -> None:
    import importlib

    for name in cli_main.COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        keygen = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"secretsops.cli.{name}").register(sub, keygen)
        for command in sub.choices:
            assert cli_main.COMMANDS[command] == (name,), command
        if keygen.choices:
            assert name in cli_main.COMMANDS["keygen"]
    registered = set(cli_main.build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert registered == set(cli_main.COMMANDS)


def test_a_command_builds_only_its_own_group(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli_main.build_parser(["encrypt", "x.yaml"])
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "encrypt" in choices and "seal" not in choices
