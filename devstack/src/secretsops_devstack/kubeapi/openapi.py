"""A minimal OpenAPI v3 discovery (``/openapi/v3``) so kubectl's server-side field validation check passes.

kubectl (``--validate=strict``, the default) asks the OpenAPI v3 document of a group-version whether the
PATCH operation of a kind takes the ``fieldValidation`` query parameter; if not, it falls back to
downloading ``/openapi/v2`` schemas for client-side validation. Serving paths with that parameter (and no
schemas) keeps ``kubectl apply`` working. Schemas are not served: clients needing them are unsupported.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .resources import Catalog, ResourceType

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _gv_hash(catalog: Catalog, group: str, version: str) -> str:
    names = ",".join(rt.plural for rt in catalog.resources(group, version))
    return hashlib.sha256(f"{group}/{version}:{names}".encode()).hexdigest()[:32].upper()


def root(catalog: Catalog) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for group in [""] + catalog.groups():
        for version in catalog.versions(group):
            path = _gv_path(group, version)
            paths[path] = {
                "serverRelativeURL": f"/openapi/v3/{path}?hash={_gv_hash(catalog, group, version)}"
            }
    return {"paths": paths}


def _item_path(rt: ResourceType) -> str:
    base = "/" + _gv_path(rt.group, rt.version)
    if rt.namespaced:
        return f"{base}/namespaces/{{namespace}}/{rt.plural}/{{name}}"
    return f"{base}/{rt.plural}/{{name}}"


def group_version(catalog: Catalog, group: str, version: str) -> dict[str, Any] | None:
    resources = catalog.resources(group, version)
    if not resources:
        return None
    paths: dict[str, Any] = {}
    for rt in resources:
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        params = [
            {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            for name in _QUERY_PARAMS
        ]
        paths[_item_path(rt)] = {
            "patch": {
                "operationId": f"patch{rt.kind}",
                "parameters": params,
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "responses": {"200": {"description": "OK"}},
            },
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }
