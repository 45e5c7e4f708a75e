"""Issue 11 rows 1, 2, 14 as attacks: a repo writer tries to reach what the repo's owner cannot.

Each test is the attack on the real kube-apiserver (RBAC, impersonation, TokenRequest, audit log)
with a logging fake Vault on loopback: whatever the engine would send to a server named in the
repository lands in ``FakeVault.requests``, where the canaries (the engine's age key, another
namespace's token) are searched. A tenant source impersonates ``team-a/tenant``, which may manage
Secrets, ConfigMaps and ESO objects in ``team-a`` only: no right on ClusterSecretStores, on
Namespaces, or on any other namespace's Secrets.

ESO's model (docs/multi-tenant.md): a ClusterSecretStore is an administrator's object (here created
with the admin client the ``tenant`` fixture returns), read with the engine's identity together with
the credentials it names and the live Namespace its ``conditions`` match; the conditions decide which
namespaces may use it. A tenant cannot create one (the API server refuses the apply).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from secretsops.cli.main import main
from secretsops.errors import KubeForbidden
from secretsops.kube import KubeClient
from tests.controllers.conftest import install_crds
from tests.helpers import new_canary

realkube = pytest.mark.realkube

Obj = dict[str, Any]


@dataclass
class FakeVault:
    """An HTTP server that answers like Vault and keeps every request it received, byte for byte."""

    url: str = ""
    requests: list[bytes] = field(default_factory=list)

    def received(self) -> bytes:
        return b"\n".join(self.requests)


@pytest.fixture
def fake_vault() -> Iterator[FakeVault]:
    vault = FakeVault()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            vault.requests.append(self.requestline.encode() + b"\n" + bytes(self.headers) + body)
            if "/login" in self.path:
                reply: Obj = {"auth": {"client_token": "fake", "lease_duration": 3600, "renewable": False}}
            else:
                reply = {"data": {"data": {"password": "from-fake-vault"}, "metadata": {"version": 1}}}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    vault.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield vault
    server.shutdown()
    server.server_close()


@pytest.fixture
def tenant(harness) -> KubeClient:  # type: ignore[no-untyped-def]
    """Namespaces team-a, team-b, vault-system; ServiceAccount team-a/tenant with a Role in team-a only."""
    kube = KubeClient(harness.api.api_client())
    install_crds(kube)
    for ns in ("team-a", "team-b", "vault-system"):
        if kube.get("v1", "Namespace", "", ns) is None:
            kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    kube.create(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "tenant", "namespace": "team-a"}}
    )
    kube.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "tenant", "namespace": "team-a"},
            "rules": [
                {"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["*"]},
                {"apiGroups": ["external-secrets.io"], "resources": ["*"], "verbs": ["*"]},
                {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
            ],
        }
    )
    kube.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "tenant", "namespace": "team-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tenant"},
            "subjects": [{"kind": "ServiceAccount", "name": "tenant", "namespace": "team-a"}],
        }
    )
    return kube


def _run_as_tenant(harness):  # type: ignore[no-untyped-def]
    """One pass of a source that runs as team-a's ServiceAccount ``tenant``."""
    return harness.engine(service_account_name="tenant", service_account_namespace="team-a").run_once()


def _write(harness, *docs: Obj) -> None:  # type: ignore[no-untyped-def]
    """apps/ holds exactly ``docs`` (one file each) and is committed."""
    names = []
    for i, doc in enumerate(docs):
        names.append(f"o{i}.yaml")
        harness.repo.write(f"apps/o{i}.yaml", json.dumps(doc))
    harness.repo.write("apps/kustomization.yaml", f"resources: [{', '.join(names)}]\n")
    harness.repo.commit()


TENANT_USER = "system:serviceaccount:team-a:tenant"


def _audit_events(harness, mark: int) -> list[Obj]:  # type: ignore[no-untyped-def]
    """The API server's audit events since ``mark``."""
    with harness.api.audit_log.open("rb") as fh:
        fh.seek(mark)
        return [json.loads(line) for line in fh.read().decode().splitlines()]


def _touching(events: list[Obj], resource: str, namespace: str, name: str = "") -> list[Obj]:
    """The events on one object (or, without ``name``, one resource in one namespace)."""
    out = []
    for e in events:
        ref = e.get("objectRef") or {}
        if ref.get("resource") == resource and ref.get("namespace") == namespace:
            if not name or ref.get("name") == name:
                out.append(e)
    return out


