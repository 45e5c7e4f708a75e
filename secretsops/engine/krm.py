"""The kustomize KRM function: a ``ResourceList``'s items decrypted in memory (plugins/kustomize/).

kustomize hands every item through functions with bookkeeping annotations
(``config.kubernetes.io/*``); they are removed before decrypting (a SOPS MAC covers the whole
document as it was encrypted) and put back afterwards, on each output item of the same origin.
When other transformers changed a SOPS document, its origin file (inside the kustomization root
only) is opened instead and every ciphertext checked to be byte-identical. Then the items go
through the one pipeline (``engine.pipeline``), as in ``render`` and the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secretsops.decryptors.sops import data_key_cache
from secretsops.engine.pipeline import build_pipeline
from secretsops.errors import MacMismatch, UsageError
from secretsops.keysources.base import KeyContext
from secretsops.manifests import SourcedObject

#: annotations kustomize adds to items while they travel through functions; not part of the file
KRM_INTERNAL_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/")


def decrypt_resource_list(
    doc: Any, private_keys: list[str], environ: Mapping[str, str], root: Path | None = None
) -> dict[str, Any]:
    """The ResourceList with its items decrypted; kustomize's bookkeeping annotations kept."""
    from secretsops.sops.api import is_encrypted_document

    if not isinstance(doc, dict) or doc.get("kind") != "ResourceList":
        raise UsageError("expected a config.kubernetes.io/v1 ResourceList", file="stdin")
    items_in = doc.get("items") or []
    if not isinstance(items_in, list):
        raise UsageError("ResourceList items must be a list", file="stdin")
    sourced: list[SourcedObject] = []
    internal: dict[tuple[str, int], dict[str, str]] = {}
    for index, item in enumerate(items_in):
        if not isinstance(item, dict):
            raise UsageError(f"items[{index}] is not an object", file="stdin")
        obj, notes = _strip_internal(item)
        path = _origin_path(notes) or "ResourceList items"
        internal[(path, index)] = notes
        sourced.append(SourcedObject(obj, path, index))
    pipeline = build_pipeline(
        KeyContext.from_environ(environ),
        sealing_key_files=[f for arg in private_keys for f in str(arg).split(",") if f],
    )
    ctx = pipeline.context
    for item in sourced:
        if is_encrypted_document(item.obj):
            notes = internal[(item.path, item.index)]
            item.obj = open_sops_item(
                item.obj, notes, root or Path.cwd(), ctx.keys, data_key_cache(ctx), where=item.where
            )
    items_out = []
    for item in pipeline.run(sourced):
        obj = item.obj
        notes = internal.get((item.path, item.index), {})
        if notes:
            meta = obj.setdefault("metadata", {})
            meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
        items_out.append(obj)
    return {**doc, "items": items_out}


def _strip_internal(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    meta = item.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return item, {}
    notes = {k: str(v) for k, v in meta["annotations"].items() if str(k).startswith(KRM_INTERNAL_PREFIXES)}
    if not notes:
        return item, {}
    kept = {k: v for k, v in meta["annotations"].items() if k not in notes}
    ordered = {k: (kept if k == "annotations" else v) for k, v in meta.items() if k != "annotations" or kept}
    return {**item, "metadata": ordered}, notes


def open_sops_item(
    obj: dict[str, Any], notes: dict[str, str], root: Path, keys: Any, cache: Any, *, where: str
) -> dict[str, Any]:
    """Decrypt a SOPS item as it arrived; if kustomize reordered or transformed it (the MAC covers
    the document as encrypted), open the original document from its origin file instead and put
    its plaintext at the item's encrypted leaves, each of which must be byte-identical there."""
    from secretsops.sops.api import decrypt_document, decrypt_documents

    try:
        return decrypt_document(obj, ctx=keys, cache=cache, where=where)
    except MacMismatch:
        found = _origin_document(obj, notes, root)
        if found is None:
            raise MacMismatch(
                "MAC mismatch and no origin file to compare with (kustomize changed the "
                "document; add `buildMetadata: [originAnnotations]` to the kustomization)",
                file=where,
            ) from None
    original, index, data, fmt = found
    # parsed as sops parses (go-yaml scalars), so the MAC is exact for every unencrypted value too
    plain_docs = decrypt_documents(data, fmt, ctx=keys, cache=cache, where=where)
    plain = plain_docs[index] if index < len(plain_docs) else None
    if not isinstance(plain, dict) or _identity(plain) != _identity(original):
        raise MacMismatch("cannot match the document in its origin file", file=where)
    return dict(_substitute(obj, original, plain, where, ()))


def _identity(doc: dict[str, Any]) -> tuple[str, str]:
    return str(doc.get("kind")), str((doc.get("metadata") or {}).get("name"))


def _origin_path(notes: dict[str, str]) -> str:
    """The file an item came from: kustomize's origin annotation, else the kio path annotations."""
    from secretsops import yamlio
    from secretsops.errors import InputError

    origin = notes.get("config.kubernetes.io/origin")
    if origin:
        try:
            found = (yamlio.load_one(origin, "config.kubernetes.io/origin") or {}).get("path")
        except (InputError, AttributeError):
            found = None
        if found:
            return str(found)
    return notes.get("internal.config.kubernetes.io/path") or notes.get("config.kubernetes.io/path") or ""


def _origin_document(
    obj: dict[str, Any], notes: dict[str, str], root: Path
) -> tuple[dict[str, Any], int, bytes, str] | None:
    """The document with the same SOPS MAC in the item's origin file (inside ``root`` only):
    the parsed document, its index among the file's documents, the file's bytes and format."""
    from secretsops import yamlio
    from secretsops.errors import InputError

    rel = _origin_path(notes)
    if not rel:
        return None
    base = root.resolve()
    target = (base / rel).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return None
    mac = (obj.get("sops") or {}).get("mac")
    try:
        data = yamlio.read_bytes(target, rel)
        docs = yamlio.load_documents(yamlio.decode(data, rel), rel)
    except InputError:
        return None
    fmt = "json" if target.suffix == ".json" else "yaml"
    for index, doc in enumerate(docs):
        if isinstance(doc, dict) and isinstance(doc.get("sops"), dict) and doc["sops"].get("mac") == mac:
            return doc, index, data, fmt
    return None


def _substitute(item: Any, original: Any, plain: Any, where: str, path: tuple[str, ...]) -> Any:
    if isinstance(item, dict):
        out = {}
        for key, value in item.items():
            if not path and key == "sops":
                continue
            sub = (
                original.get(key) if isinstance(original, dict) else None,
                plain.get(key) if isinstance(plain, dict) else None,
            )
            out[key] = _substitute(value, sub[0], sub[1], where, (*path, str(key)))
        return out
    if isinstance(item, list):
        return [
            _substitute(
                v,
                original[i] if isinstance(original, list) and i < len(original) else None,
                plain[i] if isinstance(plain, list) and i < len(plain) else None,
                where,
                (*path, str(i)),
            )
            for i, v in enumerate(item)
        ]
    if isinstance(item, str) and item.startswith("ENC["):
        if item != original:
            raise MacMismatch("encrypted value differs from its origin file", file=where, key=".".join(path))
        return plain
    return item

