"""People with write access to production: RoleBindings (and ClusterRoleBindings) that give a
User or Group, not a ServiceAccount, a role with a write verb in a production namespace.

In a GitOps repository changes to production go through git; a human who can ``kubectl edit``
there makes drift the controller then fights. Production is a Namespace labelled
``environment: production``/``prod`` in the repository, or one listed in
``check.gitops.production_namespaces``. A warning: break-glass access is sometimes deliberate.
"""

from __future__ import annotations

from typing import Any

from secretsops.check.detectors.gitops_objects import (
    BUILTIN_WRITERS,
    GitopsSettings,
    kind_of,
    mapping,
    role_writes,
)
from secretsops.check.scanfile import ScanFile
from secretsops.check.yamllines import line_of

RULE = "gitops-prod-human-write"
_HUMANS = ("User", "Group")


class HumanWriteInProduction:
    def __init__(self, settings: GitopsSettings) -> None:
        self.settings = settings

    def scan(self, file: ScanFile) -> None:
        if "Binding" not in file.text or not self.settings.production_namespaces:
            return
        docs = file.docs
        self.settings.learn([d for d in docs if kind_of(d) in ("Role", "ClusterRole") and role_writes(d)])
        for doc in docs:
            kind = kind_of(doc)
            if kind not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            namespace = str(mapping(doc, "metadata", "namespace") or "")
            if kind == "RoleBinding" and namespace not in self.settings.production_namespaces:
                continue
            if not self._writes(mapping(doc, "roleRef"), namespace):
                continue
            subjects = mapping(doc, "subjects")
            for n, subject in enumerate(subjects if isinstance(subjects, list) else []):
                if mapping(subject, "kind") in _HUMANS:
                    who = f"{kind}[{mapping(doc, 'metadata', 'name') or ''}].subjects[{n}]"
                    name = str(mapping(subject, "name") or "")
                    file.report(RULE, line_of(subjects, n), who, f"{mapping(subject, 'kind')}:{name}")

    def _writes(self, ref: Any, namespace: str) -> bool:
        kind, name = str(mapping(ref, "kind") or ""), str(mapping(ref, "name") or "")
        if kind == "ClusterRole":
            return name in BUILTIN_WRITERS or ("ClusterRole", "", name) in self.settings.writer_roles
        return ("Role", namespace, name) in self.settings.writer_roles
