"""Turn a Secret into a SealedSecret exactly as ``kubeseal`` does (NewSealedSecret + Seal).

The template gets the Secret's whole metadata minus server-set fields, ``last-applied``
annotations (they would carry the plaintext) and ownerReferences; the SealedSecret itself gets
only name, namespace and the scope annotation. Every value is sealed separately, bound to the
scope's label.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from secretsops.errors import SealedError
from secretsops.manifests import Obj
from secretsops.sealed.crypto import go_b64decode, hybrid_encrypt
from secretsops.sealed.output import SERVER_FIELDS, order_meta, sorted_map
from secretsops.sealed.scope import Scope, scope_of, with_scope_annotations

API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"
LAST_APPLIED = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
)


@dataclass(frozen=True)
class SealOptions:
    """kubeseal's knobs: ``--scope`` (None = from annotations), ``--name``, namespace, empty data."""

    scope: Scope | None = None
    name: str = ""
    namespace: str = "default"
    namespace_explicit: bool = False
    allow_empty_data: bool = False


def is_sealed_secret(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") == KIND and str(obj.get("apiVersion") or "").startswith("bitnami.com/")


def secret_values(secret: Mapping[str, Any], where: str) -> dict[str, bytes]:
    """``data`` (base64) and ``stringData`` values as bytes; stringData wins on a clash, as in Go."""
    values: dict[str, bytes] = {}
    data = secret.get("data") or {}
    string_data = secret.get("stringData") or {}
    if not isinstance(data, Mapping) or not isinstance(string_data, Mapping):
        raise SealedError(f"{where}: data and stringData must be mappings")
    for field, mapping in (("data", data), ("stringData", string_data)):
        for key, value in mapping.items():
            if value is not None and not isinstance(value, str):
                raise SealedError(
                    f"{where}: {field}.{key} must be a string, found {type(value).__name__} (quote it)"
                )
    for key, value in data.items():
        if value is None:
            values[str(key)] = b""
            continue
        try:
            values[str(key)] = go_b64decode(value)
        except (binascii.Error, ValueError):
            raise SealedError(f"{where}: data.{key} is not valid base64") from None
    for key, value in string_data.items():
        values[str(key)] = b"" if value is None else value.encode()
    return values


def template_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The Secret's metadata as it goes into ``spec.template.metadata``."""
    out = {k: v for k, v in meta.items() if k not in SERVER_FIELDS and k != "ownerReferences"}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in LAST_APPLIED}
    out["annotations"] = annotations
    return order_meta(out)


def seal_values(public_key: rsa.RSAPublicKey, values: Mapping[str, bytes], label: bytes) -> dict[str, str]:
    return {
        k: base64.b64encode(hybrid_encrypt(public_key, v, label)).decode() for k, v in sorted(values.items())
    }


def prepare_secret(secret: Obj, opts: SealOptions, where: str) -> Obj:
    """Apply kubeseal's overrides and checks to an input Secret; returns a normalised copy."""
    kind = secret.get("kind")
    if kind not in (None, "", "Secret"):
        raise SealedError(f"{where}: expected a Secret, found kind {kind}")
    values_present = bool(secret.get("data")) or bool(secret.get("stringData"))
    if not values_present and not opts.allow_empty_data:
        raise SealedError(
            f"{where}: secret.data is empty in input Secret, assuming this is an error and aborting. "
            "To work with empty data, --allow-empty-data can be used"
        )
    _check_shape(secret, where)
    meta = dict(secret.get("metadata") or {})
    if opts.name:
        meta["name"] = opts.name
    if not meta.get("name"):
        raise SealedError(f"{where}: missing metadata.name in input Secret")
    if opts.scope is not None and opts.scope is not Scope.STRICT:
        meta["annotations"] = with_scope_annotations(meta.get("annotations"), opts.scope)
    if scope_of(meta) is not Scope.CLUSTER_WIDE:
        ns = str(meta.get("namespace") or "")
        if opts.namespace_explicit and ns and ns != opts.namespace:
            raise SealedError(
                f"{where}: namespace mismatch: input secret is in namespace {ns!r} "
                f"but {opts.namespace!r} was specified"
            )
        if not ns:
            meta["namespace"] = opts.namespace
    return {**secret, "metadata": meta}


def _check_shape(secret: Mapping[str, Any], where: str) -> None:
    """Refuse what kubeseal's decode into a v1.Secret refuses (wrong JSON types), naming the field."""
    meta = secret.get("metadata")
    if meta is not None and not isinstance(meta, Mapping):
        raise SealedError(f"{where}: metadata must be a mapping")
    for field in ("name", "namespace", "generateName"):
        value = (meta or {}).get(field)
        if value is not None and not isinstance(value, str):
            raise SealedError(f"{where}: metadata.{field} must be a string")
    for field in ("labels", "annotations"):
        value = (meta or {}).get(field)
        if value is None:
            continue
        if not isinstance(value, Mapping) or not all(isinstance(v, str) or v is None for v in value.values()):
            raise SealedError(f"{where}: metadata.{field} must be a mapping of strings")
    if secret.get("type") is not None and not isinstance(secret["type"], str):
        raise SealedError(f"{where}: type must be a string")
    if secret.get("immutable") is not None and not isinstance(secret["immutable"], bool):
        raise SealedError(f"{where}: immutable must be true or false")


