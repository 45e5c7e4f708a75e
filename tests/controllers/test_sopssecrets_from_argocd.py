"""The Argo CD plugin's safer mode end to end: what the plugin emits (run as argocd-cmp-server runs
it, no key in the sidecar) is applied as Argo CD would, and the sopssecrets controller on the real
API server opens it into the Secret."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.controllers.conftest import Cluster, Sops
from tests.integrations.test_argocd_cmp import generate


def test_a_sops_secret_emitted_in_passthrough_mode_is_opened_by_the_controller(
    cluster: Cluster, sops: Sops, tmp_path: Path
) -> None:
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "stringData": {"pw": "in-cluster"},
    }
    (app / "db.yaml").write_text(sops.encrypt(manifest))
    keys = tmp_path / "no-keys"
    keys.mkdir()
    out = generate(
        tmp_path / "repo",
        "shop",
        tmp_path,
        keys,
        ARGOCD_ENV_SECRETSOPS_MODE="passthrough",
        ARGOCD_APP_NAMESPACE="argo-passthrough",
    )
    assert out.returncode == 0, out.stderr
    assert "in-cluster" not in out.stdout
    (obj,) = [d for d in yaml.safe_load_all(out.stdout) if d]
    cluster.namespace("argo-passthrough")
    sops.key_secret(cluster)
    cluster.create(obj)
    assert cluster.once(controllers=("sopssecrets",)) == 0
    assert cluster.secret_values("argo-passthrough", "db") == {"pw": "in-cluster"}
