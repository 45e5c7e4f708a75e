"""Fixtures for bootstrap: PRIVATE control planes (a bootstrap installs CRDs, cluster roles and
kube-system keys, which must not touch the session's shared apiserver), real git repositories,
the CLI as a child process (as an operator runs it), fingerprints of Secrets (never values)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.realkube import TOOLS_BIN, ControlPlane

GIT_ENV = {
    "GIT_AUTHOR_NAME": "secretsops tests",
    "GIT_AUTHOR_EMAIL": "tests@secretsops.invalid",
    "GIT_COMMITTER_NAME": "secretsops tests",
    "GIT_COMMITTER_EMAIL": "tests@secretsops.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """What an operator's shell would hold: PATH (pinned tools, the venv), HOME, git identity."""
    path = os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), os.environ.get("PATH", "")])
    return {"PATH": path, "HOME": str(home), **GIT_ENV, **extra}


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``secretsops ARGS`` as a child process; stdout/stderr captured as text."""
    return subprocess.run(
        ["secretsops", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class Repo:
    """A real git repository (the GitOps repository of the scenario)."""

    path: Path

    def git(self, *args: str) -> str:
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            check=True,
            capture_output=True,
            text=True,
            env=child_env(self.path),
        )
        return out.stdout.strip()

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    @classmethod
    def init(cls, path: Path) -> Repo:
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        return repo


def private_cluster(kubeconfig: Path) -> ControlPlane:
    """A control plane of this module's own (etcd + kube-apiserver), admin kubeconfig written."""
    cp = ControlPlane()
    try:
        cp.start()
    except BaseException:
        cp.stop()
        raise
    cp.write_kubeconfig(kubeconfig)
    return cp


def get(cp: ControlPlane, path: str) -> dict[str, Any] | None:
    status, body = cp.request("GET", path)
    return json.loads(body) if status == 200 else None


def secret_fingerprints(cp: ControlPlane, namespace: str) -> dict[str, str]:
    """name -> sha256 of the Secret's type and data (what a comparison may show; never a value)."""
    found = get(cp, f"/api/v1/namespaces/{namespace}/secrets") or {"items": []}
    return {
        s["metadata"]["name"]: hashlib.sha256(
            json.dumps([s.get("type"), s.get("data") or {}], sort_keys=True).encode()
        ).hexdigest()[:16]
        for s in found["items"]
    }


def value_fingerprint(secret_type: str, data: dict[str, str]) -> str:
    """The fingerprint ``secret_fingerprints`` gives a Secret holding ``data`` (plain values)."""
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return hashlib.sha256(json.dumps([secret_type, encoded], sort_keys=True).encode()).hexdigest()[:16]


def resource_versions(cp: ControlPlane) -> dict[str, str]:
    """object path -> resourceVersion of every object of every built-in and custom kind."""
    out: dict[str, str] = {}
    collections = [c for c, _ in cp._discover()]
    crds = get(cp, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions") or {"items": []}
    for crd in crds["items"]:
        spec = crd["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("served"))
        collections.append(f"/apis/{spec['group']}/{version}/{spec['names']['plural']}")
    for collection in collections:
        listed = get(cp, collection)
        for item in (listed or {}).get("items", []):
            meta = item["metadata"]
            out[f"{collection}/{meta.get('namespace', '')}/{meta['name']}"] = meta["resourceVersion"]
    return out
