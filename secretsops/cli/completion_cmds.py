"""``secretsops completion bash|zsh|fish``: the shell code that makes Tab complete secretsops.

Completion is argcomplete's: the shell function it prints runs ``secretsops`` itself with
``_ARGCOMPLETE`` set, and ``main`` then answers from the real parser (``complete``), so every
command, flag and choice completes exactly as it parses — including flags that come from
installed plugins (key sources, formats). argcomplete rather than shtab because it covers fish as
well as bash and zsh, and because a static script (shtab) would go stale the moment a key-source
plugin is installed. The cost is one Python start per Tab press, paid only while completing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SHELLS = ("bash", "zsh", "fish")
PROG = "secretsops"


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``completion`` to the top-level parser."""
    del keygen_sub
    p = sub.add_parser(
        "completion",
        help="print the shell code for Tab completion (bash, zsh, fish)",
        description="Print the code that makes the shell complete secretsops' commands, flags and "
        "choices. Load it in the shell's start-up file (see the examples).",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to print completion code for")
    p.set_defaults(func=_completion)


def _completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode([PROG], shell=args.shell))
    sys.stdout.flush()
    return 0


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request (``_ARGCOMPLETE`` is set) from ``parser`` and exit.

    Deferred flags (``cli/deferred.py``) are added first so they complete before they are used.
    """
    import argcomplete

    _materialize_all(parser)
    argcomplete.autocomplete(parser, always_complete_options=False)


def _materialize_all(parser: argparse.ArgumentParser) -> None:
    from secretsops.cli.deferred import materialize

    materialize(parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in action.choices.values():
                _materialize_all(nested)
