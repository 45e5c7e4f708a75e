"""Defaulting and normalization of built-in kinds, as the apiserver applies them on every write.

Only the common fields are defaulted (Deployment/StatefulSet/DaemonSet/ReplicaSet strategies and
history limits, PodSpec and Container defaults, Service type/ports/cluster IP), enough that "live has
more fields than desired" is exercised the way a real cluster exercises it.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from datetime import UTC, datetime
from typing import Any

from .status import bad_request
from .validation import base64_error_offset, decode_secret_data

_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


def _image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or untagged images (no digest), else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _container(container: dict[str, Any]) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("imagePullPolicy", _image_pull_policy(str(container.get("image", ""))))
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                _container(container)


def _workload(kind: str, spec: dict[str, Any]) -> None:
    if kind != "DaemonSet":
        spec.setdefault("replicas", 1)
    if kind == "Deployment":
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("progressDeadlineSeconds", 600)
    if kind == "StatefulSet":
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
        spec.setdefault(
            "persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"}
        )
    if kind == "DaemonSet":
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
    if kind != "ReplicaSet":
        spec.setdefault("revisionHistoryLimit", 10)
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        pod_spec(template["spec"])


def _service(spec: dict[str, Any], cluster_ip: str) -> None:
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    if spec["type"] != "ExternalName":
        spec.setdefault("clusterIP", cluster_ip)
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")


def service_ip(index: int) -> str:
    """The ``index``-th address of the default service range 10.96.0.0/12 (skipping .0 and .1)."""
    return str(ipaddress.IPv4Address("10.96.0.0") + 2 + index)


def apply_defaults(group: str, kind: str, obj: dict[str, Any], cluster_ip: str = "") -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        if group in ("apps", "") and (kind in _WORKLOADS or kind in ("Pod", "Service")):
            spec = obj["spec"] = {}
        else:
            return
    if group == "apps" and kind in _WORKLOADS:
        _workload(kind, spec)
    elif group == "" and kind == "Pod":
        pod_spec(spec)
    elif group == "" and kind == "Service":
        _service(spec, cluster_ip)


def normalize(group: str, kind: str, obj: dict[str, Any]) -> None:
    """What every write gets besides defaults: Secret stringData folded into data, Namespace labels and
    finalizers, RFC 3339 timestamps, CRD name defaults."""
    if group == "" and kind == "Secret":
        bad = decode_secret_data(obj)
        if bad is not None:
            at = base64_error_offset(str((obj.get("data") or {}).get(bad) or ""))
            raise bad_request(
                'Secret in version "v1" cannot be handled as a Secret: '
                f"illegal base64 data at input byte {at}"
            )
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.setdefault("data", {}) or {}
            obj["data"] = data
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
        if not obj.get("type"):
            obj["type"] = "Opaque"
    if group == "" and kind == "Namespace":
        name = obj["metadata"].get("name", "")
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
    for path, micro in TIME_FIELDS.get((group, kind), ()):
        _normalize_time(obj, path, micro, kind)
    if kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io":
        names = (obj.get("spec") or {}).get("names") or {}
        names.setdefault("singular", str(names.get("kind", "")).lower())
        names.setdefault("listKind", f"{names.get('kind', '')}List")


#: timestamps the apiserver re-serializes: (group, kind) -> (path, is MicroTime)
TIME_FIELDS: dict[tuple[str, str], tuple[tuple[tuple[str, ...], bool], ...]] = {
    ("coordination.k8s.io", "Lease"): ((("spec", "acquireTime"), True), (("spec", "renewTime"), True)),
    ("", "Event"): ((("eventTime",), True), (("firstTimestamp",), False), (("lastTimestamp",), False)),
    ("events.k8s.io", "Event"): (
        (("eventTime",), True),
        (("deprecatedFirstTimestamp",), False),
        (("deprecatedLastTimestamp",), False),
    ),
}


def _normalize_time(obj: dict[str, Any], path: tuple[str, ...], micro: bool, kind: str = "") -> None:
    """``Time`` as ``2006-01-02T15:04:05Z``, ``MicroTime`` as ``2006-01-02T15:04:05.000000Z`` (always UTC)."""
    parent: Any = obj
    for part in path[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or not isinstance(parent.get(path[-1]), str):
        return
    text = parent[path[-1]]
    if micro and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)", text):
        raise bad_request(
            f"{kind} cannot be handled as a {kind}: parsing time {json.dumps(text)} as "
            '"2006-01-02T15:04:05.000000Z07:00": a MicroTime has exactly six fractional digits'
        )
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(f"parsing time {json.dumps(text)}: cannot parse as RFC3339") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    parent[path[-1]] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")
