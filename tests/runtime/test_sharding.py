"""Sharding (as Flux's sharding.fluxcd.io/key): a replica takes only its shard's sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from secretsops.cli.main import main
from secretsops.engine.config import SHARD_LABEL, load_sources
from secretsops.engine.leader import LEASE_NAME, lease_name

FLAT = """sources:
- name: one
  url: {repo}
  labels: {{sharding.secretsops.io/key: a}}
- name: two
  url: {repo2}
"""

FLUX = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: repo}}
spec: {{url: {repo}}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: sharded
  labels: {{sharding.secretsops.io/key: b}}
spec:
  sourceRef: {{kind: GitRepository, name: repo}}
"""


def _dir(path: Path, cm: str) -> Path:
    path.mkdir()
    (path / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {cm}, namespace: default}}\n"
    )
    return path


def test_shard_label_is_read_from_flat_sources_and_flux_kustomizations(tmp_path: Path) -> None:
    (tmp_path / "flat.yaml").write_text(FLAT.format(repo=tmp_path, repo2=tmp_path))
    (tmp_path / "flux.yaml").write_text(FLUX.format(repo=tmp_path))
    assert [s.shard for s in load_sources(tmp_path / "flat.yaml", "ns")] == ["a", ""]
    assert [s.shard for s in load_sources(tmp_path / "flux.yaml", "ns")] == ["b"]
    assert SHARD_LABEL == "sharding.secretsops.io/key"


def _configmaps(kubeapi) -> set[str]:  # type: ignore[no-untyped-def]
    items = client.CoreV1Api(kubeapi.api_client()).list_namespaced_config_map("default").items
    return {c.metadata.name for c in items}


@pytest.mark.parametrize(("shard", "applied"), [("a", {"from-one"}), ("", {"from-two"})])
def test_a_replica_reconciles_only_its_shard(kubeapi, tmp_path: Path, shard: str, applied: set[str]) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "sources.yaml"
    config.write_text(
        FLAT.format(repo=_dir(tmp_path / "r1", "from-one"), repo2=_dir(tmp_path / "r2", "from-two"))
    )
    kubeconfig = kubeapi.write_kubeconfig(tmp_path / "kubeconfig")
    argv = ["reconcile", "--config", str(config), "--once", "--kubeconfig", str(kubeconfig)]
    assert main([*argv, "--shard-key", shard] if shard else argv) == 0
    assert _configmaps(kubeapi) == applied


def test_a_shard_without_sources_is_a_usage_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "sources.yaml"
    config.write_text(FLAT.format(repo=tmp_path, repo2=tmp_path))
    assert main(["reconcile", "--config", str(config), "--once", "--shard-key", "zzz"]) == 2
    assert "no sources for shard zzz" in capsys.readouterr().err


def test_shard_key_needs_a_config_file(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["reconcile", "--repo", ".", "--once", "--shard-key", "a"]) == 2


def test_each_shard_elects_its_own_leader() -> None:
    assert lease_name() == LEASE_NAME
    assert lease_name("a") == f"{LEASE_NAME}-a" != lease_name("b")
