"""Subcommand parsers whose costly arguments are added only when that subcommand is used.

Start-up matters (a 3-value decrypt is measured against the sops binary, BENCHMARKS.md), so the
parsers here also cost less to build than argparse's own: ``LeanArgumentParser`` gives its help
formatter the terminal width without importing ``shutil`` (argparse imports it, with ``bz2`` and
``lzma``, for every ``add_argument``), and a run builds only the command it runs: the others get a
``SkippedParser`` that takes every call and keeps nothing (``main.build_parser``).

Some flags are only known by importing plugins: ``encrypt --age/--kms/...`` come from every
installed key source's class. Building them for ``decrypt`` would import every key source (and
every third-party plugin) on each start — milliseconds a 3-value decrypt cannot afford. A command
module defers such arguments with ``add_when_used(parser, add)``; they appear before the parser
parses, prints help or is inspected (``materialize``), never otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any


AddArguments = Callable[[argparse.ArgumentParser], None]


def terminal_width() -> int:
    """What argparse's formatter would use (``shutil.get_terminal_size``'s rule), minus its 2."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class LeanArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose formatters get their width from ``terminal_width``."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter: Any = self.formatter_class  # every HelpFormatter takes width (typeshed omits it)
        return formatter(prog=self.prog, width=terminal_width())  # type: ignore[no-any-return]


class SkippedParser:
    """Stands in for the parser of a command this run does not use: every call is accepted and
    returns the stand-in again, nothing is kept, nothing deferred is ever run."""

    def __getattr__(self, name: str) -> Any:
        return self._accept

    def _accept(self, *args: Any, **kwargs: Any) -> SkippedParser:
        return self


class OnlyCommand:
    """The ``add_subparsers()`` action as a command module sees it, when only ``wanted`` is used:
    ``add_parser`` builds that command's parser and a ``SkippedParser`` for the others."""

    def __init__(self, action: Any, wanted: frozenset[str]) -> None:
        self._action = action
        self._wanted = wanted

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        aliases = kwargs.get("aliases", ())
        if name in self._wanted or self._wanted.intersection(aliases):
            return self._action.add_parser(name, **kwargs)
        return SkippedParser()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)


class DeferredArgumentParser(LeanArgumentParser):
    """An ``ArgumentParser`` that runs its deferred ``add`` functions on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deferred: list[AddArguments] = []

    def defer(self, add: AddArguments) -> None:
        self._deferred.append(add)

    def materialize(self) -> None:
        """Add every deferred argument now (idempotent)."""
        while self._deferred:
            self._deferred.pop(0)(self)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self.materialize()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self.materialize()
        return super().format_usage()

    def format_help(self) -> str:
        self.materialize()
        return super().format_help()


def add_when_used(parser: argparse.ArgumentParser, add: AddArguments) -> None:
    """``add(parser)`` on first use when ``parser`` can defer, else right away (never for a
    command this run does not use)."""
    if isinstance(parser, DeferredArgumentParser):
        parser.defer(add)
    elif not isinstance(parser, SkippedParser):
        add(parser)


def materialize(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser with its deferred arguments added (for code that inspects its options)."""
    if isinstance(parser, DeferredArgumentParser):
        parser.materialize()
    return parser
