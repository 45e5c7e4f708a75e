"""Cluster API URLs written into manifests: ``https://host:6443``, EKS, AKS and GKE endpoints.

A manifest that names its cluster's API server breaks when the cluster is rebuilt and leaks the
topology; in-cluster clients use the service account, Argo CD ``destination.name``. Kubeconfigs,
Argo CD cluster Secrets and ApplicationSets (whose generators list clusters) are where such URLs
belong, so they pass.
"""

from __future__ import annotations

import re
from typing import Any

from secretsops.check.detectors.gitops_objects import api_group, kind_of, mapping
from secretsops.check.scanfile import ScanFile
from secretsops.check.yamllines import line_of

RULE = "gitops-cluster-url"
_HOST = r"https://[A-Za-z0-9.-]+"
_ENDPOINT = re.compile(
    _HOST
    + r":6443\b"
    + r"|"
    + _HOST
    + r"\.eks\.amazonaws\.com\b"
    + r"|"
    + _HOST
    + r"\.azmk8s\.io\b"
    + r"|"
    + _HOST
    + r"\.gke\.goog\b"
)
#: GKE's classic endpoint is a bare IP: only judged under keys that name an API server
_IP_ENDPOINT = re.compile(r"^https://\d{1,3}(\.\d{1,3}){3}(:443)?/?$")
_SERVER_KEYS = frozenset({"server", "apiServer", "apiserver", "apiServerURL", "endpoint", "host"})
_HINTS = ("https://",)


def _exempt(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return True
    if kind_of(doc) == "Config" or "clusters" in doc and "contexts" in doc:
        return True  # a kubeconfig
    if api_group(doc) == "argoproj.io" and kind_of(doc) == "ApplicationSet":
        return True
    labels = mapping(doc, "metadata", "labels")
    return isinstance(labels, dict) and labels.get("argocd.argoproj.io/secret-type") == "cluster"


class HardcodedClusterUrls:
    def scan(self, file: ScanFile) -> None:
        if not any(h in file.text for h in _HINTS):
            return
        for doc in file.docs:
            if not _exempt(doc):
                self._walk(file, doc, "")

    def _walk(self, file: ScanFile, node: Any, path: str) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            where = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
            where = where.lstrip(".")
            if isinstance(value, str):
                if _ENDPOINT.search(value) or (key in _SERVER_KEYS and _IP_ENDPOINT.match(value)):
                    file.report(RULE, line_of(node, key), where, value)
            else:
                self._walk(file, value, where)
