"""Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>[/<version>] (plain, not aggregated)."""

from __future__ import annotations

from typing import Any

from .resources import Catalog

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-secretsops-kubeapi",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(catalog: Catalog, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in catalog.versions(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(catalog: Catalog) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [api_group(catalog, g) for g in catalog.groups()],
    }


def api_resource_list(catalog: Catalog, group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for rt in catalog.resources(group, version):
        resources.extend(rt.discovery())
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
