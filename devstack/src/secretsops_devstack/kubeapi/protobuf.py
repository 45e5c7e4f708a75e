"""Decode the Kubernetes protobuf request bodies kubectl's typed clients send for simple kinds.

kubectl's imperative generators (``kubectl create secret|configmap|namespace|serviceaccount``) send
``application/vnd.kubernetes.protobuf``: the magic ``k8s\\0`` and a ``runtime.Unknown`` envelope around
the object's generated protobuf. Without the generated descriptors, this module reads the wire format
with field tables for those few kinds (numbers from k8s.io/api's generated.proto); anything else is
refused with 415 like a server that does not speak protobuf.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# field number -> (JSON name, kind); kinds: s (string), b (bytes), bool, int, time, ss (map<string,string>),
# sb (map<string,bytes>), [s] (repeated string), a message table, or [table] (repeated message)
Table = dict[int, tuple[str, Any]]

OWNER_REFERENCE: Table = {
    1: ("kind", "s"),
    3: ("name", "s"),
    4: ("uid", "s"),
    5: ("apiVersion", "s"),
    6: ("controller", "bool"),
    7: ("blockOwnerDeletion", "bool"),
}
OBJECT_META: Table = {
    1: ("name", "s"),
    2: ("generateName", "s"),
    3: ("namespace", "s"),
    4: ("selfLink", "s"),
    5: ("uid", "s"),
    6: ("resourceVersion", "s"),
    7: ("generation", "int"),
    8: ("creationTimestamp", "time"),
    9: ("deletionTimestamp", "time"),
    10: ("deletionGracePeriodSeconds", "int"),
    11: ("labels", "ss"),
    12: ("annotations", "ss"),
    13: ("ownerReferences", [OWNER_REFERENCE]),
    14: ("finalizers", ["s"]),
}
OBJECT_REFERENCE: Table = {
    1: ("kind", "s"),
    2: ("namespace", "s"),
    3: ("name", "s"),
    4: ("uid", "s"),
    5: ("apiVersion", "s"),
    6: ("resourceVersion", "s"),
    7: ("fieldPath", "s"),
}
KINDS: dict[tuple[str, str], Table] = {
    ("v1", "Secret"): {
        1: ("metadata", OBJECT_META),
        2: ("data", "sb"),
        3: ("type", "s"),
        4: ("stringData", "ss"),
        5: ("immutable", "bool"),
    },
    ("v1", "ConfigMap"): {
        1: ("metadata", OBJECT_META),
        2: ("data", "ss"),
        3: ("binaryData", "sb"),
        4: ("immutable", "bool"),
    },
    ("v1", "Namespace"): {
        1: ("metadata", OBJECT_META),
        2: ("spec", {1: ("finalizers", ["s"])}),
        3: ("status", {1: ("phase", "s")}),
    },
    ("v1", "ServiceAccount"): {
        1: ("metadata", OBJECT_META),
        2: ("secrets", [OBJECT_REFERENCE]),
        3: ("imagePullSecrets", [{1: ("name", "s")}]),
        4: ("automountServiceAccountToken", "bool"),
    },
}


class Unsupported(ValueError):
    """Not a protobuf body this server can read."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise Unsupported("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: varints as int, length-delimited as bytes; fixed widths skipped."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise Unsupported("truncated field")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise Unsupported(f"wire type {wire}")
    return out


def _message(data: bytes, table: Table) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for number, value in _fields(data):
        if number not in table:
            continue
        name, kind = table[number]
        if isinstance(kind, list):
            item_kind = kind[0]
            item = (
                value.decode()
                if item_kind == "s" and isinstance(value, bytes)
                else _message(_bytes(value), item_kind)
            )
            obj.setdefault(name, []).append(item)
        elif isinstance(kind, dict):
            obj[name] = _message(_bytes(value), kind)
        elif kind in ("ss", "sb"):
            entry = dict(_fields(_bytes(value)))
            key = _bytes(entry.get(1, b"")).decode()
            raw = _bytes(entry.get(2, b""))
            obj.setdefault(name, {})[key] = raw.decode() if kind == "ss" else base64.b64encode(raw).decode()
        elif kind == "s":
            text = _bytes(value).decode()
            if text:  # Go writes empty strings; JSON (omitempty) leaves them out
                obj[name] = text
        elif kind == "bool":
            obj[name] = bool(value)
        elif kind == "int":
            if isinstance(value, int) and value:
                obj[name] = value
        elif kind == "time":
            seconds = dict(_fields(_bytes(value))).get(1, 0)
            if isinstance(seconds, int) and seconds:  # a zero Time is null in JSON
                obj[name] = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return obj


def _bytes(value: int | bytes) -> bytes:
    if not isinstance(value, bytes):
        raise Unsupported("expected a length-delimited field")
    return value


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object of a supported kind; :class:`Unsupported` otherwise."""
    if not body.startswith(MAGIC):
        raise Unsupported("missing the k8s protobuf magic")
    envelope = dict(_fields(body[len(MAGIC) :]))
    type_meta = {n: _bytes(v).decode() for n, v in _fields(_bytes(envelope.get(1, b""))) if n in (1, 2)}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    table = KINDS.get((api_version, kind))
    if table is None:
        raise Unsupported(f"{api_version} {kind}")
    obj = {"apiVersion": api_version, "kind": kind}
    obj.update(_message(_bytes(envelope.get(2, b"")), table))
    return obj
