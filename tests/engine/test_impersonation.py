"""Per-source impersonation (issue 11 row 1): which ServiceAccount a source acts as, as Flux decides it.

The attacks this stops run on the real API server in tests/security/test_stores_from_api.py; here the
choice of identity itself: sources.yaml in both shapes and ``--default-service-account`` (the audit
log there shows the API server saw ``impersonatedUser`` = the source's account), and which stores may
use the engine's own ambient credentials (ESO's model: an administrator's ClusterSecretStore may, a
SecretStore of an impersonated source may not).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops.cli.main import main
from secretsops.engine.config import EngineSettings, SourceSpec, load_sources
from secretsops.engine.impersonation import service_account_user, source_client
from secretsops.errors import ExternalError, UsageError
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import ProviderSettings
from secretsops.external.resolve import Resolver
from secretsops.external.resources import ExternalSecret
from secretsops.kube import KubeClient

FLAT = """sources:
- name: team-a
  url: https://git.example/a.git
  targetNamespace: team-a
  serviceAccountName: reconciler
- name: platform
  url: https://git.example/p.git
"""

FLUX = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: repo, namespace: team-b}
spec: {url: https://git.example/b.git}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: team-b, namespace: team-b}
spec:
  sourceRef: {kind: GitRepository, name: repo}
  targetNamespace: elsewhere
  serviceAccountName: reconciler
"""


def _sources(tmp_path: Path, text: str) -> dict[str, SourceSpec]:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    return {s.name: s for s in load_sources(path, "secretsops-system")}


def test_a_flat_source_acts_as_its_service_account_in_its_target_namespace(tmp_path: Path) -> None:
    spec = _sources(tmp_path, FLAT)["team-a"]
    assert service_account_user(spec, EngineSettings()) == "system:serviceaccount:team-a:reconciler"


def test_a_flux_kustomization_acts_as_its_service_account_in_its_own_namespace(tmp_path: Path) -> None:
    """As Flux: the Kustomization's namespace, not its targetNamespace."""
    spec = _sources(tmp_path, FLUX)["team-b"]
    assert service_account_user(spec, EngineSettings()) == "system:serviceaccount:team-b:reconciler"


def test_a_source_without_one_acts_as_the_engine_unless_a_default_is_given(tmp_path: Path) -> None:
    spec = _sources(tmp_path, FLAT)["platform"]
    assert service_account_user(spec, EngineSettings()) == ""
    settings = EngineSettings(default_service_account="reconciler")
    assert service_account_user(spec, settings) == "system:serviceaccount:secretsops-system:reconciler"


def test_the_default_does_not_override_a_sources_own_service_account(tmp_path: Path) -> None:
    spec = _sources(tmp_path, FLAT)["team-a"]
    settings = EngineSettings(default_service_account="other")
    assert service_account_user(spec, settings) == "system:serviceaccount:team-a:reconciler"


def test_the_source_client_impersonates_without_groups(tmp_path: Path) -> None:
    """No groups: the API server adds the account's own (and no ``impersonate groups`` right is needed)."""
    spec = _sources(tmp_path, FLAT)["team-a"]
    engine = KubeClient(api=object())
    client = source_client(engine, spec, EngineSettings())
    assert client.impersonate is not None
    assert (client.impersonate.user, client.impersonate.groups) == (
        "system:serviceaccount:team-a:reconciler",
        (),
    )
    assert engine.impersonate is None  # the engine's own client is untouched
    assert source_client(engine, _sources(tmp_path, FLAT)["platform"], EngineSettings()) is engine


@pytest.mark.parametrize("name", ["Reconciler", "a b", "-x", "x" * 254, "a/b"])
def test_an_invalid_service_account_name_is_a_usage_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match="serviceAccountName"):
        _sources(tmp_path, FLAT.replace("serviceAccountName: reconciler", f"serviceAccountName: {name!r}"))


def test_a_service_account_name_that_is_not_a_string_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="serviceAccountName: expected a string"):
        _sources(tmp_path, FLAT.replace("serviceAccountName: reconciler", "serviceAccountName: [a]"))


def test_an_invalid_default_service_account_flag_is_refused_in_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["reconcile", "--once", "--repo", str(tmp_path), "--default-service-account", "Not Valid"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "secretsops: --default-service-account: 'Not Valid' is not a valid Kubernetes name"
    ]


def _own_token_through(kind: str, token_file: Path) -> str:
    """What a store of ``kind`` without auth secretRef gets as the engine's ServiceAccount token,
    resolving for an impersonated source (``engine_credentials_allowed=False``)."""
    meta = {"name": "vault", "namespace": "team-a"} if kind == "SecretStore" else {"name": "vault"}
    store = {
        "apiVersion": "external-secrets.io/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {
            "provider": {
                "vault": {
                    "server": "http://127.0.0.1:9",
                    "path": "secret",
                    "auth": {"kubernetes": {"role": "r"}},
                }
            }
        },
    }
    es = ExternalSecret.parse(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "app", "namespace": "team-a"},
            "spec": {
                "secretStoreRef": {"name": "vault", "kind": kind},
                "target": {"name": "app"},
                "data": [{"secretKey": "k", "remoteRef": {"key": "app"}}],
            },
        }
    )
    settings = ProviderSettings(engine_credentials_allowed=False, service_account_token_path=token_file)
    resolver = Resolver(ObjectLookup([store]), settings)
    provider = resolver.provider(es, resolver.store(es, None))
    return provider.sc.settings.own_service_account_token(str(provider.store))


def test_an_administrators_cluster_secret_store_may_use_the_engines_own_token(tmp_path: Path) -> None:
    """As ESO's controller: whoever could create the ClusterSecretStore configured it to."""
    token_file = tmp_path / "token"
    token_file.write_text("engine-sa-token\n")
    assert _own_token_through("ClusterSecretStore", token_file) == "engine-sa-token"


def test_a_secret_store_of_an_impersonated_source_may_not_use_the_engines_own_token(tmp_path: Path) -> None:
    """A tenant may write a SecretStore: the engine's identity is not lent to it."""
    token_file = tmp_path / "token"
    token_file.write_text("engine-sa-token\n")
    with pytest.raises(ExternalError, match="would send the engine's own ServiceAccount token"):
        _own_token_through("SecretStore", token_file)
