"""Print objects the way kubeseal does (k8s.io/apimachinery's pretty JSON and YAML serializers).

JSON keeps Go struct field order (the caller builds dicts in that order, see ``order_meta``),
sorts map keys, indents by two and escapes ``<``, ``>``, ``&`` like encoding/json. YAML goes
through JSON in Go (sigs.k8s.io/yaml), so every mapping comes out with sorted keys, and kubeseal
starts each YAML document with ``---``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from secretsops.manifests import Obj

#: metav1.ObjectMeta field order
_META_ORDER = (
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
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
    """``json.MarshalIndent(obj, "", "  ")`` with encoding/json's HTML-safe escaping."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class _GoYamlDumper(yaml.SafeDumper):
    """Double-quote strings that would otherwise read as another type, as go-yaml does."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    """go-yaml's choices: literal block for multi-line text, double quotes where plain would mislead."""
    if "\n" in value and all(c.isprintable() or c == "\n" for c in value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    node = dumper.represent_scalar("tag:yaml.org,2002:str", value)
    if dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
        node.style = '"'
    return node


_GoYamlDumper.add_representer(str, _represent_str)


def go_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_GoYamlDumper, sort_keys=True, default_flow_style=False, allow_unicode=True)


def render(objs: Iterable[Obj], fmt: str) -> str:
    """kubeseal's resourceOutput for each object: ``---\\n`` + YAML, or JSON + ``\\n``."""
    fmt = fmt.lower()
    if fmt == "yaml":
        return "".join("---\n" + go_yaml(o) for o in objs)
    if fmt in ("json", ""):
        return "".join(go_json(o) + "\n" for o in objs)
    raise ValueError(f"unsupported output format: {fmt}")
