"""deploy/components/controllers: the kustomize component builds, and its RBAC is all the controller needs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.cli.main import build_parser
from tests.controllers.conftest import Cluster, Sops, Vault, external_secret

ROOT = Path(__file__).resolve().parents[2]
SA_USER = "system:serviceaccount:secretsops-system:secretsops"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """``kustomize build`` of the engine base with the controllers component, as an overlay would use it."""
    from tests.realkube import tool

    overlay = tmp_path_factory.mktemp("overlay")
    base = os.path.relpath(ROOT / "deploy", overlay)
    (overlay / "kustomization.yaml").write_text(
        f"resources: [{base}]\ncomponents: [{base}/components/controllers]\n"
    )
    out = subprocess.run(
        [tool("kustomize"), "build", str(overlay)], capture_output=True, check=True, text=True
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def _controllers_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [deployment] = [d for d in docs if d["kind"] == "Deployment"]
    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    assert set(containers) == {"engine", "controllers"}
    return containers["controllers"]


def test_the_component_runs_the_controllers_beside_the_engine_from_the_same_image(built: list) -> None:
    [deployment] = [d for d in built if d["kind"] == "Deployment"]
    images = {c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]}
    assert images == {"ghcr.io/secretsops/secretsops:0.1.0"}
    container = _controllers_container(built)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["runAsUser"] == 65532


def test_the_controllers_container_args_are_a_valid_command_line(built: list) -> None:
    from secretsops.cli.controller_cmds import settings_from

    args = _controllers_container(built)["args"]
    settings = settings_from(build_parser(args).parse_args(args))
    assert settings.leader_elect and settings.metrics_port == 8081
    assert set(settings.controllers) == {"sealedsecrets", "externalsecrets", "sopssecrets"}


def test_the_command_line_runs_the_controllers_default_workers_unless_told() -> None:
    """A reconcile mostly waits for the API server: the CLI keeps the controllers' 8 workers."""
    from secretsops.cli.controller_cmds import settings_from
    from secretsops.controllers.manager import ControllerSettings

    parser = build_parser(["controller"])
    assert settings_from(parser.parse_args(["controller"])).workers == ControllerSettings().workers == 8
    assert settings_from(parser.parse_args(["controller", "--workers", "3"])).workers == 3


def test_the_component_brings_every_crd_the_controllers_watch(built: list) -> None:
    crds = {d["metadata"]["name"] for d in built if d["kind"] == "CustomResourceDefinition"}
    assert crds == {
        "sealedsecrets.bitnami.com",
        "externalsecrets.external-secrets.io",
        "secretstores.external-secrets.io",
        "clustersecretstores.external-secrets.io",
        "sopssecrets.secretsops.io",
    }


def test_the_controller_runs_with_the_components_rbac_as_its_service_account(
    cluster: Cluster, built: list, realkube: Any, tmp_path: Path, vault: Vault, sops: Sops
) -> None:
    """Every controller, with only the component's RBAC: a SealedSecret, an ExternalSecret on the real
    OpenBao (store and token Secret read by name) and a SopsSecret (key Secret read) all become Secrets."""
    cluster.namespace("secretsops-system")
    for doc in built:
        if doc["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"):
            if (
                doc["metadata"]["name"].startswith("secretsops-controllers")
                or doc["kind"] == "ServiceAccount"
            ):
                cluster.create(doc)
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    vault.store(cluster, "shop")
    vault.put("shop/rbac-proof", password="from-bao")
    cluster.create(external_secret("shop", "api", "shop/rbac-proof", "password"))
    sops.key_secret(cluster)
    cluster.create(sops.sops_secret("shop", "conf", {"mode": "strict"}))
    kubeconfig = realkube.service_account_kubeconfig(
        "secretsops-system", "secretsops", tmp_path / "sa.kubeconfig"
    )
    mark = realkube.audit_mark()
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is tested
        [sys.executable, "-m", "secretsops", "controller", "--once", "--kubeconfig", str(kubeconfig)],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}
    assert cluster.secret_values("shop", "api") == {"password": "from-bao"}
    assert cluster.secret_values("shop", "conf") == {"mode": "strict"}
    time.sleep(0.5)  # the audit backend writes asynchronously
    events = realkube.audit(SA_USER, mark)
    forbidden = [e["requestURI"] for e in events if (e.get("responseStatus") or {}).get("code") == 403]
    assert forbidden == []


def test_the_network_policy_admits_the_controllers_port(built: list) -> None:
    [policy] = [d for d in built if d["kind"] == "NetworkPolicy"]
    ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule.get("ports") or []}
    assert {8080, 8081} <= ports