def _central_token(kube: KubeClient) -> str:
    """The admin's Vault token in vault-system (a canary); the tenant may not read it."""
    token = new_canary()
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "vault-token", "namespace": "vault-system"},
            "stringData": {"token": token},
        }
    )
    with pytest.raises(KubeForbidden):  # the control: the tenant itself cannot read it
        kube.as_user(TENANT_USER).get("v1", "Secret", "vault-system", "vault-token")
    return token


_CENTRAL_AUTH = {"tokenSecretRef": {"name": "vault-token", "namespace": "vault-system", "key": "token"}}


def _vault_store(kind: str, name: str, url: str, auth: Obj, **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if kind == "SecretStore":
        meta["namespace"] = "team-a"
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {
            "provider": {"vault": {"server": url, "path": "secret", "version": "v2", "auth": auth}},
            **spec,
        },
    }


def _external_secret(store_kind: str, store: str, namespace: str = "team-a") -> Obj:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "loot", "namespace": namespace},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"name": store, "kind": store_kind},
            "target": {"name": "loot"},
            "data": [{"secretKey": "password", "remoteRef": {"key": "app", "property": "password"}}],
        },
    }


def _configmap(namespace: str, name: str = "marker") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"k": "v"},
    }


_STEAL_AGE_KEY = {
    "userPass": {
        "path": "userpass",
        "username": "x",
        "secretRef": {"name": "sops-age", "namespace": "secretsops-system", "key": "identity.agekey"},
    }
}


