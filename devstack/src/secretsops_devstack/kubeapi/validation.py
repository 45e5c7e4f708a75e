"""Object validation with the apiserver's messages (422 Invalid causes)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .resources import ResourceType
from .status import Cause

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', "
    " or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
MAX_SECRET_BYTES = 1024 * 1024
#: kinds whose names must be DNS-1123 labels rather than subdomains
LABEL_NAMED = frozenset({"Namespace", "Service"})


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _invalid(field: str, value: str, detail: str) -> Cause:
    return Cause("FieldValueInvalid", f"Invalid value: {_q(value)}: {detail}", field)


def validate_name(rt: ResourceType, name: str) -> list[Cause]:
    if not name:
        return [
            Cause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")
        ]
    pattern, msg = (
        (DNS1123_LABEL, LABEL_MSG) if rt.kind in LABEL_NAMED else (DNS1123_SUBDOMAIN, SUBDOMAIN_MSG)
    )
    causes = []
    limit = 63 if rt.kind in LABEL_NAMED else 253
    if len(name) > limit:
        causes.append(_invalid("metadata.name", name, f"must be no more than {limit} characters"))
    if not pattern.match(name):
        causes.append(_invalid("metadata.name", name, msg))
    return causes


def _validate_labels(labels: Any) -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(labels, dict):
        return causes
    for key, value in labels.items():
        key_s, value_s = str(key), "" if value is None else str(value)
        prefix, _, name = key_s.rpartition("/")
        if (
            not name
            or len(name) > 63
            or not QUALIFIED_NAME.match(name)
            or (prefix and not DNS1123_SUBDOMAIN.match(prefix))
        ):
            causes.append(_invalid("metadata.labels", key_s, NAME_PART_MSG))
        if len(value_s) > 63:
            causes.append(_invalid("metadata.labels", value_s, "must be no more than 63 characters"))
        elif not LABEL_VALUE.match(value_s):
            causes.append(_invalid("metadata.labels", value_s, LABEL_VALUE_MSG))
    return causes


def _validate_data_keys(obj: dict[str, Any], field: str) -> list[Cause]:
    causes = []
    for key in obj.get(field) or {}:
        if not CONFIG_KEY.match(str(key)):
            causes.append(_invalid(f"{field}[{key}]", str(key), CONFIG_KEY_MSG))
    return causes


def validate(rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
    """All causes that make ``obj`` invalid (empty when valid). ``old`` is the live object on update."""
    meta = obj.get("metadata") or {}
    causes = validate_name(rt, str(meta.get("name") or ""))
    causes += _validate_labels(meta.get("labels"))
    if rt.group == "" and rt.kind == "Secret":
        causes += _validate_data_keys(obj, "data")
        size = sum(len(base64.b64decode(v or "")) for v in (obj.get("data") or {}).values())
        if size > MAX_SECRET_BYTES:
            causes.append(
                Cause("FieldValueTooLong", f"Too long: must have at most {MAX_SECRET_BYTES} bytes", "data")
            )
        causes += _validate_secret_type(obj)
    if rt.group == "" and rt.kind == "ConfigMap":
        causes += _validate_data_keys(obj, "data") + _validate_data_keys(obj, "binaryData")
    if old is not None and rt.group == "" and rt.kind in ("Secret", "ConfigMap"):
        causes += _validate_immutable(rt, obj, old)
    if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
        causes += _validate_crd(obj)
    return causes


#: keys a typed Secret must carry (all of them), as ValidateSecret checks
REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def _validate_secret_type(obj: dict[str, Any]) -> list[Cause]:
    kind, data = str(obj.get("type") or ""), obj.get("data") or {}
    required = [key for key in REQUIRED_KEYS.get(kind, ()) if key not in data]
    if kind == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
        required = ["username", "password"]
    causes = [Cause("FieldValueRequired", "Required value", f"data[{key}]") for key in required]
    if kind in ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg") and not required:
        key = REQUIRED_KEYS[kind][0]
        try:
            json.loads(base64.b64decode(data[key] or ""))
        except ValueError:
            # the apiserver redacts the value here too
            causes.append(_invalid(f"data[{key}]", "<secret contents redacted>", "invalid JSON"))
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if kind == "kubernetes.io/service-account-token" and not annotations.get(
        "kubernetes.io/service-account.name"
    ):
        causes.append(
            Cause(
                "FieldValueRequired",
                "Required value",
                "metadata.annotations[kubernetes.io/service-account.name]",
            )
        )
    return causes


def _validate_immutable(rt: ResourceType, obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    causes = []
    if rt.kind == "Secret" and obj.get("type") != old.get("type"):
        causes.append(_invalid("type", str(obj.get("type")), "field is immutable"))
    if old.get("immutable"):
        if not obj.get("immutable"):
            causes.append(
                Cause(
                    "FieldValueForbidden",
                    "Forbidden: field is immutable when `immutable` is set",
                    "immutable",
                )
            )
        for field in ("data", "binaryData", "stringData"):
            if (obj.get(field) or {}) != (old.get(field) or {}):
                causes.append(
                    Cause(
                        "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", field
                    )
                )
    return causes


def _validate_crd(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    name = str((obj.get("metadata") or {}).get("name") or "")
    want = f"{names.get('plural', '')}.{spec.get('group', '')}"
    causes = []
    if name != want:
        causes.append(_invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if not names.get("kind"):
        causes.append(Cause("FieldValueRequired", "Required value", "spec.names.kind"))
    if not spec.get("versions"):
        causes.append(
            Cause(
                "FieldValueRequired",
                "Required value: must have exactly one version marked as storage version",
                "spec.versions",
            )
        )
    return causes


def base64_error_offset(text: str) -> int:
    """Where Go's base64.StdEncoding reports bad input: the first character outside the alphabet, else
    the start of the incomplete last quantum (kube-apiserver's ``illegal base64 data at input byte N``)."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n")
    for i, ch in enumerate(text):
        if ch not in alphabet:
            return i
    return (len(text) // 4) * 4


def decode_secret_data(obj: dict[str, Any]) -> str | None:
    """The first ``data`` key whose value is not base64 (the apiserver rejects such a body), else None."""
    for key, value in (obj.get("data") or {}).items():
        if value is None:
            continue
        try:
            base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            return str(key)
    return None
