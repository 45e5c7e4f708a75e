"""The documented limits every manifest and config read obeys.

Git content and files handed to a command come from less-trusted people, so a parser must
not let them choose how much memory or time we spend. Three limits cover YAML's ways to
blow up: the bytes of one input, the nodes that aliases add when expanded (a "billion laughs"
document is a few hundred bytes whose aliases expand to 10^9 nodes), and nesting depth
(recursive walkers further down would otherwise hit RecursionError). ``graph`` enforces the
last two on the composed node graph; ``inputs`` the first. No PyYAML import here: reading a
JSON or dotenv file must not pay for it.
"""

from __future__ import annotations

from collections import namedtuple

from secretsops.errors import InputError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

MiB = 1024 * 1024


class ReadLimits(
    namedtuple("ReadLimits", ["max_bytes", "max_alias_nodes", "max_depth"], defaults=[16 * MiB, 10**6, 100])
):
    """Limits for one input file or stream; the defaults are documented in docs/security.md.

    A named tuple (immutable, built with keywords) rather than a frozen dataclass: every command
    imports this class, and a frozen dataclass's generated methods cost ~3 M start-up instructions;
    ``collections.namedtuple`` rather than ``typing.NamedTuple``: a decrypt runs without ``typing``.

    ``max_bytes``: bytes of one file (manifest, config, ``secretGenerator`` file, stdin).
    ``max_alias_nodes``: nodes that aliases add to one document when expanded.
    ``max_depth``: nesting of mappings/sequences in one document (aliases expanded).
    """

    __slots__ = ()
    max_bytes: int
    max_alias_nodes: int
    max_depth: int


DEFAULT_LIMITS = ReadLimits()


class LimitExceeded(InputError):
    """An input went over one of the ReadLimits (the message names the file, position and limit)."""


def position(mark: Any) -> str:
    """``line L, column C`` (1-based) of a PyYAML mark."""
    return f"line {mark.line + 1}, column {mark.column + 1}"
