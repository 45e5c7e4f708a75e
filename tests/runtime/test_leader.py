"""Lease leader election: one replica applies; fail-over within the lease duration."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kubernetes import client

from secretsops.engine.leader import FencedKube, LeaderElector, LeaseTimings
from secretsops.errors import ApplyError
from secretsops.kube import KubeClient

NS = "secretsops-system"
TIMINGS = LeaseTimings(lease_duration=2.0, renew_deadline=1.5, retry_period=0.2)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cluster(kubeapi):  # type: ignore[no-untyped-def]
    client.CoreV1Api(kubeapi.api_client()).create_namespace({"metadata": {"name": NS}})
    return kubeapi


def elector(cluster, name: str, clock: Clock | None = None) -> LeaderElector:  # type: ignore[no-untyped-def]
    return LeaderElector(
        KubeClient(cluster.api_client()), NS, identity=name, timings=TIMINGS, clock=clock or time.monotonic
    )


def holder(cluster) -> str:  # type: ignore[no-untyped-def]
    lease = client.CoordinationV1Api(cluster.api_client()).read_namespaced_lease("secretsops-leader", NS)
    return str(lease.spec.holder_identity or "")


@pytest.mark.realkube
def test_first_candidate_takes_the_lease_and_the_second_stays_standby(cluster) -> None:
    a, b = elector(cluster, "a"), elector(cluster, "b")
    assert a.try_acquire_or_renew() and not b.try_acquire_or_renew()
    assert a.is_leader() and not b.is_leader()
    assert holder(cluster) == "a"


@pytest.mark.realkube
def test_leader_renews_its_own_lease(cluster) -> None:
    a = elector(cluster, "a")
    a.try_acquire_or_renew()
    assert a.try_acquire_or_renew() and holder(cluster) == "a"


@pytest.mark.realkube
def test_standby_takes_over_once_the_lease_was_not_renewed_for_its_duration(cluster) -> None:
    clock = Clock()
    a, b = elector(cluster, "a", clock), elector(cluster, "b", clock)
    a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    clock.now += TIMINGS.lease_duration - 0.1
    assert not b.try_acquire_or_renew()
    clock.now += 0.2
    assert b.try_acquire_or_renew() and holder(cluster) == "b"
    lease = client.CoordinationV1Api(cluster.api_client()).read_namespaced_lease("secretsops-leader", NS)
    assert lease.spec.lease_transitions == 1


@pytest.mark.realkube
def test_a_lease_that_keeps_being_renewed_is_never_taken(cluster) -> None:
    clock = Clock()
    a, b = elector(cluster, "a", clock), elector(cluster, "b", clock)
    for _ in range(10):
        assert a.try_acquire_or_renew()
        assert not b.try_acquire_or_renew()
        clock.now += TIMINGS.lease_duration / 2


@pytest.mark.realkube
def test_leader_that_cannot_renew_stops_leading_at_the_renew_deadline(cluster) -> None:
    clock = Clock()
    a = elector(cluster, "a", clock)
    a.try_acquire_or_renew()
    clock.now += TIMINGS.renew_deadline - 0.01
    assert a.is_leader()
    clock.now += 0.02
    assert not a.is_leader()  # before the lease can expire for anyone else


def test_failed_renewals_end_leadership(cluster) -> None:
    clock = Clock()
    a = elector(cluster, "a", clock)
    a.try_acquire_or_renew()
    cluster.inject("PUT", r"/leases/secretsops-leader$", 500, times=100)
    clock.now += TIMINGS.renew_deadline
    assert not a.try_acquire_or_renew()
    assert not a.is_leader()


@pytest.mark.realkube
def test_released_lease_is_taken_at_once(cluster) -> None:
    a, b = elector(cluster, "a"), elector(cluster, "b")
    a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    a.release()
    assert holder(cluster) == ""
    assert b.try_acquire_or_renew() and holder(cluster) == "b"


@pytest.mark.realkube
def test_of_many_concurrent_candidates_exactly_one_leads(cluster) -> None:
    candidates = [elector(cluster, f"c{i}") for i in range(4)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in candidates]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        for _ in range(5):
            assert sum(c.is_leader() for c in candidates) == 1
            time.sleep(0.1)
    finally:
        for c in candidates:
            c.stop()
        for t in threads:
            t.join(3)
    assert holder(cluster) == ""  # the leader released on stop


@pytest.mark.realkube
def test_fenced_client_refuses_writes_once_leadership_is_lost(cluster) -> None:
    leading = [True]
    kube = FencedKube.around(KubeClient(cluster.api_client()), lambda: leading[0])
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": NS}, "data": {}}
    kube.apply(cm)
    leading[0] = False
    with pytest.raises(ApplyError, match="not the leader"):
        kube.apply(cm)
    assert kube.get("v1", "ConfigMap", NS, "x") is not None  # reads still work


def test_lease_timings_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        LeaseTimings(lease_duration=2, renew_deadline=3, retry_period=1)


# --- two engine processes ------------------------------------------------------------------------


def _engine(kubeconfig: Path, repo: Path, log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "secretsops", "reconcile", "--repo", str(repo), "--interval", "1s"]
    argv += ["--kubeconfig", str(kubeconfig), "--leader-elect", "--lease-duration", "3s", "--name", "app"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=dict(os.environ))


def _passes(log: Path) -> int:
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    return sum(1 for x in lines if x.get("msg") == "pass finished")


def _wait(cond, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.realkube
def test_two_engine_processes_only_the_leader_applies_and_the_other_takes_over(cluster, tmp_path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello, namespace: default}\ndata: {k: v}\n"
    )
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    procs = [_engine(kubeconfig, repo, logs[0]), _engine(kubeconfig, repo, logs[1])]
    try:
        assert _wait(lambda: any(_passes(x) >= 2 for x in logs), 20), [x.read_text()[-500:] for x in logs]
        leader = 0 if _passes(logs[0]) else 1
        standby = 1 - leader
        assert _passes(logs[standby]) == 0
        crashed = holder(cluster)
        procs[leader].send_signal(signal.SIGKILL)  # a crash: no release
        procs[leader].wait(5)
        killed_at = time.monotonic()
        assert _wait(lambda: holder(cluster) not in ("", crashed), 10)
        # within the lease duration (3 s) of the last renewal, plus one jittered retry period
        assert time.monotonic() - killed_at < 3.0 + 1.0
        assert _wait(lambda: _passes(logs[standby]) >= 1, 10)  # and the new leader applies
        client.CoreV1Api(cluster.api_client()).delete_namespaced_config_map("hello", "default")
        assert _wait(lambda: _cm_exists(cluster), 10)  # the new leader heals drift
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def _cm_exists(cluster) -> bool:  # type: ignore[no-untyped-def]
    from kubernetes.client.exceptions import ApiException

    try:
        client.CoreV1Api(cluster.api_client()).read_namespaced_config_map("hello", "default")
        return True
    except ApiException:
        return False


@pytest.mark.realkube
def test_sigterm_releases_the_lease(cluster, tmp_path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n"
    )
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    log = tmp_path / "e.log"
    proc = _engine(kubeconfig, repo, log)
    try:
        assert _wait(lambda: _passes(log) >= 1, 20), log.read_text()[-500:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert holder(cluster) == ""


@pytest.mark.realkube
def test_leader_gauge_follows_the_lease(cluster) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import CollectorRegistry

    from secretsops.engine.leader import _leader_gauge

    registry = CollectorRegistry()
    clock = Clock()
    a = elector(cluster, "a", clock)
    _leader_gauge(registry, a)
    assert registry.get_sample_value("secretsops_leader") == 0.0
    a.try_acquire_or_renew()
    assert registry.get_sample_value("secretsops_leader") == 1.0
    clock.now += TIMINGS.renew_deadline
    assert registry.get_sample_value("secretsops_leader") == 0.0


def test_once_with_leader_election_is_refused_rather_than_applying_unelected(capsys) -> None:  # type: ignore[no-untyped-def]
    from secretsops.cli.main import main

    assert main(["reconcile", "--repo", ".", "--once", "--leader-elect"]) == 2
    assert "--leader-elect" in capsys.readouterr().err


@pytest.mark.realkube
def test_a_candidate_is_in_contact_while_it_reads_the_lease(cluster) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    a, b = elector(cluster, "a", clock), elector(cluster, "b", clock)
    assert not b.in_contact()
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    assert b.in_contact() and not b.is_leader()
    clock.now += TIMINGS.lease_duration
    assert not b.in_contact()