def new_sealed_secret(public_key: rsa.RSAPublicKey, secret: Obj, where: str = "<input>") -> Obj:
    """NewSealedSecret: the SealedSecret for an already prepared Secret."""
    meta = secret.get("metadata") or {}
    scope = scope_of(meta)
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    if scope is not Scope.CLUSTER_WIDE and not namespace:
        raise SealedError(f"{where}: secret must declare a namespace")
    values = secret_values(secret, where)
    template: dict[str, Any] = {"metadata": template_meta(meta)}
    if secret.get("type"):
        template["type"] = secret["type"]
    if secret.get("immutable") is not None:
        template["immutable"] = bool(secret["immutable"])
    sealed_meta: dict[str, Any] = {"name": name, "namespace": namespace, "creationTimestamp": None}
    annotations = with_scope_annotations({}, scope)
    if annotations:
        sealed_meta["annotations"] = annotations
    return {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "metadata": order_meta(sealed_meta),
        "spec": {
            "template": template,
            "encryptedData": seal_values(public_key, values, scope.label(namespace, name)),
        },
    }


def seal_secret(public_key: rsa.RSAPublicKey, secret: Obj, opts: SealOptions, where: str = "<input>") -> Obj:
    """kubeseal's Seal for one Secret."""
    return new_sealed_secret(public_key, prepare_secret(secret, opts, where), where)


def seal_all(
    public_key: rsa.RSAPublicKey, secrets: Iterable[Obj], opts: SealOptions, where: str = "<input>"
) -> list[Obj]:
    out = [seal_secret(public_key, s, opts, where) for s in secrets]
    if not out:
        raise SealedError(f"{where}: no secrets found. Ensure the input is valid and UTF-8 encoded")
    return out


def seal_raw(public_key: rsa.RSAPublicKey, value: bytes, scope: Scope, namespace: str, name: str) -> str:
    """``kubeseal --raw``: one base64 value, no newline."""
    if scope is not Scope.CLUSTER_WIDE:
        if not namespace:
            raise SealedError(f"must provide the --namespace flag with --raw and --scope {scope.value}")
        if scope is Scope.STRICT and not name:
            raise SealedError(f"must provide the --name flag with --raw and --scope {scope.value}")
    return base64.b64encode(hybrid_encrypt(public_key, value, scope.label(namespace, name))).decode()


def check_sealed_shape(sealed: Mapping[str, Any], where: str) -> None:
    """A SealedSecret's maps are maps (what the controller's decode insists on), named when not."""
    for path, value in (
        ("metadata", sealed.get("metadata")),
        ("spec", sealed.get("spec")),
    ):
        if value is not None and not isinstance(value, Mapping):
            raise SealedError(f"{where}: {path} must be a mapping")
    meta = sealed.get("metadata") or {}
    spec = sealed.get("spec") or {}
    template = spec.get("template")
    if template is not None and not isinstance(template, Mapping):
        raise SealedError(f"{where}: spec.template must be a mapping")
    tmeta = (template or {}).get("metadata")
    if tmeta is not None and not isinstance(tmeta, Mapping):
        raise SealedError(f"{where}: spec.template.metadata must be a mapping")
    for path, value in (
        ("metadata.labels", meta.get("labels")),
        ("metadata.annotations", meta.get("annotations")),
        ("spec.encryptedData", spec.get("encryptedData")),
        ("spec.template.data", (template or {}).get("data")),
        ("spec.template.metadata.labels", (tmeta or {}).get("labels")),
        ("spec.template.metadata.annotations", (tmeta or {}).get("annotations")),
    ):
        if value is not None and not isinstance(value, Mapping):
            raise SealedError(f"{where}: {path} must be a mapping")


def merge_into(original: Obj, update: Obj) -> Obj:
    """SealMergingInto: new encryptedData and template labels/annotations/data into ``original``."""
    merged = {**original, "spec": dict(original.get("spec") or {})}
    spec = merged["spec"]
    spec["encryptedData"] = sorted_map(
        {**(spec.get("encryptedData") or {}), **update["spec"]["encryptedData"]}
    )
    template = dict(spec.get("template") or {})
    meta = dict(template.get("metadata") or {})
    new_template = update["spec"].get("template") or {}
    new_meta = new_template.get("metadata") or {}
    for field in ("annotations", "labels"):
        if new_meta.get(field):
            meta[field] = {**(meta.get(field) or {}), **new_meta[field]}
    if new_template.get("data"):
        template["data"] = sorted_map({**(template.get("data") or {}), **new_template["data"]})
    template["metadata"] = order_meta(meta)
    spec["template"] = template
    merged["metadata"] = order_meta(merged.get("metadata"))
    return merged
