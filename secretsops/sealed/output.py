"""Print objects the way kubeseal does (k8s.io/apimachinery's pretty JSON and YAML serializers).

JSON keeps Go struct field order (the caller builds dicts in that order, see ``order_meta``),
sorts map keys, indents by two and escapes ``<``, ``>``, ``&`` like encoding/json. YAML goes
through JSON in Go (sigs.k8s.io/yaml), so every mapping comes out with go-yaml v2's key order,
and kubeseal starts each YAML document with ``---``. The Go encoders themselves are
:mod:`secretsops.golang.encoding_json` and :mod:`secretsops.golang.yaml_v2`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secretsops.golang import encoding_json, yaml_v2
from secretsops.manifests import Obj

#: the read-only ObjectMeta fields the API server sets (kubeseal strips them before sealing)
SERVER_FIELDS = (
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
#: metav1.ObjectMeta field order
_META_ORDER = (
    "name",
    "generateName",
    "namespace",
    *SERVER_FIELDS,
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)
_OWNER_REF_ORDER = ("apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion")
#: fields that are maps in Go (encoding/json sorts map keys)
_MAP_FIELDS = ("labels", "annotations")


def order_meta(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """ObjectMeta as Go would serialise it: known fields in order, unknown dropped, empties omitted.

    ``creationTimestamp`` is a struct in Go, so it is always present (``null`` when unset).
    """
    src = dict(meta or {})
    out: dict[str, Any] = {}
    for key in _META_ORDER:
        value = src.get(key)
        if key == "creationTimestamp":
            out[key] = value
            continue
        if value in (None, "", 0, {}, []):
            continue
        if key in _MAP_FIELDS and isinstance(value, Mapping):
            value = {str(k): str(v) for k, v in sorted(value.items())}
        if key == "ownerReferences" and isinstance(value, list):
            value = [order_owner_ref(ref) for ref in value]
        out[key] = value
    return out


def order_owner_ref(ref: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _OWNER_REF_ORDER:
        if key in ("uid", "apiVersion", "kind", "name"):
            out[key] = ref.get(key) or ""
        elif ref.get(key) is not None:
            out[key] = ref[key]
    return out


def sorted_map(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in sorted((value or {}).items())}


def go_json(obj: Any) -> str:
    """``json.MarshalIndent(obj, "", "  ")``: dicts in the order the caller built them (Go structs)."""
    return encoding_json.marshal(obj, indent="  ", sort_keys=False)


def render(objs: Iterable[Obj], fmt: str) -> str:
    """kubeseal's resourceOutput for each object: ``---\\n`` + YAML, or JSON + ``\\n``."""
    fmt = fmt.lower()
    if fmt == "yaml":
        return "".join("---\n" + yaml_v2.marshal(o) for o in objs)
    if fmt in ("json", ""):
        return "".join(go_json(o) + "\n" for o in objs)
    raise ValueError(f"unsupported output format: {fmt}")
