"""Last line of defence: strip data values from an error message before it leaves us.

Our own messages name templates, positions, fields and types only; but a template can pass
data into ``fail`` or ``printf`` an error text. Any string value of the data (4+ chars) that
shows up in a message is replaced by ``<redacted>``.
"""

from __future__ import annotations

from typing import Any

MIN_SECRET_LEN = 4


def _leaves(data: Any, out: set[str], depth: int = 0) -> None:
    if depth > 50:
        return
    if isinstance(data, str):
        if len(data) >= MIN_SECRET_LEN:
            out.add(data)
            out.update(line for line in data.splitlines() if len(line) >= MIN_SECRET_LEN)
    elif isinstance(data, bytes | bytearray):
        _leaves(bytes(data).decode("utf-8", "surrogateescape"), out, depth + 1)
    elif isinstance(data, dict):
        for v in data.values():
            _leaves(v, out, depth + 1)
    elif isinstance(data, list | tuple):
        for v in data:
            _leaves(v, out, depth + 1)


def redact(message: str, data: Any) -> str:
    """Redact data values from the part of ``message`` after Go's location prefix.

    The prefix (``template: NAME:L:C: executing "NAME" at <NODE>: ``) is template text, which
    is public; scrubbing it would only garble the message when a value happens to equal a word.
    """
    head, sep, tail = message.partition(">: ")
    if not sep or " executing " not in head:
        head, tail = "", message
    secrets: set[str] = set()
    _leaves(data, secrets)
    for s in sorted(secrets, key=len, reverse=True):
        if s in tail:
            tail = tail.replace(s, "<redacted>")
    return head + sep + tail
