"""`backup` records, on the key Secrets, that they are backed up; a backup user who may not patch
them still gets the backup (and a warning that it is not recorded)."""

from __future__ import annotations

import pytest
from kubernetes.client import CoreV1Api, RbacAuthorizationV1Api

from secretsops.engine.backup_state import BACKED_UP_AT

from .conftest import store_key

pytestmark = pytest.mark.realkube


def _read_only_backup_user(realkube, tmp_path):
    """A ServiceAccount that may read the key Secrets but not annotate them."""
    api = realkube.api_client()
    core, rbac = CoreV1Api(api), RbacAuthorizationV1Api(api)
    core.create_namespace({"metadata": {"name": "dr-readonly"}})
    core.create_namespaced_service_account("dr-readonly", {"metadata": {"name": "backup"}})
    rbac.create_namespaced_role(
        "kube-system",
        {
            "metadata": {"name": "dr-readonly-keys"},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        "kube-system",
        {
            "metadata": {"name": "dr-readonly-keys"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "dr-readonly-keys"},
            "subjects": [{"kind": "ServiceAccount", "name": "backup", "namespace": "dr-readonly"}],
        },
    )
    return realkube.service_account_kubeconfig("dr-readonly", "backup", tmp_path / "backup.kubeconfig")


def test_a_backup_annotates_each_key_secret_it_holds(run_cli, realkube, keypairs, recovery, tmp_path):
    store_key(realkube.api_client(), keypairs[0], "sealed-secrets-key-rec")
    code, _, stderr = run_cli(
        "backup",
        "--kubeconfig",
        str(realkube.kubeconfig),
        "--age",
        recovery.recipient,
        "-o",
        str(tmp_path / "b.enc.yaml"),
    )
    assert code == 0, stderr
    secret = CoreV1Api(realkube.api_client()).read_namespaced_secret("sealed-secrets-key-rec", "kube-system")
    assert secret.metadata.annotations[BACKED_UP_AT].endswith("Z")


def test_a_backup_user_who_may_not_annotate_still_gets_the_backup(
    run_cli, realkube, keypairs, recovery, tmp_path
):
    store_key(realkube.api_client(), keypairs[0], "sealed-secrets-key-ro")
    kubeconfig = _read_only_backup_user(realkube, tmp_path)
    out = tmp_path / "b.enc.yaml"
    code, _, stderr = run_cli(
        "backup", "--kubeconfig", str(kubeconfig), "--age", recovery.recipient, "-o", str(out)
    )
    assert code == 0, stderr
    assert out.exists()
    assert "warning: backup written, but not recorded on the key Secrets" in stderr
    assert "Traceback" not in stderr
