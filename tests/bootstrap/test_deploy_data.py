"""The manifests an installed package bootstraps with are deploy/ exactly (no cluster needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from secretsops.engine.bootstrap.manifests import SourceFlags, install_objects, shipped_objects

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_install_yaml_is_what_kustomize_builds_from_deploy() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts/sync_deploy_data.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_shipped_objects_are_the_engine_the_controllers_and_their_crds() -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in shipped_objects()}
    assert ("Namespace", "secretsops-system") in kinds
    assert ("CustomResourceDefinition", "sealedsecrets.bitnami.com") in kinds
    assert ("CustomResourceDefinition", "externalsecrets.external-secrets.io") in kinds
    deployment = next(o for o in shipped_objects() if o["kind"] == "Deployment")
    containers = {c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]}
    assert containers == {"engine", "controllers"}


def test_the_sources_configmap_holds_the_flags_and_the_deployment_mounts_it() -> None:
    text = SourceFlags("https://git.example.org/platform.git", "v1.2.0", "clusters/prod").sources_yaml()
    objs = install_objects(text)
    cm = next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("secretsops-sources")
    )
    source = yaml.safe_load(cm["data"]["sources.yaml"])["sources"][0]
    assert source["url"] == "https://git.example.org/platform.git"
    assert source["ref"] == {"branch": "v1.2.0"}
    assert source["path"] == "clusters/prod"
    assert source["prune"] is True and source["selfHeal"] is True
    assert source["decryption"]["secretRef"] == {"name": "sops-keys"}
    deployment = next(o for o in objs if o["kind"] == "Deployment")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert {"name": "sources", "configMap": {"name": cm["metadata"]["name"]}} in volumes


def test_a_tag_ref_is_written_as_a_tag() -> None:
    text = SourceFlags("https://git.example.org/platform.git", "tags/v1.2.0").sources_yaml()
    assert yaml.safe_load(text)["sources"][0]["ref"] == {"tag": "v1.2.0"}


def test_the_sources_configmap_is_named_by_its_content() -> None:
    def name(repo: str) -> str:
        objs = install_objects(SourceFlags(repo).sources_yaml())
        return next(o["metadata"]["name"] for o in objs if o["kind"] == "ConfigMap")

    assert name("https://a.example/x.git") == name("https://a.example/x.git")
    assert name("https://a.example/x.git") != name("https://a.example/y.git")
