"""deploy/: the in-cluster kustomize base builds and says what the brief asks of it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.cli.main import build_parser, main

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(scope="module")
def objects() -> dict[tuple[str, str, str], dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY)], check=True, capture_output=True, text=True)
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in docs}


def _one(objects: dict[tuple[str, str, str], dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for (k, _, n), o in objects.items() if k == kind and n == name]
    return found


def _pod(objects: dict[tuple[str, str, str], dict[str, Any]]) -> dict[str, Any]:
    return _one(objects, "Deployment", "secretsops")["spec"]["template"]["spec"]


def test_base_builds_with_kubectl_kustomize(objects) -> None:  # type: ignore[no-untyped-def]
    kinds = {k for k, _, _ in objects}
    assert {"Namespace", "ServiceAccount", "Deployment", "Service", "NetworkPolicy", "ConfigMap"} <= kinds
    assert {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "PodDisruptionBudget"} <= kinds


def test_two_replicas_with_leader_election(objects) -> None:  # type: ignore[no-untyped-def]
    dep = _one(objects, "Deployment", "secretsops")
    assert dep["spec"]["replicas"] == 2
    assert "--leader-elect" in dep["spec"]["template"]["spec"]["containers"][0]["args"]


def test_container_arguments_are_flags_the_cli_accepts(objects) -> None:  # type: ignore[no-untyped-def]
    args = build_parser().parse_args(_pod(objects)["containers"][0]["args"])
    assert args.leader_elect and args.metrics_port == 8080 and args.bind_address == "0.0.0.0"


def test_runs_as_non_root_with_a_read_only_root_filesystem(objects) -> None:  # type: ignore[no-untyped-def]
    pod = _pod(objects)
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["limits"]["memory"]


def test_work_directory_is_memory_backed(objects) -> None:  # type: ignore[no-untyped-def]
    pod = _pod(objects)
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["work"]["emptyDir"]["medium"] == "Memory"
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert env["TMPDIR"] == mounts["work"] and env["HOME"] == mounts["work"]


def test_probes_hit_healthz_and_readyz(objects) -> None:  # type: ignore[no-untyped-def]
    container = _pod(objects)["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def _rules(obj: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (g, r, v)
        for rule in obj["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }


def test_rbac_grants_leases_only_in_the_engines_namespace(objects) -> None:  # type: ignore[no-untyped-def]
    role = objects[("Role", "secretsops-system", "secretsops-engine")]
    assert {("coordination.k8s.io", "leases", v) for v in ("get", "create", "update")} <= _rules(role)
    cluster = _one(objects, "ClusterRole", "secretsops-apply")
    assert not any(r == "leases" for _, r, _ in _rules(cluster))


def test_rbac_reads_sealing_keys_in_kube_system_and_writes_events_and_status(objects) -> None:  # type: ignore[no-untyped-def]
    sealing = objects[("Role", "kube-system", "secretsops-sealing-keys")]
    assert _rules(sealing) == {("", "secrets", "get"), ("", "secrets", "list")}
    engine = _rules(objects[("Role", "secretsops-system", "secretsops-engine")])
    assert ("", "events", "create") in engine and ("", "configmaps", "patch") in engine


def test_rbac_has_no_wildcards(objects) -> None:  # type: ignore[no-untyped-def]
    for (kind, _, _), obj in objects.items():
        if kind in ("Role", "ClusterRole"):
            assert not any("*" in part for rule in _rules(obj) for part in rule)


def test_service_exposes_metrics_and_the_cert_endpoint_port(objects) -> None:  # type: ignore[no-untyped-def]
    svc = objects[("Service", "secretsops-system", "secretsops")]
    assert svc["spec"]["ports"][0]["name"] == "http"  # kubeseal's --fetch-cert proxies to port "http"
    assert (
        svc["spec"]["selector"]
        == _one(objects, "Deployment", "secretsops")["spec"]["selector"]["matchLabels"]
    )


def test_sources_config_parses(objects, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from secretsops.engine.config import load_sources

    (cm,) = [o for (k, _, _), o in objects.items() if k == "ConfigMap"]
    (tmp_path / "sources.yaml").write_text(cm["data"]["sources.yaml"])
    (spec,) = load_sources(tmp_path / "sources.yaml", "secretsops-system")
    assert spec.decryption_secret is not None


def test_deploy_holds_no_plaintext_secret() -> None:
    assert main(["check", str(DEPLOY)]) == 0
