"""What the controller writes when the Secret already exists (managed / patch annotations).

The Bitnami controller refuses to overwrite a Secret it does not own unless that live Secret
carries ``sealedsecrets.bitnami.com/managed: "true"`` (take it over) or ``.../patch: "true"``
(merge our keys, labels and annotations into it, keeping the rest). This is that decision as a
pure function, so the engine and a future in-cluster controller apply the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secretsops.errors import SealedError
from secretsops.manifests import Obj
from secretsops.sealed.scope import MANAGED, PATCH


def _annotated(obj: Mapping[str, Any], key: str) -> bool:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key) == "true"


def is_controlled_by(secret: Mapping[str, Any], sealed: Mapping[str, Any]) -> bool:
    """metav1.IsControlledBy: a controller ownerReference with the SealedSecret's uid."""
    uid = (sealed.get("metadata") or {}).get("uid")
    refs = (secret.get("metadata") or {}).get("ownerReferences") or []
    return bool(uid) and any(r.get("controller") and r.get("uid") == uid for r in refs)


def secret_to_write(live: Obj | None, desired: Obj, sealed: Obj) -> Obj:
    """The Secret the controller would store, given the live one (None: create ``desired``)."""
    if live is None:
        return desired
    meta = dict(live.get("metadata") or {})
    if not (is_controlled_by(live, sealed) or _annotated(live, MANAGED) or _annotated(live, PATCH)):
        raise SealedError(f'Resource "{meta.get("name")}" already exists and is not managed by SealedSecret')
    new_meta = desired.get("metadata") or {}
    out = dict(live)
    if _annotated(live, PATCH):
        out["data"] = {**(live.get("data") or {}), **(desired.get("data") or {})}
        meta["labels"] = {**(meta.get("labels") or {}), **(new_meta.get("labels") or {})}
        meta["annotations"] = {**(meta.get("annotations") or {}), **(new_meta.get("annotations") or {})}
        if _annotated(live, MANAGED):
            meta["ownerReferences"] = new_meta.get("ownerReferences")
    else:
        out["data"] = desired.get("data")
        for key in ("annotations", "labels", "ownerReferences"):
            meta[key] = new_meta.get(key)
    out["metadata"] = {k: v for k, v in meta.items() if v is not None}
    if desired.get("type") is not None:
        out["type"] = desired["type"]
    else:
        out.pop("type", None)
    return out
