"""Shared reading for the ``--gitops`` detectors: which documents are Kubernetes objects, where
their pod specs are, and the repository context (production namespaces, roles) they judge by.

The context is read from the work tree once per run, because a RoleBinding's Role and the
Namespace that says "production" usually live in other files than the binding.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops.check.yamllines import parse_documents_leniently

#: kinds whose pod spec is at spec.template.spec
_TEMPLATED = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
WRITE_VERBS = frozenset(
    {"*", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}
)
#: built-in ClusterRoles that can write in a namespace
BUILTIN_WRITERS = frozenset({"cluster-admin", "admin", "edit"})
PRODUCTION_VALUES = frozenset({"production", "prod"})
_CONTEXT_MAX_FILE = 1 << 20
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "vendor"})


def mapping(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...`` through mappings only; None when any step is missing."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def kind_of(doc: Any) -> str:
    return str(doc.get("kind") or "") if isinstance(doc, dict) else ""


def api_group(doc: Any) -> str:
    api = str(doc.get("apiVersion") or "") if isinstance(doc, dict) else ""
    return api.split("/", 1)[0] if "/" in api else ""


def pod_spec(doc: Any) -> Any:
    """The pod spec of a workload document (None when it has none we know)."""
    kind = kind_of(doc)
    if kind == "Pod":
        return mapping(doc, "spec")
    if kind in _TEMPLATED:
        return mapping(doc, "spec", "template", "spec")
    if kind == "CronJob":
        return mapping(doc, "spec", "jobTemplate", "spec", "template", "spec")
    return None


def containers(spec: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(list name, container) for every container of a pod spec, init containers included."""
    for name in CONTAINER_LISTS:
        items = mapping(spec, name)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                yield name, item


def is_production_namespace(doc: Any) -> bool:
    labels = mapping(doc, "metadata", "labels")
    if kind_of(doc) != "Namespace" or not isinstance(labels, dict):
        return False
    return any(str(labels.get(k, "")).lower() in PRODUCTION_VALUES for k in ("environment", "env"))


def role_writes(doc: Any) -> bool:
    """Whether a Role/ClusterRole document grants any write verb."""
    rules = mapping(doc, "rules")
    for rule in rules if isinstance(rules, list) else []:
        verbs = mapping(rule, "verbs")
        if isinstance(verbs, list) and WRITE_VERBS.intersection(str(v) for v in verbs):
            return True
    return False


@dataclass
class GitopsSettings:
    """The ``check.gitops`` section of .secretsops.yaml plus what the repository declares."""

    #: tags accepted as pinned besides digests and semver-like ones (fnmatch globs: ``sha-*``)
    allowed_tags: list[str] = field(default_factory=list)
    #: namespaces treated as production besides those labelled so in the repository
    production_namespaces: set[str] = field(default_factory=set)
    #: (kind, namespace, name) of repository roles that grant a write verb ("" namespace: cluster role)
    writer_roles: set[tuple[str, str, str]] = field(default_factory=set)
    #: whether warning-level gitops findings fail the gate
    fail_on_warnings: bool = False

    @classmethod
    def from_config(cls, section: Any) -> GitopsSettings:
        """Read ``check.gitops``; a wrong shape is a ValueError with the key that is wrong."""
        section = section or {}
        if not isinstance(section, dict):
            raise ValueError("check.gitops must be a mapping")
        tags = section.get("allowed_tags", [])
        namespaces = section.get("production_namespaces", [])
        for key, value in (("allowed_tags", tags), ("production_namespaces", namespaces)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"check.gitops.{key} must be a list of strings")
        fail = section.get("fail_on_warnings", False)
        if not isinstance(fail, bool):
            raise ValueError("check.gitops.fail_on_warnings must be true or false")
        return cls(list(tags), set(namespaces), fail_on_warnings=fail)

    def learn(self, docs: list[Any]) -> None:
        """Take production namespaces and writing roles from a file's documents."""
        for doc in docs:
            kind = kind_of(doc)
            name = str(mapping(doc, "metadata", "name") or "")
            if is_production_namespace(doc) and name:
                self.production_namespaces.add(name)
            elif kind in ("Role", "ClusterRole") and name and role_writes(doc):
                ns = str(mapping(doc, "metadata", "namespace") or "") if kind == "Role" else ""
                self.writer_roles.add((kind, ns, name))

    def learn_tree(self, root: Path) -> None:
        """Read every YAML file of the work tree that could declare a Namespace or a Role."""
        for top, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
            for name in files:
                if not name.endswith((".yaml", ".yml")):
                    continue
                path = Path(top, name)
                try:
                    if path.is_symlink() or path.stat().st_size > _CONTEXT_MAX_FILE:
                        continue
                    text = path.read_text("utf-8", "replace")
                except OSError:
                    continue
                if "kind: Namespace" in text or "Role" in text:
                    self.learn(parse_documents_leniently(text))


def settings_for(root: Path) -> GitopsSettings:
    """The gitops settings of the repository at ``root``: its .secretsops.yaml ``check.gitops``
    section and the Namespaces/Roles its work tree declares. A bad section is a CheckError."""
    from secretsops.check.config import CONFIG_FILE, load_check_config
    from secretsops.errors import CheckError

    config_path = root / CONFIG_FILE
    text = config_path.read_text("utf-8", "replace") if config_path.is_file() else None
    try:
        settings = GitopsSettings.from_config(load_check_config(text).get("gitops"))
    except ValueError as exc:
        raise CheckError(f"{CONFIG_FILE}: {exc}") from None
    settings.learn_tree(root)
    return settings
