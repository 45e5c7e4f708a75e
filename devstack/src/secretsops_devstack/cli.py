"""``secretsops-demo``: run the narrated demo (``scripts/demo.sh``, the README's main job).

A console script of the devstack distribution rather than a ``secretsops`` subcommand: the product's
CLI then knows nothing of a demo it does not ship, and needs no plugin seam for commands.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from secretsops.errors import SecretsOpsError

from .demo import DemoOptions, run_demo

PROG = "secretsops-demo"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Start OpenBao, moto, a Kubernetes API test server and a git repo from examples/, "
        "run the engine and narrate sync, drift, change and revert (no values shown). "
        "Everything is removed on exit.",
    )
    parser.add_argument(
        "--keep-running", action="store_true", help="after the story, keep the stack and the loop running"
    )
    parser.add_argument("--examples", help="examples directory (default: the repository's examples/)")
    return parser


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # the narration tells the story; the engine's JSON logs would only interleave with it
    logging.getLogger("secretsops").addHandler(logging.NullHandler())
    # SIGTERM (kill, a closing terminal) cleans up like Ctrl-C: servers stopped, temp dir removed
    signal.signal(signal.SIGTERM, _interrupt)
    examples = Path(args.examples) if args.examples else None
    options = DemoOptions(examples=examples, keep_running=args.keep_running)
    try:
        return run_demo(options, sys.stdout)
    except SecretsOpsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # never a traceback (exception text may quote input), as the secretsops CLI does
        if os.environ.get("SECRETSOPS_DEBUG"):
            raise
        print(
            f"{PROG}: internal error ({type(exc).__name__}); rerun with SECRETSOPS_DEBUG=1 for a traceback",
            file=sys.stderr,
        )
        return 1
