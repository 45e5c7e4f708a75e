"""plugins/argocd-cmp: the Config Management Plugin's commands, run as Argo CD runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from tests.helpers import new_canary

CMP = Path(__file__).resolve().parents[2] / "plugins" / "argocd-cmp"

REPO_SERVER = """apiVersion: apps/v1
kind: Deployment
metadata: {name: argocd-repo-server, namespace: argocd}
spec:
  selector: {matchLabels: {app: repo-server}}
  template:
    metadata: {labels: {app: repo-server}}
    spec:
      containers:
      - {name: argocd-repo-server, image: quay.io/argoproj/argocd}
      volumes:
      - {name: var-files, emptyDir: {}}
      - {name: plugins, emptyDir: {}}
"""


@pytest.fixture(scope="module")
def plugin() -> dict[str, Any]:
    return dict(yaml.safe_load((CMP / "plugin.yaml").read_text()))


def _sh(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Argo CD runs ``command`` + ``args`` in the application's directory."""
    argv = [*step["command"], *step.get("args", [])]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _env(key_file: Path | None = None) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
    if key_file is not None:
        env["SOPS_AGE_KEY_FILE"] = str(key_file)
    return env


@pytest.fixture
def app_repo(tmp_path: Path) -> tuple[Path, Path, str]:
    identity, recipient = generate_identity()
    key_file = tmp_path / "age.agekey"
    key_file.write_text(identity + "\n")
    canary = new_canary()
    repo = tmp_path / "app"
    repo.mkdir()
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\n"
    text += f"stringData: {{PASSWORD: {canary}}}\n"
    opts = EncryptOptions(encrypted_regex="^(data|stringData)$")
    (repo / "db.yaml").write_bytes(
        encrypt_bytes(
            text.encode(), "yaml", groups=[[AgeKeySource(recipient)]], options=opts, ctx=KeyContext()
        )
    )
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\n")
    return repo, key_file, canary


def test_plugin_is_a_config_management_plugin(plugin: dict[str, Any]) -> None:
    assert plugin["apiVersion"] == "argoproj.io/v1alpha1" and plugin["kind"] == "ConfigManagementPlugin"
    assert plugin["metadata"]["name"] == "secretsops" and plugin["spec"]["version"]
    assert {"generate", "discover"} <= set(plugin["spec"])


def test_generate_prints_the_objects_with_secrets_decrypted(plugin, app_repo) -> None:  # type: ignore[no-untyped-def]
    repo, key_file, canary = app_repo
    done = _sh(plugin["spec"]["generate"], repo, _env(key_file))
    assert done.returncode == 0, done.stderr
    docs = {d["kind"]: d for d in yaml.safe_load_all(done.stdout) if d}
    assert docs["Secret"]["stringData"] == {"PASSWORD": canary} and "sops" not in docs["Secret"]
    assert "ConfigMap" in docs


def test_generate_fails_closed_without_the_key(plugin, app_repo) -> None:  # type: ignore[no-untyped-def]
    repo, _, canary = app_repo
    done = _sh(plugin["spec"]["generate"], repo, _env())
    assert done.returncode != 0 and done.stdout == ""
    assert canary not in done.stderr


def test_discover_claims_repositories_with_protected_secrets_only(plugin, app_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, _, _ = app_repo
    find = plugin["spec"]["discover"]["find"]
    assert _sh(find, repo, _env()).stdout.strip()
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    assert _sh(find, plain, _env()).stdout.strip() == ""


def test_component_adds_the_sidecar_to_argo_cds_repo_server(tmp_path: Path) -> None:
    (tmp_path / "repo-server.yaml").write_text(REPO_SERVER)
    component = os.path.relpath(CMP, tmp_path)  # kustomize refuses absolute roots
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [repo-server.yaml]\ncomponents: [{component}]\n"
    )
    built = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    docs = {d["kind"]: d for d in yaml.safe_load_all(built) if d}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "secretsops-cmp")
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsNonRoot"] is True
    mounts = {m["mountPath"]: m["name"] for m in sidecar["volumeMounts"]}
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"] == "secretsops-cmp-plugin"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["secretsops-cmp-tmp"]["emptyDir"]["medium"] == "Memory"
    cm = docs["ConfigMap"]
    assert cm["metadata"]["name"] == "secretsops-cmp-plugin"
    assert yaml.safe_load(cm["data"]["plugin.yaml"])["kind"] == "ConfigManagementPlugin"
