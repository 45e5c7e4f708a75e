"""Sync policies that leave the cluster different from git: pruning off (a deleted manifest
stays deployed) and, for Argo CD, self-heal off (a hand edit in the cluster stays).

Flux ``Kustomization`` (kustomize.toolkit.fluxcd.io) needs ``spec.prune: true``; Argo CD
``Application``/``ApplicationSet`` template needs ``syncPolicy.automated.prune: true`` and
``selfHeal: true``. A patch document (no source, so a base carries the rest) is judged only on
what it sets: a patch that does not mention prune inherits the base's ``prune: true``.

secretsops' own ``sources.yaml`` (a ``sources:`` list of entries with a ``url``, as
``secretsops reconcile --config`` and ``bootstrap`` read it) prunes and self-heals unless an entry
says ``prune: false`` / ``selfHeal: false``: those two are reported (its Flux-shaped documents
are Flux Kustomizations, judged as above).
"""

from __future__ import annotations

from typing import Any

from secretsops.check.detectors.gitops_objects import api_group, kind_of, mapping
from secretsops.check.scanfile import ScanFile
from secretsops.check.yamllines import line_of

PRUNE_RULE = "gitops-prune-disabled"
SELF_HEAL_RULE = "gitops-self-heal-disabled"
FLUX_GROUP = "kustomize.toolkit.fluxcd.io"
ARGO_GROUP = "argoproj.io"


def argo_specs(doc: Any) -> list[tuple[str, tuple[str, ...]]]:
    """(name, path of the Application spec) of an Argo CD Application or ApplicationSet template."""
    if api_group(doc) != ARGO_GROUP:
        return []
    name = str(mapping(doc, "metadata", "name") or "")
    if kind_of(doc) == "Application":
        return [(name, ("spec",))]
    if kind_of(doc) == "ApplicationSet":
        return [(name, ("spec", "template", "spec"))]
    return []


def _argo_complete(spec: Any) -> bool:
    return isinstance(spec, dict) and ("source" in spec or "sources" in spec)


def _flag_line(doc: Any, *path: str) -> int:
    """Line of the deepest key of ``path`` that exists (the document's line otherwise)."""
    node, line = doc, line_of(doc, "kind")
    for key in path:
        if not isinstance(node, dict) or key not in node:
            break
        line, node = line_of(node, key), node[key]
    return line


def our_sources(doc: Any) -> list[tuple[str, Any]]:
    """(name, entry) of each entry of a secretsops ``sources.yaml`` document (none for other YAML)."""
    if not isinstance(doc, dict) or "kind" in doc or not isinstance(doc.get("sources"), list):
        return []
    return [
        (str(entry.get("name") or ""), entry)
        for entry in doc["sources"]
        if isinstance(entry, dict) and "url" in entry
    ]


def _report_sources(file: ScanFile, rule: str, field: str) -> None:
    """A flat sources entry with ``field: false`` (our defaults are true)."""
    for doc in file.docs:
        for name, entry in our_sources(doc):
            if entry.get(field) is False:
                file.report(
                    rule, line_of(entry, field), f"sources[{name}].{field}", "False", variant="sources"
                )


class PruneDisabled:
    def scan(self, file: ScanFile) -> None:
        if "sources" in file.text:
            _report_sources(file, PRUNE_RULE, "prune")
        if FLUX_GROUP not in file.text and ARGO_GROUP not in file.text:
            return
        for doc in file.docs:
            name = str(mapping(doc, "metadata", "name") or "")
            if kind_of(doc) == "Kustomization" and api_group(doc) == FLUX_GROUP:
                spec = mapping(doc, "spec")
                prune = mapping(spec, "prune")
                complete = isinstance(spec, dict) and "sourceRef" in spec
                if prune is False or (prune is not True and complete and not _templated(prune)):
                    file.report(
                        PRUNE_RULE,
                        _flag_line(doc, "spec", "prune"),
                        f"Kustomization[{name}].spec.prune",
                        str(prune),
                    )
            for app, at in argo_specs(doc):
                spec = mapping(doc, *at)
                prune = mapping(spec, "syncPolicy", "automated", "prune")
                if prune is False or (prune is not True and _argo_complete(spec) and not _templated(prune)):
                    line = _flag_line(doc, *at, "syncPolicy", "automated", "prune")
                    file.report(
                        PRUNE_RULE, line, f"{kind_of(doc)}[{app}].syncPolicy.automated.prune", str(prune)
                    )


def _templated(value: object) -> bool:
    """Set when the manifest is rendered (Helm ``{{ }}``, Flux ``${VAR}``): not ours to judge."""
    return isinstance(value, str) and ("${" in value or "{{" in value)


class SelfHealDisabled:
    def scan(self, file: ScanFile) -> None:
        if "sources" in file.text:
            _report_sources(file, SELF_HEAL_RULE, "selfHeal")
        if ARGO_GROUP not in file.text:
            return
        for doc in file.docs:
            for app, at in argo_specs(doc):
                spec = mapping(doc, *at)
                heal = mapping(spec, "syncPolicy", "automated", "selfHeal")
                if heal is False or (heal is not True and _argo_complete(spec) and not _templated(heal)):
                    line = _flag_line(doc, *at, "syncPolicy", "automated", "selfHeal")
                    file.report(
                        SELF_HEAL_RULE,
                        line,
                        f"{kind_of(doc)}[{app}].syncPolicy.automated.selfHeal",
                        str(heal),
                    )
