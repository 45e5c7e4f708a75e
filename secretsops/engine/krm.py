"""The kustomize KRM function: a ``ResourceList``'s items decrypted in memory (plugins/kustomize/).

Two roles, chosen by the ``functionConfig`` kustomize hands over:

* **transformer** (``kind: Decrypt``, listed under ``transformers:``): every item is opened like
  ``render`` opens a kustomize build: SOPS resources (also from bases, after namespace/prefix/
  label transforms) through their origin files found from the kustomization directory (the
  working directory kustomize gives an exec function), SOPS ``secretGenerator`` output, then
  SealedSecrets and ExternalSecrets, through the one pipeline (``engine.pipeline``);
* **generator** (KSOPS' ``kind: ksops``, any apiVersion, listed under ``generators:``): KSOPS'
  ``files`` (whole SOPS-encrypted manifests) and ``secretFrom`` (Secrets from ``files``,
  ``binaryFiles`` and ``envs``), so a KSOPS user switches by changing ``exec.path`` to
  ``secretsops-krm``. Metadata is passed on as written, so kustomize's generator annotations
  (``kustomize.config.k8s.io/needs-hash``, ``kustomize.config.k8s.io/behavior``) act as with KSOPS.

kustomize's bookkeeping annotations (``config.kubernetes.io/*`` and friends) are removed before a
SOPS document is opened as it is (the MAC covers the document as encrypted) and put back after.
Output passes the one emit guard: an item still holding SOPS ciphertext fails the function.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.decryptors.guard import guard_objects
from secretsops.decryptors.sops import data_key_cache
from secretsops.engine import kustomize
from secretsops.engine.generators import parse_env
from secretsops.engine.pipeline import build_pipeline
from secretsops.errors import InputError, RenderError, SecretsOpsError, UsageError
from secretsops.keysources.base import KeyContext
from secretsops.manifests import SourcedObject, is_kubernetes_object

#: annotations kustomize adds to items while they travel through functions; not part of the file
KRM_INTERNAL_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/id",
)
#: functionConfig kinds that make the function a generator (KSOPS' manifest)
GENERATOR_KINDS = ("ksops",)


def decrypt_resource_list(
    doc: Any, private_keys: list[str], environ: Mapping[str, str], root: Path | None = None
) -> dict[str, Any]:
    """The ResourceList with its items decrypted (and generated ones added); kustomize's
    bookkeeping annotations kept."""
    if not isinstance(doc, dict) or doc.get("kind") != "ResourceList":
        raise UsageError("expected a config.kubernetes.io/v1 ResourceList", file="stdin")
    items_in = doc.get("items") or []
    if not isinstance(items_in, list):
        raise UsageError("ResourceList items must be a list", file="stdin")
    base = root or Path.cwd()
    sourced: list[SourcedObject] = []
    internal: dict[tuple[str, int], dict[str, str]] = {}
    for index, item in enumerate(items_in):
        if not isinstance(item, dict):
            raise UsageError(f"items[{index}] is not an object", file="stdin")
        obj, notes = _strip_internal(item)
        path = _origin_path(notes) or "ResourceList items"
        internal[(path, index)] = notes
        sourced.append(SourcedObject(obj, path, index))
    config = doc.get("functionConfig")
    keys = KeyContext.from_environ(environ)
    if isinstance(config, dict) and str(config.get("kind")) in GENERATOR_KINDS:
        # kustomize hands a generator its own manifest(s) as the items, as KSOPS expects: each one
        # is replaced by what it generates
        manifests = [i.obj for i in sourced if str(i.obj.get("kind")) in GENERATOR_KINDS] or [config]
        generated = [obj for manifest in manifests for obj in ksops_generate(manifest, base, keys)]
        sourced = [SourcedObject(obj, "functionConfig", n) for n, obj in enumerate(generated)]
    kustomize.attach_origins(sourced, base)
    pipeline = build_pipeline(
        keys, sealing_key_files=[f for arg in private_keys for f in str(arg).split(",") if f]
    )
    items_out = []
    for item in pipeline.run(sourced):
        obj = item.obj
        notes = internal.get((item.path, item.index), {})
        if notes:
            meta = obj.setdefault("metadata", {})
            meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
        items_out.append(obj)
    guard_objects(items_out, "ResourceList")
    return {**doc, "items": items_out}


def ksops_generate(config: dict[str, Any], base: Path, keys: KeyContext) -> list[dict[str, Any]]:
    """KSOPS' generator: the objects its ``files`` and ``secretFrom`` describe, decrypted.

    Paths are relative to the kustomization directory and must stay inside it (kustomize's own
    load restriction). ``files`` must hold Kubernetes objects; a ``secretFrom`` entry becomes a
    Secret with ``stringData`` (``files``, ``envs``) and ``data`` (``binaryFiles``).
    """
    from secretsops.decryptors.base import DecryptContext
    from secretsops.sops.api import decrypt_bytes

    files = config.get("files")
    secret_from = config.get("secretFrom")
    if files is None and secret_from is None:
        raise UsageError("the ksops generator needs `files` or `secretFrom`", file="functionConfig")
    cache = data_key_cache(DecryptContext(keys=keys))
    out: list[dict[str, Any]] = []

    def opened(rel: str, field: str) -> bytes:
        target = _inside(base, rel, field)
        try:
            data = yamlio.read_bytes(target, rel)
        except InputError as exc:
            raise UsageError(str(exc), file="functionConfig", key=field) from None
        fmt = kustomize.sops_format_for(rel)
        try:
            return decrypt_bytes(data, fmt, ctx=keys, cache=cache, where=rel)
        except SecretsOpsError as exc:
            raise exc.at(key=field) from None

    for rel in _strings(files, "files"):
        text = opened(rel, "files").decode("utf-8", "replace")
        try:
            docs = yamlio.load_documents(text, rel)
        except InputError:
            raise RenderError(f"{rel}: the decrypted file is not YAML", key="files") from None
        for found in docs:
            if not is_kubernetes_object(found):
                raise RenderError(f"{rel}: not a Kubernetes object", key="files")
            out.append(found)
    for n, spec in enumerate(_list(secret_from, "secretFrom")):
        field = f"secretFrom[{n}]"
        string_data: dict[str, str] = {}
        binary: dict[str, str] = {}
        for entry in _strings(spec.get("files"), f"{field}.files"):
            key, rel = _key_path(entry)
            string_data[key] = opened(rel, f"{field}.files").decode("utf-8", "replace")
        for entry in _strings(spec.get("binaryFiles"), f"{field}.binaryFiles"):
            key, rel = _key_path(entry)
            binary[key] = base64.b64encode(opened(rel, f"{field}.binaryFiles")).decode("ascii")
        for rel in _strings(spec.get("envs"), f"{field}.envs"):
            plain = opened(rel, f"{field}.envs").decode("utf-8", "replace")
            string_data.update(parse_env(plain, f"{field}.envs"))
        meta = spec.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise UsageError(f"{field}.metadata.name is required", file="functionConfig")
        secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": dict(meta)}
        if spec.get("type"):
            secret["type"] = str(spec["type"])
        if string_data:
            secret["stringData"] = string_data
        if binary:
            secret["data"] = binary
        out.append(secret)
    return out


def _inside(base: Path, rel: str, field: str) -> Path:
    target = (base / rel).resolve()
    if not target.is_relative_to(base.resolve()):
        raise UsageError(f"{rel}: outside the kustomization directory", file="functionConfig", key=field)
    return target


def _key_path(entry: str) -> tuple[str, str]:
    key, sep, rel = entry.partition("=")
    if not sep:
        return Path(entry).name, entry
    if "=" in rel or not key:
        raise UsageError(f"{entry}: expected [key=]path", file="functionConfig")
    return key, rel


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise UsageError(f"{field} must be a list", file="functionConfig")
    return [str(v) for v in value]


def _list(value: Any, field: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise UsageError(f"{field} must be a list of objects", file="functionConfig")
    return value


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


def _origin_path(notes: dict[str, str]) -> str:
    """The file an item came from: kustomize's origin annotation, else the kio path annotations."""
    origin = notes.get("config.kubernetes.io/origin")
    if origin:
        try:
            found = (yamlio.load_one(origin, "config.kubernetes.io/origin") or {}).get("path")
        except (InputError, AttributeError):
            found = None
        if found:
            return str(found)
    return notes.get("internal.config.kubernetes.io/path") or notes.get("config.kubernetes.io/path") or ""