@realkube
def test_a_cluster_secret_store_in_git_is_applied_as_the_tenant_and_refused_not_used(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 1: the store names the engine's decryption Secret; the API server refuses to let the
    tenant create it (the pass's server-side dry run, as the tenant), and the copy in the render set
    is never used: the engine reads ClusterSecretStores only from the API server."""
    _write(
        harness,
        _vault_store("ClusterSecretStore", "evil", fake_vault.url, _STEAL_AGE_KEY),
        _external_secret("ClusterSecretStore", "evil"),
        _configmap("team-a"),
    )
    eng = harness.engine(service_account_name="tenant", service_account_namespace="team-a")
    (res,) = eng.run_once()
    assert not res.ok
    assert (
        "ClusterSecretStore.external-secrets.io/evil: server-side dry run refused it (Kubernetes API"
        " answered 403 Forbidden); nothing of the pass was applied"
    ) in res.error
    assert fake_vault.requests == []
    assert harness.age.identity.encode() not in fake_vault.received()
    assert tenant.get("external-secrets.io/v1", "ClusterSecretStore", "", "evil") is None
    assert tenant.get("v1", "Secret", "team-a", "loot") is None
    assert tenant.get("v1", "ConfigMap", "team-a", "marker") is None


@realkube
def test_a_store_only_in_git_is_never_used_by_a_dry_run_even_as_the_engine(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 1 under --dry-run, without impersonation: the store is not in the API server, so the
    ExternalSecret waits for it; nothing is sent anywhere."""
    _write(
        harness,
        _vault_store("ClusterSecretStore", "evil", fake_vault.url, _STEAL_AGE_KEY),
        _external_secret("ClusterSecretStore", "evil"),
    )
    (res,) = harness.engine(dry_run=True).run_once()
    assert res.ok, res.error
    assert res.waiting == [
        "ExternalSecret team-a/loot waits: ClusterSecretStore evil is declared in this source but"
        " not in the cluster yet"
    ]
    assert fake_vault.requests == []
    assert tenant.get("external-secrets.io/v1", "ClusterSecretStore", "", "evil") is None


@realkube
def test_a_tenant_cannot_use_a_cluster_secret_store_whose_conditions_exclude_its_namespace(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 2: the admin's store (central token in vault-system) is for team-b only. team-a's
    ExternalSecret is refused before the store's credentials are read: no read of the token Secret,
    no request to the backend."""
    token = _central_token(tenant)
    tenant.create(
        _vault_store(
            "ClusterSecretStore",
            "team-b-only",
            fake_vault.url,
            _CENTRAL_AUTH,
            conditions=[{"namespaces": ["team-b"]}],
        )
    )
    _write(harness, _external_secret("ClusterSecretStore", "team-b-only"))
    mark = harness.api.audit_mark()
    (res,) = _run_as_tenant(harness)
    assert not res.ok
    assert "ClusterSecretStore team-b-only does not allow namespace 'team-a' (spec.conditions)" in res.error
    assert fake_vault.requests == [] and token not in res.error
    assert _touching(_audit_events(harness, mark), "secrets", "vault-system") == []
    assert tenant.get("v1", "Secret", "team-a", "loot") is None


@realkube
def test_a_tenant_uses_an_admins_cluster_secret_store_without_any_right_on_its_credentials(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """ESO's model: conditions allow team-a, so the tenant's ExternalSecret resolves although the tenant
    may read neither the store, nor the central token in vault-system (the engine reads both, as its
    own identity: the audit log shows no impersonation on those reads), nor Namespaces."""
    token = _central_token(tenant)
    tenant.create(
        _vault_store(
            "ClusterSecretStore",
            "central",
            fake_vault.url,
            _CENTRAL_AUTH,
            conditions=[{"namespaces": ["team-a"]}],
        )
    )
    _write(harness, _external_secret("ClusterSecretStore", "central"), _configmap("team-a"))
    mark = harness.api.audit_mark()
    (res,) = _run_as_tenant(harness)
    assert res.ok, res.error
    loot = tenant.get("v1", "Secret", "team-a", "loot")
    assert loot is not None and base64.b64decode(loot["data"]["password"]) == b"from-fake-vault"
    assert token.encode() in fake_vault.received()  # the admin's token, sent where the admin's store says
    reads = _touching(_audit_events(harness, mark), "secrets", "vault-system", "vault-token")
    assert reads and all("impersonatedUser" not in e for e in reads)
    # the tenant's own objects still went through as the tenant
    writes = _touching(_audit_events(harness, mark), "configmaps", "team-a", "marker")
    assert {e["impersonatedUser"]["username"] for e in writes if e.get("verb") == "patch"} == {TENANT_USER}


@realkube
def test_a_tenant_cannot_make_the_engine_read_a_store_for_a_namespace_it_may_not_write(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """The admin's store allows team-b; team-a's source declares an ExternalSecret in team-b. ESO
    would never see it (the tenant could not create it there); the engine asks the API server, as
    the source, whether it may write Secrets in team-b before any store is read: no token read, no
    request to the backend (a read can mint credentials), the pass fails naming the namespace."""
    token = _central_token(tenant)
    tenant.create(
        _vault_store(
            "ClusterSecretStore",
            "for-team-b",
            fake_vault.url,
            _CENTRAL_AUTH,
            conditions=[{"namespaces": ["team-b"]}],
        )
    )
    _write(harness, _external_secret("ClusterSecretStore", "for-team-b", namespace="team-b"))
    mark = harness.api.audit_mark()
    (res,) = _run_as_tenant(harness)
    assert not res.ok
    assert "may not write Secrets in namespace 'team-b'" in res.error and token not in res.error
    assert fake_vault.requests == []
    assert _touching(_audit_events(harness, mark), "secrets", "vault-system") == []
    assert tenant.get("v1", "Secret", "team-b", "loot") is None


@realkube
def test_no_token_is_created_for_a_store_whose_conditions_exclude_the_namespace(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 1: Vault Kubernetes auth naming a kube-system ServiceAccount, in an admin's store for team-b
    only: team-a's ExternalSecret makes no TokenRequest at all (audit log) and no request to Vault."""
    if tenant.get("v1", "ServiceAccount", "kube-system", "powerful") is None:
        tenant.create(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "powerful", "namespace": "kube-system"},
            }
        )
    tenant.create(
        _vault_store(
            "ClusterSecretStore",
            "k8s-auth",
            fake_vault.url,
            {
                "kubernetes": {
                    "role": "r",
                    "serviceAccountRef": {"name": "powerful", "namespace": "kube-system"},
                }
            },
            conditions=[{"namespaceRegexes": ["^team-b$"]}],
        )
    )
    _write(harness, _external_secret("ClusterSecretStore", "k8s-auth"))
    mark = harness.api.audit_mark()
    (res,) = _run_as_tenant(harness)
    assert not res.ok
    assert "ClusterSecretStore k8s-auth does not allow namespace 'team-a' (spec.conditions)" in res.error
    assert fake_vault.requests == []
    token_requests = [
        e
        for e in _touching(_audit_events(harness, mark), "serviceaccounts", "kube-system", "powerful")
        if (e.get("objectRef") or {}).get("subresource") == "token"
    ]
    assert token_requests == []


@realkube
@pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "dry-run"])
def test_a_tenant_source_cannot_apply_into_another_namespace_and_applies_nothing(
    harness,
    tenant: KubeClient,
    dry_run: bool,  # type: ignore[no-untyped-def]
) -> None:
    _write(harness, _configmap("team-a"), _configmap("team-b", "intruder"))
    eng = harness.engine(service_account_name="tenant", service_account_namespace="team-a", dry_run=dry_run)
    (res,) = eng.run_once()
    assert not res.ok
    assert "team-b" in res.error and ("forbidden" in res.error.lower() or "403" in res.error)
    assert tenant.get("v1", "ConfigMap", "team-b", "intruder") is None
    assert tenant.get("v1", "ConfigMap", "team-a", "marker") is None


