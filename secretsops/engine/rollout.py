"""Restart workloads when a Secret they use changes (what people install Reloader for).

A Deployment, StatefulSet or DaemonSet opts in with the annotation ``secretsops.io/reload: "true"``
(Reloader's ``reloader.stakater.com/auto`` and ``secret.reloader.stakater.com/auto: "true"`` are
accepted too, and Reloader's explicit list
``secret.reloader.stakater.com/reload: "a,b"`` adds Secrets by name). The engine then sets one
pod-template annotation, ``secretsops.io/secret-fingerprints``, listing ``name:fingerprint`` for
every desired Secret the pod template uses (volumes, projected volumes, ``env[].valueFrom``,
``envFrom``) plus the listed ones. The annotation changes exactly when one of those Secrets'
*values* change, so the API server rolls the workload; a fingerprint is an HMAC with a key kept
in the cluster (stable across restarts and replicas), never a value or a plain hash of one.

``annotate_rollouts`` is a pure function over the desired objects; ``pass_hook`` is what the
reconcile loop calls (it fetches the HMAC key once per process).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from secretsops.errors import ApplyError, KubeConflict
from secretsops.manifests import Obj

RELOAD = "secretsops.io/reload"
RELOADER_AUTO = "reloader.stakater.com/auto"
RELOADER_SECRET_AUTO = "secret.reloader.stakater.com/auto"
RELOADER_SECRETS = "secret.reloader.stakater.com/reload"
FINGERPRINTS = "secretsops.io/secret-fingerprints"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
KEY_SECRET = "secretsops-rollout-key"
KEY_FIELD = "hmac-key"
_CACHE_KEY = "rollout.key"

Fingerprint = Callable[[Obj], str]


def wants_reload(obj: Obj) -> bool:
    """Opted in: ours or Reloader's auto annotation set to "true", or Reloader's explicit list."""
    if obj.get("kind") not in WORKLOAD_KINDS or not str(obj.get("apiVersion", "")).startswith("apps/"):
        return False
    ann = (obj.get("metadata") or {}).get("annotations") or {}
    auto = any(str(ann.get(k, "")).lower() == "true" for k in (RELOAD, RELOADER_AUTO, RELOADER_SECRET_AUTO))
    return auto or bool(_listed(ann))


def _listed(ann: dict[str, Any]) -> list[str]:
    return [n.strip() for n in str(ann.get(RELOADER_SECRETS) or "").split(",") if n.strip()]


def _containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod_spec.get(key) or []:
            if isinstance(c, dict):
                yield c


def referenced_secrets(pod_spec: dict[str, Any]) -> set[str]:
    """Names of the Secrets a pod spec mounts or reads into its environment."""
    names: set[str] = set()
    for vol in pod_spec.get("volumes") or []:
        if not isinstance(vol, dict):
            continue
        if isinstance(vol.get("secret"), dict) and vol["secret"].get("secretName"):
            names.add(str(vol["secret"]["secretName"]))
        for src in (vol.get("projected") or {}).get("sources") or []:
            if isinstance(src, dict) and isinstance(src.get("secret"), dict) and src["secret"].get("name"):
                names.add(str(src["secret"]["name"]))
    for c in _containers(pod_spec):
        for env in c.get("env") or []:
            ref = ((env or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
            if ref.get("name"):
                names.add(str(ref["name"]))
        for env_from in c.get("envFrom") or []:
            ref = (env_from or {}).get("secretRef") or {}
            if ref.get("name"):
                names.add(str(ref["name"]))
    return names


def secret_payload(secret: Obj) -> bytes:
    """A canonical encoding of a Secret's values (data decoded, stringData over it, sorted keys)."""
    values: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            values[str(key)] = base64.b64decode(str(value or "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            values[str(key)] = str(value).encode("utf-8")
    for key, value in (secret.get("stringData") or {}).items():
        values[str(key)] = str(value).encode("utf-8")
    out = bytearray()
    for key in sorted(values):
        for part in (key.encode("utf-8"), values[key]):
            out += len(part).to_bytes(8, "big") + part
    out += str(secret.get("type") or "Opaque").encode("utf-8")
    return bytes(out)


def hmac_fingerprint(key: bytes) -> Fingerprint:
    """HMAC-SHA256 of a Secret's values under ``key``, 16 hex digits (a change marker, not an id)."""

    def fingerprint(secret: Obj) -> str:
        return hmac.new(key, secret_payload(secret), hashlib.sha256).hexdigest()[:16]

    return fingerprint


def annotate_rollouts(desired: list[Obj], fingerprint: Fingerprint) -> list[Obj]:
    """Copies of opted-in workloads get the fingerprints of the desired Secrets they use.

    Secrets not among ``desired`` are not this source's to fingerprint and are left out.
    Everything else is returned as it was (same objects, same order).
    """
    secrets_by_id = {
        (str((o.get("metadata") or {}).get("namespace") or ""), str((o.get("metadata") or {}).get("name"))): o
        for o in desired
        if o.get("kind") == "Secret" and o.get("apiVersion") == "v1"
    }
    out: list[Obj] = []
    for obj in desired:
        if not wants_reload(obj):
            out.append(obj)
            continue
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        template = (obj.get("spec") or {}).get("template") or {}
        names = referenced_secrets(template.get("spec") or {}) | set(_listed(meta.get("annotations") or {}))
        used = sorted(n for n in names if (namespace, n) in secrets_by_id)
        if not used:
            out.append(obj)
            continue
        value = ",".join(f"{n}:{fingerprint(secrets_by_id[(namespace, n)])}" for n in used)
        patched = copy.deepcopy(obj)
        tmpl = patched.setdefault("spec", {}).setdefault("template", {})
        tmpl.setdefault("metadata", {}).setdefault("annotations", {})[FINGERPRINTS] = value
        out.append(patched)
    return out


def rollout_key(kube: Any, namespace: str, *, create: bool = True) -> bytes:
    """The cluster-wide HMAC key (Secret ``secretsops-rollout-key``), created on first use.

    Shared by every replica and kept across restarts, so a fail-over or an upgrade does not roll
    every opted-in workload. Without ``create`` (dry runs) a missing key is a fresh random one.
    """
    for _ in range(2):
        live = kube.get("v1", "Secret", namespace, KEY_SECRET)
        raw = ((live or {}).get("data") or {}).get(KEY_FIELD)
        if raw:
            try:
                return base64.b64decode(str(raw), validate=True)
            except (binascii.Error, ValueError):
                raise ApplyError(f"Secret {namespace}/{KEY_SECRET}: {KEY_FIELD} is not base64") from None
        key = secrets.token_bytes(32)
        if not create:
            return key
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": KEY_SECRET,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "secretsops"},
            },
            "type": "Opaque",
            "data": {KEY_FIELD: base64.b64encode(key).decode("ascii")},
        }
        try:
            kube.create(body)
            return key
        except KubeConflict:
            continue  # another replica created it first (409): read theirs
    raise ApplyError(f"Secret {namespace}/{KEY_SECRET}: cannot read or create the rollout key")


def pass_hook(
    desired: list[Obj], kube: Any, namespace: str, cache: MutableMapping[str, Any], dry_run: bool
) -> list[Obj]:
    """What the loop calls on each full pass: fetch the key once per process, then annotate."""
    if not any(wants_reload(o) for o in desired):
        return desired
    key = cache.get(_CACHE_KEY)
    if not isinstance(key, bytes):
        if not dry_run:
            _ensure_namespace(kube, namespace)
        key = rollout_key(kube, namespace, create=not dry_run)
        cache[_CACHE_KEY] = key
    return annotate_rollouts(desired, hmac_fingerprint(key))


def _ensure_namespace(kube: Any, namespace: str) -> None:
    if kube.get("v1", "Namespace", "", namespace) is None:
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
