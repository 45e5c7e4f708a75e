"""One lock guards the state: concurrent writers get unique, increasing resource versions."""

from __future__ import annotations

import threading

from kubernetes.client import ApiException, CoordinationV1Api, CoreV1Api

from secretsops_devstack.kubeapi import KubeApiServer


def test_parallel_creates_get_unique_resource_versions(kubeapi: KubeApiServer) -> None:
    versions: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        core = CoreV1Api(kubeapi.api_client())
        for i in range(20):
            made = core.create_namespaced_config_map("default", {"metadata": {"name": f"w{n}-{i}"}})
            with lock:
                versions.append(int(made.metadata.resource_version))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(versions) == len(set(versions)) == 120


def test_racing_updates_of_one_lease_let_exactly_one_win(kubeapi: KubeApiServer) -> None:
    leases = CoordinationV1Api(kubeapi.api_client())
    leases.create_namespaced_lease("default", {"metadata": {"name": "l"}, "spec": {"holderIdentity": "none"}})
    reads = [leases.read_namespaced_lease("l", "default") for _ in range(6)]
    outcomes: list[int] = []
    barrier = threading.Barrier(len(reads))

    def contender(n: int) -> None:
        api = CoordinationV1Api(kubeapi.api_client())
        lease = reads[n]
        lease.spec.holder_identity = f"c{n}"
        barrier.wait()
        try:
            api.replace_namespaced_lease("l", "default", lease)
            outcomes.append(200)
        except ApiException as err:
            outcomes.append(err.status)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(len(reads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [200] + [409] * (len(reads) - 1)
