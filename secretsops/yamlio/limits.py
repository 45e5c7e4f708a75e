"""The documented limits every manifest and config read obeys.

Git content and files handed to a command come from less-trusted people, so a parser must
not let them choose how much memory or time we spend. Three limits cover YAML's ways to
blow up: the bytes of one input, the nodes that aliases add when expanded (a "billion laughs"
document is a few hundred bytes whose aliases expand to 10^9 nodes), and nesting depth
(recursive walkers further down would otherwise hit RecursionError). ``graph`` enforces the
last two on the composed node graph; ``inputs`` the first. No PyYAML import here: reading a
JSON or dotenv file must not pay for it.
"""

# No ``from __future__ import annotations``: string annotations on a NamedTuple are compile()d,
# and a process's first compile() costs ~10 M instructions (secretsops.golang.strconv says more).
from typing import Any, NamedTuple

from secretsops.errors import InputError

MiB = 1024 * 1024


class ReadLimits(NamedTuple):
    """Limits for one input file or stream; the defaults are documented in docs/security.md.

    A NamedTuple (immutable, built with keywords) rather than a frozen dataclass: every command
    imports this class, and a frozen dataclass's generated methods cost ~3 M start-up instructions.

    ``max_bytes``: bytes of one file (manifest, config, ``secretGenerator`` file, stdin).
    ``max_alias_nodes``: nodes that aliases add to one document when expanded.
    ``max_depth``: nesting of mappings/sequences in one document (aliases expanded).
    """

    max_bytes: int = 16 * MiB
    max_alias_nodes: int = 1_000_000
    max_depth: int = 100


DEFAULT_LIMITS = ReadLimits()


class LimitExceeded(InputError):
    """An input went over one of the ReadLimits (the message names the file, position and limit)."""


def position(mark: Any) -> str:
    """``line L, column C`` (1-based) of a PyYAML mark."""
    return f"line {mark.line + 1}, column {mark.column + 1}"
