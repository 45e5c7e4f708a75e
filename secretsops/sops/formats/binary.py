"""The binary store: the whole file is one string under ``data``; encrypted form is JSON."""

from __future__ import annotations

from typing import Any

from secretsops.errors import InvalidFormat
from secretsops.sops.formats.json import JsonStore
from secretsops.sops.tree import Branch


class BinaryStore(JsonStore):
    """Picked for every file no other format claims (``formats.registry.FALLBACK``)."""

    name = "binary"
    extensions = ()
    config_section = "json_binary"

    def load_plain(self, data: bytes) -> list[Branch]:
        return [Branch([("data", data.decode("utf-8", "surrogateescape"))])]

    def emit_plain(self, branches: list[Branch]) -> bytes:
        if len(branches) != 1:
            raise InvalidFormat("binary store: there must be exactly one document")
        for k, v in branches[0]:
            if k == "data":
                if not isinstance(v, str):
                    raise InvalidFormat("binary store: 'data' is not a string")
                return v.encode("utf-8", "surrogateescape")
        raise InvalidFormat("binary store: no 'data' key in the file")

    def emit_value(self, value: Any) -> bytes:
        raise InvalidFormat("binary files are not structured; --extract is not possible")
