"""The one fail-closed guard: nothing we emit may still hold SOPS ciphertext or SOPS metadata.

Every emitter calls :func:`guard_objects` on the objects it is about to hand on (``render``,
the kustomize KRM function, the Argo CD plugin through ``render``, the Helm post-renderer, the
engine through ``engine.pipeline``, the controllers before they write a Secret). A decryption
step that silently did not run — a kustomize build without ``--enable-exec``, a generator input
nobody recognised, a decryptor not installed — would otherwise put ``ENC[AES256_GCM,…]`` into a
cluster with exit 0. What counts as a leak, anywhere in an object:

* a string holding ``ENC[AES256_GCM,`` (also inside base64 ``data``/``binaryData`` values of
  Secrets and ConfigMaps, where kustomize puts generator files);
* a top-level ``sops`` mapping (an encrypted document that was never opened);
* a ``sops`` or ``sops_*`` key in a Secret's or ConfigMap's data (a SOPS dotenv/ini file that
  kustomize flattened into keys).

The one exception is an object made to carry ciphertext into the cluster for an in-cluster
controller to open (``SopsSecret.secretsops.io``'s ``spec.sops``). The error names the object and
the key, never a value. It lives here, low in the layers, so the controllers can call it too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from typing import Any

from secretsops.errors import RenderError
from secretsops.manifests import Obj, ObjectId, SourcedObject

#: the SOPS value marker (sops writes no other cipher)
SOPS_MARKER = "ENC[AES256_GCM,"
_MARKER_BYTES = SOPS_MARKER.encode("ascii")
#: (API group, kind) -> the path whose ciphertext an in-cluster controller opens
CARRIERS: dict[tuple[str, str], tuple[str, ...]] = {("secretsops.io", "SopsSecret"): ("spec", "sops")}
_DATA_KINDS = ("Secret", "ConfigMap")
_ENCODED_FIELDS = ("data", "binaryData")

HOW_TO_FIX = (
    "a decryption step did not run for it (kustomize: build with --enable-alpha-plugins "
    "--enable-exec, or use `secretsops render`); nothing was emitted"
)


class CiphertextEmitted(RenderError):
    """An object about to leave still holds SOPS ciphertext or metadata (fail closed)."""


def find_leak(obj: Obj) -> str | None:
    """The key path of the first SOPS ciphertext or metadata in ``obj``, or None when clean."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("sops"), dict):
        return "sops"
    carrier = CARRIERS.get((_group(obj), str(obj.get("kind") or "")))
    if obj.get("kind") in _DATA_KINDS and str(obj.get("apiVersion")) == "v1":
        found = _data_leak(obj)
        if found:
            return found
    for path, value in _strings(obj, ()):
        if carrier is not None and path[: len(carrier)] == carrier:
            continue
        if SOPS_MARKER in value:
            return ".".join(path)
    return None


def guard_objects(objs: Iterable[Obj], where: str = "") -> None:
    """Raise ``CiphertextEmitted`` for the first object that still holds SOPS material."""
    for obj in objs:
        leak = find_leak(obj)
        if leak is not None:
            raise CiphertextEmitted(
                f"still holds SOPS ciphertext or metadata: {HOW_TO_FIX}",
                file=where,
                object=str(ObjectId.of(obj)),
                key=leak,
            )


def guard_items(items: Iterable[SourcedObject]) -> None:
    """:func:`guard_objects` for rendered items, each error located at the item's file."""
    for item in items:
        leak = find_leak(item.obj)
        if leak is not None:
            raise CiphertextEmitted(
                f"still holds SOPS ciphertext or metadata: {HOW_TO_FIX}",
                file=item.where,
                object=str(item.id),
                key=leak,
            )


def _group(obj: Obj) -> str:
    api = str(obj.get("apiVersion") or "")
    return api.rpartition("/")[0] if "/" in api else ""


def _data_leak(obj: Obj) -> str | None:
    for field in ("data", "stringData", "binaryData"):
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            name = str(key)
            if name == "sops" or name.startswith("sops_"):
                return f"{field}.{name}"
            if field in _ENCODED_FIELDS and isinstance(value, str) and _decoded_has_marker(value):
                return f"{field}.{name}"
    return None


def _decoded_has_marker(value: str) -> bool:
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return _MARKER_BYTES in raw


def _strings(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, str(index)))
