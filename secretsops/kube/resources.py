"""Where kinds live in the REST tree: ``Resource`` paths and the kinds every API server serves.

Discovery itself is the client's (``KubeClient.resource``, kept in memory per client); the
well-known core kinds need none, which also keeps one-shot CLI calls (kubeseal's Service lookup)
to a single request.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """Where a kind lives in the REST tree (from discovery, or well known)."""

    group_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str = "", name: str = "", subresource: str = "") -> str:
        prefix = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        ns = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        tail = f"/{name}" if name else ""
        sub = f"/{subresource}" if name and subresource else ""
        return f"{prefix}{ns}/{self.plural}{tail}{sub}"


def _known(
    group_version: str, kind: str, plural: str, namespaced: bool = True
) -> tuple[tuple[str, str], Resource]:
    return (group_version, kind), Resource(group_version, kind, plural, namespaced)


#: kinds every API server serves at fixed paths: reading them needs no discovery round-trip
#: (which also keeps one-shot CLI calls, e.g. kubeseal's Service lookup, to a single request)
WELL_KNOWN: dict[tuple[str, str], Resource] = dict(
    [
        _known("v1", "Secret", "secrets"),
        _known("v1", "ConfigMap", "configmaps"),
        _known("v1", "Service", "services"),
        _known("v1", "ServiceAccount", "serviceaccounts"),
        _known("v1", "Event", "events"),
        _known("v1", "Namespace", "namespaces", namespaced=False),
        _known("coordination.k8s.io/v1", "Lease", "leases"),
    ]
)
