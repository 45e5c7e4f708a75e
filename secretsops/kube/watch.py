"""A watch stream: the API server's newline-delimited JSON events, read as they arrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secretsops.errors import KubeError, KubeUnavailable
from secretsops.kube.status import status_error
from secretsops.manifests import Obj


@dataclass
class WatchStream:
    """The events of one watch request, read as they arrive (newline-delimited JSON).

    Each event is ``{"type": ADDED|MODIFIED|DELETED|BOOKMARK, "object": {...}}``; a BOOKMARK
    carries only ``metadata.resourceVersion`` (where to resume).
    """

    raw: Any  # urllib3.HTTPResponse, not preloaded
    what: str = "watch"
    _closed: bool = False

    def __iter__(self) -> Iterator[Obj]:
        buf = b""
        try:
            for chunk in self.raw.stream(65536, decode_content=True):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield self._event(line)
            if buf.strip():
                yield self._event(buf)
        except KubeError:
            raise
        except Exception as exc:  # noqa: BLE001 - connection cut mid-stream: the caller watches again
            if not self._closed:
                raise KubeUnavailable(f"stream broken ({type(exc).__name__})", object=self.what) from None
        finally:
            self.close()

    def _event(self, line: bytes) -> Obj:
        try:
            event = json.loads(line)
        except ValueError:
            raise KubeUnavailable("the API server sent a line that is not JSON", object=self.what) from None
        if not isinstance(event, dict):
            raise KubeUnavailable("the API server sent an event that is not an object", object=self.what)
        if event.get("type") == "ERROR":
            status = event.get("object") or {}
            code = int(status.get("code") or 0)
            raise status_error(code, str(status.get("reason") or ""), [], self.what, "ended the watch")
        return event

    def close(self) -> None:
        """End the stream, also from another thread (a reader blocked in recv returns)."""
        if self._closed:
            return
        self._closed = True
        for end in ("shutdown", "release_conn"):
            try:
                getattr(self.raw, end)()
            except Exception:  # noqa: BLE001, S110 - best effort: the socket may be gone already
                pass