@realkube
def test_the_same_tenant_source_applies_its_own_namespace_and_heals_drift(
    harness,
    tenant: KubeClient,  # type: ignore[no-untyped-def]
) -> None:
    """The control for the test above: team-a's own objects go through as the tenant, and the drift
    check (labelled LISTs, per namespace: the tenant may not list cluster-wide) works as the tenant."""
    _write(harness, _configmap("team-a"))
    eng = harness.engine(service_account_name="tenant", service_account_namespace="team-a")
    (res,) = eng.run_once()
    assert res.ok, res.error
    tenant.apply({**_configmap("team-a"), "data": {"k": "edited"}}, field_manager="someone")
    (res,) = eng.run_once()
    assert res.ok, res.error
    assert res.healed and not res.error
    live = tenant.get("v1", "ConfigMap", "team-a", "marker")
    assert live is not None and live["data"] == {"k": "v"}


@realkube
def test_a_namespace_in_git_labelled_as_prod_does_not_pass_the_stores_conditions(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 2: conditions see the live Namespace's labels (the API server's metadata.name label)."""
    token = new_canary()
    tenant.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "vault-token", "namespace": "vault-system"},
            "stringData": {"token": token},
        }
    )
    tenant.create(
        _vault_store(
            "ClusterSecretStore",
            "prod-only",
            fake_vault.url,
            {"tokenSecretRef": {"name": "vault-token", "namespace": "vault-system", "key": "token"}},
            conditions=[{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "prod"}}}],
        )
    )
    forged = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "prod"}},
    }
    _write(harness, forged, _external_secret("ClusterSecretStore", "prod-only"))
    (res,) = harness.engine().run_once()  # even as the engine itself, not impersonating
    assert not res.ok
    assert "ClusterSecretStore prod-only does not allow namespace 'team-a' (spec.conditions)" in res.error
    assert fake_vault.requests == [] and token not in res.error
    assert tenant.get("v1", "Secret", "team-a", "loot") is None


# --- render without a cluster (rows 2 and 14) ---------------------------------------------------


def _render(tmp_path: Path, capsys, *docs: Obj, args: tuple[str, ...] = ()) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    tree = tmp_path / "tree"
    tree.mkdir(exist_ok=True)
    for i, doc in enumerate(docs):
        (tree / f"o{i}.yaml").write_text(json.dumps(doc))
    code = main(["render", str(tree), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _token_secret(namespace: str, token: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "vault-token", "namespace": namespace},
        "data": {"token": base64.b64encode(token.encode()).decode()},
    }


@pytest.mark.parametrize("default_namespace", ["", "team-a"], ids=["namespace-less", "default-namespace"])
def test_render_never_gives_a_namespace_less_external_secret_another_namespaces_store(
    tmp_path: Path,
    capsys,
    fake_vault: FakeVault,
    default_namespace: str,  # type: ignore[no-untyped-def]
) -> None:
    """Row 14: the store and its token are declared for team-b; the ExternalSecret has no namespace."""
    token = new_canary()
    store = _vault_store(
        "SecretStore", "bao", fake_vault.url, {"tokenSecretRef": {"name": "vault-token", "key": "token"}}
    )
    store["metadata"]["namespace"] = "team-b"
    es = _external_secret("SecretStore", "bao")
    del es["metadata"]["namespace"]
    args = ("--default-namespace", default_namespace) if default_namespace else ()
    code, out, err = _render(tmp_path, capsys, store, _token_secret("team-b", token), es, args=args)
    assert code != 0
    assert "SecretStore 'bao' not found" in err
    assert fake_vault.requests == [] and token not in out + err


def test_render_uses_the_store_and_token_of_the_external_secrets_own_namespace(
    tmp_path: Path,
    capsys,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """The control for row 14: in the same namespace the files' store and token are used (local mode)."""
    token = new_canary()
    store = _vault_store(
        "SecretStore", "bao", fake_vault.url, {"tokenSecretRef": {"name": "vault-token", "key": "token"}}
    )
    code, out, err = _render(
        tmp_path, capsys, store, _token_secret("team-a", token), _external_secret("SecretStore", "bao")
    )
    assert code == 0, err
    assert token.encode() in fake_vault.received()  # the developer's own files, sent where they say
    assert "kind: SecretStore" not in out  # consumed: nothing to apply it to without a cluster


