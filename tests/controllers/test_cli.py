"""``secretsops controller`` as a process: --once exit codes, flag errors, a killed leader taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.controllers.conftest import Cluster, eventually
from tests.helpers import new_canary


def _cmd(cluster: Cluster, *args: str) -> list[str]:
    return [sys.executable, "-m", "secretsops", "controller", "--kubeconfig", str(cluster.kubeconfig), *args]


def _env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(home)}


def test_once_exits_0_when_every_object_opened(cluster: Cluster, tmp_path: Path) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is tested
        _cmd(cluster, "--once", "--controllers", "sealedsecrets"),
        env=_env(tmp_path),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert cluster.secret_values("shop", "db") == {"password": "hunter2"}


def test_once_exits_1_when_an_object_failed_and_never_prints_a_value(
    cluster: Cluster, tmp_path: Path
) -> None:
    canary = new_canary()
    sealed = cluster.seal("payments", "db", {"password": canary})
    sealed["metadata"]["namespace"] = "shop"
    cluster.create(sealed)
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is tested
        _cmd(cluster, "--once", "--controllers", "sealedsecrets"),
        env=_env(tmp_path),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert canary.encode() not in done.stderr + done.stdout
    assert b"Traceback" not in done.stderr


def test_an_unknown_controller_is_a_usage_error(cluster: Cluster, tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is tested
        _cmd(cluster, "--once", "--controllers", "sealedsecrets,helmreleases"),
        env=_env(tmp_path),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"unknown controller helmreleases" in done.stderr
    assert len(done.stderr.decode().strip().splitlines()) == 1


def _holder(cluster: Cluster) -> str:
    lease = (
        cluster.get("coordination.k8s.io/v1", "Lease", "secretsops-system", "secretsops-controllers") or {}
    )
    return str((lease.get("spec") or {}).get("holderIdentity") or "")


def test_a_killed_leader_is_taken_over_by_the_second_replica(cluster: Cluster, tmp_path: Path) -> None:
    cluster.namespace("secretsops-system")
    cluster.sealing_key()
    flags = (
        "--leader-elect",
        "--lease-duration",
        "3s",
        "--metrics-port",
        "-1",
        "--controllers",
        "sealedsecrets",
    )
    first = subprocess.Popen(_cmd(cluster, *flags), env=_env(tmp_path), stderr=subprocess.DEVNULL)
    second = None
    try:
        leader = eventually(lambda: _holder(cluster), timeout=30, what="a leader")
        second = subprocess.Popen(_cmd(cluster, *flags), env=_env(tmp_path), stderr=subprocess.DEVNULL)
        cluster.create(cluster.seal("shop", "one", {"password": "first"}))
        eventually(lambda: cluster.secret("shop", "one"), timeout=30, what="the leader writes")
        time.sleep(1.0)  # the second replica is campaigning
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        cluster.create(cluster.seal("shop", "two", {"password": "second"}))
        eventually(lambda: _holder(cluster) not in ("", leader), timeout=30, what="a new leader")
        eventually(
            lambda: cluster.secret_values("shop", "two") == {"password": "second"},
            timeout=30,
            what="takeover",
        )
        assert second.poll() is None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)
