"""Subcommand parsers whose costly arguments are added only when that subcommand is used.

Some flags are only known by importing plugins: ``encrypt --age/--kms/...`` come from every
installed key source's class. Building them for ``decrypt`` would import every key source (and
every third-party plugin) on each start — milliseconds a 3-value decrypt cannot afford. A command
module defers such arguments with ``add_when_used(parser, add)``; they appear before the parser
parses, prints help or is inspected (``materialize``), never otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

AddArguments = Callable[[argparse.ArgumentParser], None]


class DeferredArgumentParser(argparse.ArgumentParser):
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
    """``add(parser)`` on first use when ``parser`` can defer, else right away."""
    if isinstance(parser, DeferredArgumentParser):
        parser.defer(add)
    else:
        add(parser)


def materialize(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser with its deferred arguments added (for code that inspects its options)."""
    if isinstance(parser, DeferredArgumentParser):
        parser.materialize()
    return parser
