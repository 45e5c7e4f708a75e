"""A one-line progress bar for long scans on a terminal (the CLI decides when to show it)."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressLine:
    """Redraws ``[n/total] path`` at most ten times a second; erased when the scan ends."""

    def __init__(self, stream: TextIO, min_interval: float = 0.1) -> None:
        self.stream, self.min_interval, self._last, self._shown = stream, min_interval, 0.0, False

    def __call__(self, n: int, total: int | None, path: str) -> None:
        if n < 0:
            if self._shown:
                self.stream.write("\r\033[K")
                self.stream.flush()
            return
        now = time.monotonic()
        if now - self._last < self.min_interval:
            return
        self._last, self._shown = now, True
        count = f"{n}/{total}" if total else str(n)
        self.stream.write(f"\r\033[Kscanning [{count}] {path[-60:]}")
        self.stream.flush()
