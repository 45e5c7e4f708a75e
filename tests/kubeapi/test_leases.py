"""Leases with optimistic concurrency: leader election by read-modify-write on resourceVersion."""

from __future__ import annotations

import threading

import kubernetes
import pytest
from kubernetes.client import ApiException, CoordinationV1Api
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.resourcelock.leaselock import LeaseLock

from secretsops_devstack.kubeapi import KubeApiServer
from tests.kubeapi.rawhttp import call


def _lease(name: str, holder: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15}}


def test_second_writer_with_a_stale_read_loses(core: kubernetes.client.CoreV1Api) -> None:
    leases = CoordinationV1Api(core.api_client)
    leases.create_namespaced_lease("default", _lease("lock", "nobody"))
    first, second = (leases.read_namespaced_lease("lock", "default") for _ in range(2))
    first.spec.holder_identity = "a"
    leases.replace_namespaced_lease("lock", "default", first)
    second.spec.holder_identity = "b"
    with pytest.raises(ApiException) as err:
        leases.replace_namespaced_lease("lock", "default", second)
    assert err.value.status == 409
    assert leases.read_namespaced_lease("lock", "default").spec.holder_identity == "a"


def test_lease_times_are_served_as_rfc3339_micro_time(kubeapi: KubeApiServer) -> None:
    body = _lease("t", "a")
    body["spec"]["renewTime"] = "2026-01-02T04:04:05.500000+01:00"
    code, created = call(kubeapi, "POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", body)
    assert code == 201 and created["spec"]["renewTime"] == "2026-01-02T03:04:05.500000Z"


def test_lease_time_without_six_fractional_digits_is_bad_request(kubeapi: KubeApiServer) -> None:
    body = _lease("t", "a")
    body["spec"]["renewTime"] = "2026-01-02T04:04:05.5+01:00"
    code, status = call(kubeapi, "POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", body)
    assert code == 400 and 'parsing time "2026-01-02T04:04:05.5+01:00"' in status["message"]


def test_leader_election_with_lease_lock_elects_one_leader_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two candidates of the client's ``leaderelection``: one leads, the other takes over when it stops."""
    with KubeApiServer() as server:
        config = kubernetes.client.Configuration()
        config.host = server.url
        previous = kubernetes.client.Configuration.get_default_copy()
        kubernetes.client.Configuration.set_default(config)
        try:
            leaders: list[str] = []
            done = threading.Event()

            def candidate(identity: str) -> None:
                def lead() -> None:
                    leaders.append(identity)
                    if len(leaders) == 2:
                        done.set()
                    raise RuntimeError("step down")  # stop leading: the other must take over

                lock = LeaseLock("secretsops-leader", "default", identity)
                cfg = electionconfig.Config(
                    lock,
                    lease_duration=2,
                    renew_deadline=1.5,
                    retry_period=1,
                    onstarted_leading=lead,
                    onstopped_leading=lambda: None,
                )
                try:
                    leaderelection.LeaderElection(cfg).run()
                except Exception:  # noqa: BLE001 - the server goes away at the end of the test
                    return

            threads = [threading.Thread(target=candidate, args=(n,), daemon=True) for n in ("one", "two")]
            for thread in threads:
                thread.start()
            assert done.wait(timeout=10)
            assert sorted(leaders) == ["one", "two"]
            lease = CoordinationV1Api(server.api_client()).read_namespaced_lease(
                "secretsops-leader", "default"
            )
            assert lease.spec.holder_identity == leaders[1]
        finally:
            kubernetes.client.Configuration.set_default(previous)
