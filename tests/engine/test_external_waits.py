"""A store declared in git is applied, then used (issue 11 row 1): ExternalSecrets wait, never fail.

The engine uses a SecretStore or ClusterSecretStore only as the API server holds it. A pass whose
ExternalSecret needs a store (or auth Secret) the same commit declares applies it, then resolves in
a second round at once; while the store is missing from the API server the ExternalSecret waits and
the Secret it wrote before stays (neither pruned nor re-resolved from git). A ClusterSecretStore is
read with the engine's identity (ESO's model), a SecretStore through the source's client: here both
are the engine's (the source impersonates no one).
"""

from __future__ import annotations

import time

import hvac

from secretsops.engine.loop import WAITING_RETRY
from secretsops.kube import KubeClient
from secretsops.manifests import ObjectId
from tests.controllers.conftest import install_crds
from tests.engine.test_decryptors import add_resources
from tests.engine.test_external_refresh import STORE

WAITS = (
    "ExternalSecret apps/api waits: SecretStore apps/bao is declared in this source but not in the"
    " cluster yet"
)


def _cluster_store(text: str) -> str:
    """STORE with a ClusterSecretStore for namespace apps (its token Secret named with its namespace)."""
    for old, new in (
        (
            "kind: SecretStore\nmetadata:\n  name: bao\n  namespace: apps\nspec:\n",
            "kind: ClusterSecretStore\n"
            "metadata:\n  name: bao\nspec:\n  conditions:\n  - namespaces: [apps]\n",
        ),
        ("          name: bao-token\n", "          name: bao-token\n          namespace: apps\n"),
        ("    kind: SecretStore\n", "    kind: ClusterSecretStore\n"),
    ):
        assert old in text
        text = text.replace(old, new)
    return text


def _repo(harness, openbao, path: str, cluster: bool = False) -> KubeClient:  # type: ignore[no-untyped-def]
    kube = KubeClient(harness.api.api_client())
    install_crds(kube)
    bao = hvac.Client(url=openbao.url, token=openbao.token)
    bao.secrets.kv.v2.create_or_update_secret(path=path, secret={"password": "first"})
    harness.write_app({"A": "1"})
    store = STORE.format(url=openbao.url, token=openbao.token).replace("refresh-test/api", path)
    store = _cluster_store(store) if cluster else store
    harness.repo.write("apps/external.yaml", store.replace("refreshInterval: 1s", "refreshInterval: 1h"))
    add_resources(harness, "external.yaml")
    harness.repo.commit()
    return kube


def test_a_store_in_the_same_commit_is_applied_then_used_in_one_pass(harness, openbao) -> None:  # type: ignore[no-untyped-def]
    kube = _repo(harness, openbao, "waits/one-pass")
    (res,) = harness.engine().run_once()
    assert res.ok, res.error
    assert res.waiting == []
    assert kube.get("external-secrets.io/v1", "SecretStore", "apps", "bao") is not None
    assert harness.secret("api") == {"password": "first"}


def test_once_resolved_in_the_retry_its_refresh_interval_decides_the_next_read(harness, openbao) -> None:  # type: ignore[no-untyped-def]
    """The first round's "retry in 2 s" is replaced by the ExternalSecret's refreshInterval (1h)."""
    _repo(harness, openbao, "waits/no-early-refresh")
    engine = harness.engine()
    assert engine.run_once()[0].ok
    time.sleep(WAITING_RETRY + 0.2)
    (res,) = engine.run_once()
    assert res.ok, res.error
    assert not res.rendered  # a drift check, not a render and a Vault read


def test_a_dry_run_waits_for_a_store_that_is_only_in_git(harness, openbao) -> None:  # type: ignore[no-untyped-def]
    kube = _repo(harness, openbao, "waits/dry-run")
    (res,) = harness.engine(dry_run=True).run_once()
    assert res.ok, res.error
    assert res.waiting == [WAITS]
    assert kube.get("external-secrets.io/v1", "SecretStore", "apps", "bao") is None
    assert harness.secret("api") is None


def test_a_waiting_external_secret_keeps_the_secret_it_wrote_before(harness, openbao) -> None:  # type: ignore[no-untyped-def]
    kube = _repo(harness, openbao, "waits/keep")
    assert harness.engine().run_once()[0].ok
    kube.delete("external-secrets.io/v1", "SecretStore", "apps", "bao")  # someone removed it
    (res,) = harness.engine(dry_run=True).run_once()
    assert res.ok, res.error
    assert res.waiting == [WAITS]
    assert ObjectId("", "Secret", "apps", "api") not in res.would_prune
    assert harness.secret("api") == {"password": "first"}


def test_a_cluster_secret_store_in_the_same_commit_is_applied_then_used_in_one_pass(harness, openbao) -> None:  # type: ignore[no-untyped-def]
    """Applied by a source with cluster RBAC (here the engine's own), then read as the engine."""
    kube = _repo(harness, openbao, "waits/cluster-one-pass", cluster=True)
    (res,) = harness.engine().run_once()
    assert res.ok, res.error
    assert res.waiting == []
    assert kube.get("external-secrets.io/v1", "ClusterSecretStore", "", "bao") is not None
    assert harness.secret("api") == {"password": "first"}
    kube.delete("external-secrets.io/v1", "ClusterSecretStore", "", "bao")  # cluster-scoped: clean up


def test_a_dry_run_waits_for_a_cluster_secret_store_that_is_only_in_git(harness, openbao) -> None:  # type: ignore[no-untyped-def]
    kube = _repo(harness, openbao, "waits/cluster-dry-run", cluster=True)
    (res,) = harness.engine(dry_run=True).run_once()
    assert res.ok, res.error
    assert res.waiting == [
        "ExternalSecret apps/api waits: ClusterSecretStore bao is declared in this source but not in the"
        " cluster yet"
    ]
    assert kube.get("external-secrets.io/v1", "ClusterSecretStore", "", "bao") is None
    assert harness.secret("api") is None
