"""Flux's ``postBuild`` and ``commonMetadata``, applied to a pass's objects after decryption.

As kustomize-controller does: variables come from ``substituteFrom`` ConfigMaps and Secrets
(read from the API in the Kustomization's namespace, later entries winning; an ``optional`` one
may be missing), then the inline ``substitute`` map wins over them; newlines are removed from
values; every name must match ``^[_A-Za-z][_A-Za-z0-9]*$``. With at least one variable, each
object's YAML text is expanded (``engine.envsubst``) and parsed again — so ``replicas: ${n}``
becomes a number — unless the object is labelled or annotated
``kustomize.toolkit.fluxcd.io/substitute: disabled``. Flux also decrypts before it substitutes.

Values read from Secrets are plaintext: they live in this pass's memory only, and no error or
log line names a value (Secret objects' errors do not even name variables).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from secretsops import yamlio
from secretsops.engine.config import VAR_NAME, CommonMetadata, PostBuild
from secretsops.engine.envsubst import SubstitutionError, expand
from secretsops.errors import EngineError, InputError, RenderError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj, SourcedObject
from secretsops.yamlio.dump import dump

DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
DISABLED = "disabled"


class SubstituteSourceMissing(EngineError):
    """A non-optional ``substituteFrom`` object does not exist (yet): retried."""

    temporary = True


def load_variables(post: PostBuild, kube: KubeClient, namespace: str) -> dict[str, str]:
    """The pass's variables (plaintext from Secrets included: memory only, never logged)."""
    values: dict[str, str] = {}
    for ref in post.substitute_from:
        what = f"postBuild.substituteFrom {ref.kind} {namespace}/{ref.name}"
        obj = kube.get("v1", ref.kind, namespace, ref.name)
        if obj is None:
            if ref.optional:
                continue
            raise SubstituteSourceMissing(f"{what} not found (mark it optional: true if it may be absent)")
        for key, raw in dict(obj.get("data") or {}).items():
            if not VAR_NAME.match(str(key)):
                raise EngineError(f"{what}: {str(key)!r} var name is invalid, must match {VAR_NAME.pattern}")
            values[str(key)] = _text(raw, ref.kind == "Secret", what, str(key)).replace("\n", "")
    for key, value in post.substitute:
        values[key] = value.replace("\n", "")
    return values


def _text(raw: object, encoded: bool, what: str, key: str) -> str:
    if not encoded:
        return str(raw or "")
    try:
        return base64.b64decode(str(raw or ""), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise EngineError(f"{what}: key {key!r} is not base64-encoded UTF-8") from None


def substitute(
    items: Iterable[SourcedObject], values: dict[str, str], *, strict: bool
) -> list[SourcedObject]:
    """Each object's text expanded with ``values`` (nothing at all when there are none, as Flux)."""
    out = list(items)
    if not values:
        return out
    for item in out:
        if _disabled(item.obj):
            continue
        text = dump(item.obj, unfolded=True)
        if "$" not in text:
            continue
        is_secret = item.obj.get("kind") == "Secret"
        try:
            expanded = expand(text, values.get, strict=strict, name_vars=not is_secret)
        except SubstitutionError as exc:
            raise exc.at(file=item.where, object=str(item.id)) from None
        if expanded == text:
            continue
        try:
            docs = yamlio.parse_documents(expanded, item.where)
        except InputError:
            raise RenderError(
                "variable substitution made the object invalid YAML", file=item.where, object=str(item.id)
            ) from None
        if len(docs) != 1 or not isinstance(docs[0], dict):
            raise RenderError(
                "variable substitution did not leave one object", file=item.where, object=str(item.id)
            )
        item.obj = docs[0]
    return out


def _disabled(obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    for field in ("labels", "annotations"):
        found = meta.get(field) if isinstance(meta, dict) else None
        if isinstance(found, dict) and found.get(DISABLE_KEY) == DISABLED:
            return True
    return False


def add_common_metadata(objs: Iterable[Obj], common: CommonMetadata | None) -> None:
    """Flux's ``commonMetadata``: these labels and annotations on every object, over its own."""
    if common is None:
        return
    for obj in objs:
        meta = obj.setdefault("metadata", {})
        if common.labels:
            meta["labels"] = {**(meta.get("labels") or {}), **dict(common.labels)}
        if common.annotations:
            meta["annotations"] = {**(meta.get("annotations") or {}), **dict(common.annotations)}
