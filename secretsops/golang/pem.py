"""encoding/pem Decode/Encode with Go's behaviour (64-column base64, trailing rest)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

_BEGIN = re.compile(rb"(?:^|\n)-----BEGIN ([^\r\n]*?)-----[ \t]*\r?\n")


@dataclass(slots=True)
class Block:
    type: str
    der: bytes
    headers: dict[str, str] = field(default_factory=dict)


def decode(data: bytes) -> tuple[Block | None, bytes]:
    """pem.Decode: the first well-formed block and the bytes after it, or (None, data)."""
    rest = data
    while True:
        m = _BEGIN.search(rest)
        if m is None:
            return None, data
        typ = m.group(1)
        after = rest[m.end() :]
        end_marker = b"-----END " + typ + b"-----"
        i = after.find(end_marker)
        if i < 0:
            rest = after  # Go: a likely-looking but invalid block; search again after it
            continue
        body = after[:i]
        tail = after[i + len(end_marker) :]
        tail = re.sub(rb"^[ \t]*\r?\n", b"", tail, count=1) if re.match(rb"^[ \t]*\r?\n", tail) else tail
        headers: dict[str, str] = {}
        lines = body.split(b"\n")
        j = 0
        while j < len(lines) and b":" in lines[j]:
            k, _, v = lines[j].partition(b":")
            headers[k.strip().decode("latin-1")] = v.strip().decode("latin-1")
            j += 1
        if headers and j < len(lines) and lines[j].strip() == b"":
            j += 1
        b64 = b"".join(line.strip() for line in lines[j:])
        try:
            der = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            rest = rest[m.end() :]
            continue
        return Block(typ.decode("latin-1"), der, headers), tail


def encode(block: Block) -> bytes:
    """pem.Encode: BEGIN line, sorted headers (Proc-Type first), 64-column base64, END line."""
    out = [b"-----BEGIN " + block.type.encode() + b"-----\n"]
    if block.headers:
        keys = sorted(block.headers)
        if "Proc-Type" in keys:
            keys.remove("Proc-Type")
            keys.insert(0, "Proc-Type")
        for k in keys:
            out.append(f"{k}: {block.headers[k]}\n".encode())
        out.append(b"\n")
    b64 = base64.b64encode(block.der)
    for i in range(0, len(b64), 64):
        out.append(b64[i : i + 64] + b"\n")
    out.append(b"-----END " + block.type.encode() + b"-----\n")
    return b"".join(out)