def test_render_refuses_an_invalid_namespace_selector_instead_of_matching(
    tmp_path: Path,
    capsys,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 2: operator ``in`` (not ``In``) is an invalid selector; ESO fails closed, so do we."""
    store = _vault_store(
        "ClusterSecretStore",
        "typo",
        fake_vault.url,
        {"tokenSecretRef": {"name": "vault-token", "namespace": "team-a", "key": "token"}},
        conditions=[
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": "env", "operator": "in", "values": ["prod"]}]
                }
            }
        ],
    )
    code, _out, err = _render(
        tmp_path,
        capsys,
        store,
        _token_secret("team-a", new_canary()),
        _external_secret("ClusterSecretStore", "typo"),
    )
    assert code != 0
    assert "'in' is not a valid operator (In, NotIn, Exists, DoesNotExist)" in err
    assert fake_vault.requests == []


def test_render_conditions_match_the_namespace_name_and_no_label_from_the_files(
    tmp_path: Path,
    capsys,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """Row 2 without a cluster: a Namespace in the files labelled env=prod opens nothing."""
    store = _vault_store(
        "ClusterSecretStore",
        "prod-only",
        fake_vault.url,
        {"tokenSecretRef": {"name": "vault-token", "namespace": "team-a", "key": "token"}},
        conditions=[{"namespaceSelector": {"matchLabels": {"env": "prod"}}}],
    )
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"env": "prod"}}}
    code, _out, err = _render(
        tmp_path,
        capsys,
        ns,
        store,
        _token_secret("team-a", new_canary()),
        _external_secret("ClusterSecretStore", "prod-only"),
    )
    assert code != 0
    assert "does not allow namespace 'team-a'" in err
    assert fake_vault.requests == []


@realkube
def test_the_documented_tenant_set_up_resolves_through_a_shared_cluster_secret_store(
    harness,
    tenant: KubeClient,
    fake_vault: FakeVault,  # type: ignore[no-untyped-def]
) -> None:
    """docs/multi-tenant.md: the tenant holds only its Role in team-a (no right on the store or on
    Namespaces). The admin's ClusterSecretStore names its token without a namespace (ESO's referent
    form: the tenant's own Secret in team-a, read as the tenant, here applied by the same pass, so the
    ExternalSecret first waits for it), and its namespaceSelector matches the live Namespace's label
    (read as the engine)."""
    token = new_canary()
    tenant.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"team": "a"}}}
    )
    with pytest.raises(KubeForbidden):  # the control: the tenant cannot read its own Namespace
        tenant.as_user(TENANT_USER).get("v1", "Namespace", "", "team-a")
    tenant.create(
        _vault_store(
            "ClusterSecretStore",
            "shared",
            fake_vault.url,
            {"tokenSecretRef": {"name": "vault-token", "key": "token"}},
            conditions=[{"namespaceSelector": {"matchLabels": {"team": "a"}}}],
        )
    )
    _write(harness, _token_secret("team-a", token), _external_secret("ClusterSecretStore", "shared"))
    mark = harness.api.audit_mark()
    (res,) = _run_as_tenant(harness)
    assert res.ok, res.error
    loot = tenant.get("v1", "Secret", "team-a", "loot")
    assert loot is not None and base64.b64decode(loot["data"]["password"]) == b"from-fake-vault"
    assert token.encode() in fake_vault.received()  # the tenant's own token, applied by its own source
    token_reads = [
        e
        for e in _touching(_audit_events(harness, mark), "secrets", "team-a", "vault-token")
        if e.get("verb") == "get"
    ]
    assert token_reads
    assert {(e.get("impersonatedUser") or {}).get("username") for e in token_reads} == {TENANT_USER}
