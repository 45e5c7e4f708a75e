"""Which Flux ``GitRepository``/``Kustomization`` spec fields the engine honours, and which it refuses.

A Flux user's ``sources.yaml`` must either mean what it means under Flux or fail to load: a field
we silently ignored (a ``kubeConfig`` pointing at another cluster, a GitRepository ``ignore``
list hiding files, ``force``) would apply something other than what the user declared. Every
field is therefore in one of these tables: supported, supported only at its default value, or
refused with the reason. Anything not listed (a typo, a field of a newer Flux) is refused too.
The same tables are the rows of docs/flux.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secretsops.errors import UsageError


@dataclass(frozen=True)
class Field:
    """``refusal`` empty: supported. ``default``: the one value accepted despite a refusal."""

    refusal: str = ""
    default: Any = None


OK = Field()

KUSTOMIZATION_SPEC: dict[str, Field] = {
    "sourceRef": OK,
    "path": OK,
    "interval": OK,
    "retryInterval": OK,
    "prune": OK,
    "suspend": OK,
    "targetNamespace": OK,
    "decryption": OK,
    "serviceAccountName": OK,
    "dependsOn": OK,
    "postBuild": OK,
    "patches": OK,
    "images": OK,
    "namePrefix": OK,
    "nameSuffix": OK,
    "commonMetadata": OK,
    "timeout": OK,
    "wait": OK,
    "healthChecks": OK,
    "force": Field("recreating objects on immutable-field changes is not done by the engine", False),
    "kubeConfig": Field("the engine applies to the cluster it runs in only (run one engine per cluster)"),
    "components": Field(
        "kustomize Components are not added by the engine; list them in the kustomization.yaml"
    ),
    "ignoreMissingComponents": Field("components are not supported", False),
    "deletionPolicy": Field(
        "removing a source from sources.yaml leaves its objects in place (Orphan)", "Orphan"
    ),
    "healthCheckExprs": Field("CEL health expressions are not evaluated (kstatus rules only)"),
    "driftIgnoreRules": Field("drift is compared on the whole object (see docs/engine.md)"),
}

DECRYPTION: dict[str, Field] = {
    "provider": OK,
    "secretRef": OK,
    "serviceAccountName": Field("workload-identity KMS auth is not supported; put credentials in the Secret"),
}

POST_BUILD: dict[str, Field] = {"substitute": OK, "substituteFrom": OK}

GIT_REPOSITORY_SPEC: dict[str, Field] = {
    "url": OK,
    "ref": OK,
    "interval": OK,
    "suspend": OK,
    "verify": OK,
    "secretRef": Field(
        "git credentials from a Secret are not read; give the engine's git its own credentials "
        "(SSH key or credential helper, see docs/engine.md)"
    ),
    "timeout": Field("git operations use the engine's own timeout"),
    "ignore": Field(".sourceignore-style exclusions are not applied; move excluded files out of the path"),
    "include": Field("including other GitRepositories is not supported"),
    "recurseSubmodules": Field("submodules are not fetched", False),
    "proxySecretRef": Field("a proxy from a Secret is not supported; set HTTPS_PROXY for the engine"),
    "provider": Field("only the generic git provider is supported", "generic"),
    "sparseCheckout": Field("sparse checkouts are not supported"),
}

GIT_REF: dict[str, Field] = {
    "branch": OK,
    "tag": OK,
    "commit": OK,
    "semver": Field("semver ranges are not resolved; pin a tag"),
    "name": Field("a full reference name is not resolved; use branch, tag or commit"),
}


def check(raw: Mapping[str, Any], table: Mapping[str, Field], where: str, prefix: str) -> None:
    """Refuse the first field of ``raw`` the table does not support (at the value given)."""
    for key, value in raw.items():
        entry = table.get(str(key))
        name = f"{prefix}.{key}" if prefix else str(key)
        if entry is None:
            raise UsageError(f"{where}: {name} is not a field secretsops understands (refused, not ignored)")
        if entry.refusal and value is not None and value != entry.default:
            raise UsageError(f"{where}: {name} is not supported: {entry.refusal}")


def table_rows() -> list[tuple[str, str, str]]:
    """(kind, field, what the engine does) for every listed field (docs/flux.md is written from it)."""
    rows: list[tuple[str, str, str]] = []
    for kind, table in (("Kustomization", KUSTOMIZATION_SPEC), ("GitRepository", GIT_REPOSITORY_SPEC)):
        for key, entry in table.items():
            if not entry.refusal:
                rows.append((kind, key, "supported"))
            elif entry.default is not None:
                rows.append((kind, key, f"only {entry.default!r}: {entry.refusal}"))
            else:
                rows.append((kind, key, f"refused: {entry.refusal}"))
    return rows
