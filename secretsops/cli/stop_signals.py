"""SIGTERM and SIGHUP as an orderly exit, for commands that hold something to clean up.

Python dies on SIGTERM and SIGHUP without running ``finally`` blocks, so a plaintext file for an
editor (``edit``) or a private directory with a GnuPG home (``reconcile --once``) would stay
behind. Inside :func:`stop_signals_raise` both raise :class:`Stopped` instead, like Ctrl+C
raises KeyboardInterrupt; the command removes what it made and exits with 128 + the signal, as
a shell reports it. Handlers belong to the process: only the CLI installs them, around one
operation, and restores the previous ones.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: the signals that end a command in an orderly way (SIGINT already raises KeyboardInterrupt)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):  # noqa: N818 - named like KeyboardInterrupt, which it mirrors
    """A stop signal arrived; ``signum`` is kept for the exit status (128 + signal, as shells).

    A BaseException, like KeyboardInterrupt: code that turns any ``Exception`` into a failure
    (the engine's "internal error" stall) must not swallow a request to stop.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Stopped` so ``finally`` blocks run.

    Signal handlers belong to the process (and to its main thread): the CLI uses this around one
    operation, and the previous handlers are restored on the way out.
    """

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
