"""Against a real cluster (kind, k3d, ...): only when SECRETSOPS_E2E_KUBECONFIG is set.

    kind create cluster --name secretsops-e2e
    kind get kubeconfig --name secretsops-e2e > /tmp/e2e.kubeconfig
    SECRETSOPS_E2E_KUBECONFIG=/tmp/e2e.kubeconfig pytest tests/engine -m e2e -q -p no:cacheprovider

Everything is created in two fresh namespaces that the test deletes afterwards.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.e2e

KUBECONFIG = os.environ.get("SECRETSOPS_E2E_KUBECONFIG", "")


@pytest.fixture
def cluster() -> Iterator[tuple[object, str]]:
    if not KUBECONFIG:
        pytest.skip("SECRETSOPS_E2E_KUBECONFIG is not set")
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=KUBECONFIG)
    suffix = os.urandom(3).hex()
    app_ns, engine_ns = f"so-e2e-{suffix}", f"so-e2e-{suffix}-system"
    core = client.CoreV1Api(api)
    yield api, suffix
    for ns in (app_ns, engine_ns):
        try:
            core.delete_namespace(ns)
        except client.exceptions.ApiException:
            pass


def test_real_cluster_apply_change_prune_and_heal(cluster, git_repo, age_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kubernetes import client
    from prometheus_client import CollectorRegistry

    from secretsops.engine.builder import build_engine
    from secretsops.engine.config import EngineSettings, SourceSpec
    from secretsops.engine.metrics import EngineMetrics
    from secretsops.engine.source import GitRef

    api, suffix = cluster
    ns = f"so-e2e-{suffix}"
    core = client.CoreV1Api(api)

    def write(env: str, cms: list[str]) -> None:
        git_repo.write("app/ns.yaml", f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")
        git_repo.write("app/db.env", age_key.encrypt(env, "dotenv", regex=""))
        for f in (git_repo.path / "app").glob("cm-*.yaml"):
            f.unlink()
        for name in cms:
            git_repo.write(
                f"app/{name}.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
            )
        resources = ", ".join(["ns.yaml", *(f"{c}.yaml" for c in cms)])
        git_repo.write(
            "app/kustomization.yaml",
            f"namespace: {ns}\nresources: [{resources}]\nsecretGenerator:\n- name: db\n  envs: [db.env]\n"
            "  options: {disableNameSuffixHash: true}\n",
        )
        git_repo.commit()

    def secret() -> dict[str, str]:
        s = core.read_namespaced_secret("db", ns)
        return {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}

    write("PASSWORD=one\n", ["cm-a", "cm-b"])
    spec = SourceSpec(name=f"e2e-{suffix}", url=git_repo.url, ref=GitRef(branch="main"), path="app")
    settings = EngineSettings(namespace=f"so-e2e-{suffix}-system", work_dir=tmp_path)
    eng = build_engine(
        [spec],
        settings,
        api,
        {**age_key.env, "PATH": os.environ["PATH"]},
        metrics=EngineMetrics.create(CollectorRegistry()),
    )
    try:
        assert eng.run_once()[0].ok
        assert secret() == {"PASSWORD": "one"}
        write("PASSWORD=two\n", ["cm-a"])
        (res,) = eng.run_once()
        assert res.ok and [str(p) for p in res.pruned] == [f"ConfigMap/{ns}/cm-b"]
        assert secret() == {"PASSWORD": "two"}
        core.patch_namespaced_secret("db", ns, {"data": {"PASSWORD": base64.b64encode(b"evil").decode()}})
        time.sleep(0.5)
        (res,) = eng.run_once()
        assert res.healed and secret() == {"PASSWORD": "two"}
    finally:
        eng.close()
