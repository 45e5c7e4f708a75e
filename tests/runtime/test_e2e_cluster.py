"""Leader election and the deploy/ base against a real cluster: only with SECRETSOPS_E2E_KUBECONFIG.

SECRETSOPS_E2E_KUBECONFIG=/tmp/e2e.kubeconfig pytest tests/runtime -m e2e -q -p no:cacheprovider
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secretsops.engine.leader import LeaderElector, LeaseTimings

pytestmark = pytest.mark.e2e

KUBECONFIG = os.environ.get("SECRETSOPS_E2E_KUBECONFIG", "")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
def namespace() -> Iterator[tuple[Any, str]]:
    if not KUBECONFIG:
        pytest.skip("SECRETSOPS_E2E_KUBECONFIG is not set")
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=KUBECONFIG)
    ns = f"so-e2e-lease-{os.urandom(3).hex()}"
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": ns}})
    yield api, ns
    core.delete_namespace(ns)


def test_real_apiserver_lets_exactly_one_candidate_lead_and_hands_over_on_release(namespace) -> None:  # type: ignore[no-untyped-def]
    api, ns = namespace
    timings = LeaseTimings(lease_duration=3.0, renew_deadline=2.0, retry_period=0.4)
    a = LeaderElector(api, ns, identity="a", timings=timings)
    b = LeaderElector(api, ns, identity="b", timings=timings)
    assert a.try_acquire_or_renew() and not b.try_acquire_or_renew()
    a.release()
    assert b.try_acquire_or_renew()


def test_deploy_base_passes_server_side_dry_run() -> None:
    if not KUBECONFIG:
        pytest.skip("SECRETSOPS_E2E_KUBECONFIG is not set")
    done = subprocess.run(
        ["kubectl", "--kubeconfig", KUBECONFIG, "apply", "-k", str(DEPLOY), "--dry-run=server"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
