"""Sealing scopes and the OAEP label each one binds a value to (sealed-secrets' EncryptionLabel)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

ANNOTATION_PREFIX = "sealedsecrets.bitnami.com/"
CLUSTER_WIDE = ANNOTATION_PREFIX + "cluster-wide"
NAMESPACE_WIDE = ANNOTATION_PREFIX + "namespace-wide"
MANAGED = ANNOTATION_PREFIX + "managed"
PATCH = ANNOTATION_PREFIX + "patch"
SKIP_SET_OWNER_REFERENCES = ANNOTATION_PREFIX + "skip-set-owner-references"


class Scope(Enum):
    """How far a sealed value may travel: same name+namespace, same namespace, anywhere."""

    STRICT = "strict"
    NAMESPACE_WIDE = "namespace-wide"
    CLUSTER_WIDE = "cluster-wide"

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse a ``--scope`` value; the empty string means the default (strict), as in kubeseal."""
        if text == "":
            return cls.STRICT
        for scope in cls:
            if scope.value == text:
                return scope
        raise ValueError("must be one of: strict, namespace-wide, cluster-wide")

    def label(self, namespace: str, name: str) -> bytes:
        """The OAEP label: ``ns/name`` (strict), ``ns`` (namespace-wide) or empty (cluster-wide)."""
        if self is Scope.CLUSTER_WIDE:
            return b""
        if self is Scope.NAMESPACE_WIDE:
            return namespace.encode()
        return f"{namespace}/{name}".encode()

    def describe(self, namespace: str, name: str) -> str:
        """Human wording used in diagnostics: ``strict for ns/name``."""
        if self is Scope.CLUSTER_WIDE:
            return "cluster-wide"
        if self is Scope.NAMESPACE_WIDE:
            return f"namespace-wide for namespace {namespace}"
        return f"strict for {namespace}/{name}"


def scope_of(metadata: Mapping[str, Any] | None) -> Scope:
    """Scope declared by an object's annotations (cluster-wide wins, exact string ``"true"``)."""
    annotations = (metadata or {}).get("annotations") or {}
    if not isinstance(annotations, Mapping):
        return Scope.STRICT  # malformed: the unsealer reports it; here only "not declared"
    if annotations.get(CLUSTER_WIDE) == "true":
        return Scope.CLUSTER_WIDE
    if annotations.get(NAMESPACE_WIDE) == "true":
        return Scope.NAMESPACE_WIDE
    return Scope.STRICT


def with_scope_annotations(annotations: Mapping[str, str] | None, scope: Scope) -> dict[str, str]:
    """Annotations with exactly the scope annotation ``scope`` needs (UpdateScopeAnnotations)."""
    out = {k: v for k, v in (annotations or {}).items() if k not in (CLUSTER_WIDE, NAMESPACE_WIDE)}
    if scope is Scope.NAMESPACE_WIDE:
        out[NAMESPACE_WIDE] = "true"
    elif scope is Scope.CLUSTER_WIDE:
        out[CLUSTER_WIDE] = "true"
    return out
