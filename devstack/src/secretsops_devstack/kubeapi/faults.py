"""Fault injection: make the next N matching requests fail, to test clients' retry and backoff."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from .status import REASONS, ApiError

MESSAGES = {
    409: "Operation cannot be fulfilled: injected conflict",
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected fault",
    503: "The server is currently unable to handle the request",
    504: "The server was unable to return a response in the time allotted, but may still be processing the "
    "request",
}


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    remaining: int
    retry_after: int | None = None
    message: str = ""

    def error(self) -> ApiError:
        details: dict[str, Any] | None = None
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            details = {"retryAfterSeconds": self.retry_after}
            headers["Retry-After"] = str(self.retry_after)
        message = self.message or MESSAGES.get(self.status, "injected fault")
        return ApiError(self.status, REASONS.get(self.status, "Unknown"), message, details, headers)


class Faults:
    """The armed faults; the first that matches a request fires and counts down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        *,
        retry_after: int | None = None,
        message: str = "",
    ) -> Fault:
        fault = Fault(method.upper(), re.compile(path_regex), status, times, retry_after, message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> ApiError | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.method in (method, "*") and fault.path.search(path):
                    fault.remaining -= 1
                    return fault.error()
        return None
