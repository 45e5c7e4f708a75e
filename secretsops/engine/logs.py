"""Structured JSON logs (stdlib logging). Callers pass names and ids in ``extra``, never values."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: ``extra`` keys copied into the JSON record
FIELDS = ("source", "revision", "object", "count", "reason", "duration", "attempt", "delay")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            out["error"] = record.exc_info[0].__name__  # type only: exception text may quote input
        return json.dumps(out, default=str)


def configure(level: int = logging.INFO, stream: Any = None) -> logging.Handler:
    """Install the JSON handler on the ``secretsops`` logger (called by the CLI only)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("secretsops")
    logger.handlers = [handler]
    logger.setLevel(level)
    return handler
