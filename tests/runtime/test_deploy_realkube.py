"""``kubectl apply -k deploy/`` on a real apiserver, then the engine runs AS its ServiceAccount.

The pass succeeding proves deploy/'s RBAC suffices; the apiserver's audit log (metadata only) then shows,
rule by rule, that the engine used every permission deploy/rbac.yaml grants, for the reason named here.
One scenario (module-scoped: one apply, one engine run) exercises all of it: a SOPS Secret, a
SealedSecret opened with the controller's key Secret from kube-system, an ExternalSecret resolved
against a real OpenBao through a SecretStore the API server holds, a workload that opts in to
restarts, ConfigMaps, a Service and a ServiceAccount; then a commit that removes some of each kind
(prune), under leader election, ending with SIGTERM (the Lease is released).

What only some set-ups need is in opt-in components (deploy/components/): for each, the base alone is
refused (403) and the component allows it, again as the engine's ServiceAccount.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops_devstack.services import Service
from tests.realkube import ControlPlane

pytestmark = pytest.mark.realkube

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENGINE_USER = "system:serviceaccount:secretsops-system:secretsops"

# Every (apiGroup, resource, verb, namespace) deploy/rbac.yaml grants, and why the engine needs it.
# A namespace of "*" is a ClusterRole rule (any namespace); "" is a cluster-scoped resource.
REASONS: dict[tuple[str, str, str, str], str] = {
    ("", "namespaces", "get", ""): "prune reads a live Namespace's opt-out mark; ESO conditions",
    ("", "namespaces", "create", ""): "first apply of a declared Namespace (server-side apply creates)",
    ("", "namespaces", "patch", ""): "server-side apply (and its dry run) of a declared Namespace",
    ("", "namespaces", "list", ""): "drift check of a pass with no git change: one LIST of Namespaces",
    **{
        ("", res, verb, "*"): why
        for res in ("secrets", "configmaps", "services", "serviceaccounts")
        for verb, why in (
            ("get", f"drift check and restart fingerprints of declared {res}"),
            ("list", f"drift check of a pass with no git change: one LIST of {res}"),
            ("create", f"first apply of declared {res}"),
            ("patch", f"server-side apply (and its dry run) of declared {res}"),
            ("delete", f"prune of {res} removed from git"),
        )
    },
    **{
        ("apps", res, verb, "*"): why
        for res in ("deployments", "statefulsets", "daemonsets")
        for verb, why in (
            ("get", f"drift check of declared {res}"),
            ("list", f"drift check of a pass with no git change: one LIST of {res}"),
            ("create", f"first apply of declared {res}"),
            ("patch", f"server-side apply of declared {res} (incl. the restart annotation)"),
            ("delete", f"prune of {res} removed from git"),
        )
    },
    (
        "external-secrets.io",
        "secretstores",
        "get",
        "*",
    ): "an ExternalSecret's store, as the API server holds it",
    ("external-secrets.io", "clustersecretstores", "get", ""): "an ExternalSecret's ClusterSecretStore",
    ("external-secrets.io", "externalsecrets", "get", "*"): "the live ExternalSecret's uid (ownerReference)",
    ("coordination.k8s.io", "leases", "get", "secretsops-system"): "leader election: read the Lease",
    ("coordination.k8s.io", "leases", "create", "secretsops-system"): "leader election: first candidate",
    ("coordination.k8s.io", "leases", "update", "secretsops-system"): "leader election: renew, release",
    ("", "configmaps", "get", "secretsops-system"): "status and inventory ConfigMaps: read",
    ("", "configmaps", "list", "secretsops-system"): "status command: every source's status",
    ("", "configmaps", "create", "secretsops-system"): "status and inventory ConfigMaps: first pass",
    ("", "configmaps", "patch", "secretsops-system"): "status and inventory ConfigMaps: each pass",
    ("", "secrets", "get", "secretsops-system"): "decryption Secret (Flux format), rollout HMAC key",
    ("", "secrets", "create", "secretsops-system"): "rollout HMAC key, created once",
    ("", "events", "create", "secretsops-system"): "Events for passes, failures, prunes",
    ("", "secrets", "get", "kube-system"): "the sealed-secrets controller's legacy key Secret by name",
    ("", "secrets", "list", "kube-system"): "the sealing key Secrets, by label",
}


CLUSTER_SCOPED = {"namespaces", "clustersecretstores"}


def granted(path: Path = DEPLOY / "rbac.yaml") -> set[tuple[str, str, str, str]]:
    """The rules in deploy/rbac.yaml, one tuple per (group, resource, verb, namespace)."""
    out = set()
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc or doc["kind"] not in ("Role", "ClusterRole"):
            continue
        for rule in doc["rules"]:
            for g in rule["apiGroups"]:
                for r in rule["resources"]:
                    for v in rule["verbs"]:
                        if doc["kind"] == "Role":
                            ns = doc["metadata"]["namespace"]
                        else:
                            ns = "" if r in CLUSTER_SCOPED else "*"
                        out.add((g, r, v, ns))
    return out


# --- the scenario ------------------------------------------------------------------------------------


def _kubectl(cp: ControlPlane, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(cp.kubeconfig), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


EXTERNAL = """apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app-db, namespace: apps}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: vault-backend, kind: SecretStore}
  target: {name: app-db-secret}
  data:
  - secretKey: password
    remoteRef: {key: deploy-rbac-proof, property: password}
"""


def _app(age_recipient: str, sealed: dict[str, Any], extra: bool) -> dict[str, str]:
    from secretsops.keysources.age import AgeKeySource
    from secretsops.keysources.base import KeyContext
    from secretsops.sops.api import EncryptOptions, encrypt_bytes

    db = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\n"
    db += "stringData: {PASSWORD: s3cret}\n"
    enc = encrypt_bytes(
        db.encode(),
        "yaml",
        groups=[[AgeKeySource(age_recipient)]],
        options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
        ctx=KeyContext(),
    )
    workload = (
        "metadata: {{name: {name}, namespace: apps, annotations: {{secretsops.io/reload: 'true'}}}}\n"
        "spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n"
        "  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
        "    spec: {{containers: [{{name: c, image: app, envFrom: [{{secretRef: {{name: db}}}}]}}]}}\n"
    )
    files = {
        "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n",  # the admin made it
        "ns-data.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps-data}\n",  # the engine does
        "secret.yaml": enc.decode(),
        "sealed.yaml": yaml.safe_dump(sealed),
        "web.yaml": "apiVersion: apps/v1\nkind: Deployment\n" + workload.format(name="web"),
        "db.yaml": "apiVersion: apps/v1\nkind: StatefulSet\n" + workload.format(name="db"),
        "agent.yaml": "apiVersion: apps/v1\nkind: DaemonSet\n" + workload.format(name="agent"),
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: apps}\n"
        "spec: {ports: [{port: 80}]}\n",
        "sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: apps}\n",
        "external.yaml": EXTERNAL,
    }
    for i in range(12):  # enough that the second commit's prune stays under the mass-prune guard
        files[f"keep-{i}.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: keep-{i}, namespace: apps}}\n"
        )
    if extra:  # one of each other kind (a Namespace: components/prune-namespaces): pruned by the 2nd commit
        files.update(
            {
                "gone-cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone, namespace: apps}\n",
                "gone-secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: gone, namespace: apps}\n",
                "gone-svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: gone, namespace: apps}\n"
                "spec: {ports: [{port: 80}]}\n",
                "gone-sts.yaml": "apiVersion: apps/v1\nkind: StatefulSet\n"
                + workload.format(name="gone-sts"),
                "gone-ds.yaml": "apiVersion: apps/v1\nkind: DaemonSet\n" + workload.format(name="gone-ds"),
                "gone-dep.yaml": "apiVersion: apps/v1\nkind: Deployment\n" + workload.format(name="gone-dep"),
            }
        )
        sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: gone, namespace: apps}\n"
        files["gone-sa.yaml"] = sa
    return files


@dataclass
class Scenario:
    cp: ControlPlane
    applied: subprocess.CompletedProcess[str]
    events: list[dict[str, Any]]
    engine_exit: int
    engine_log: str

    def used(self) -> set[tuple[str, str, str, str]]:
        """(group, resource, verb, namespace) of every request the engine made that was allowed.

        A server-side apply that creates the object is a PATCH answered 201, which the apiserver
        authorised as ``create`` too; a Namespace's own name is not a namespace it lives in.
        """
        out = set()
        for e in self.events:
            ref = e.get("objectRef") or {}
            code = (e.get("responseStatus") or {}).get("code", 0)
            if code == 403:
                continue
            resource = ref.get("resource", "")
            if ref.get("subresource"):
                resource += "/" + ref["subresource"]
            ns = "" if resource == "namespaces" else ref.get("namespace", "")
            key = (ref.get("apiGroup", ""), resource, e["verb"], ns)
            out.add(key)
            if e["verb"] == "patch" and code == 201:
                out.add((key[0], key[1], "create", ns))
        return out

    def forbidden(self) -> list[str]:
        return [
            f"{e['verb']} {e['requestURI']}"
            for e in self.events
            if (e.get("responseStatus") or {}).get("code") == 403
        ]


def _external_store(cp: ControlPlane, openbao: Service) -> None:
    """ESO's CRDs, and in namespace apps a SecretStore (with its token Secret) on the real OpenBao,
    put there by an admin: the engine uses stores only as the API server holds them."""
    import hvac
    from kubernetes import client

    bao = hvac.Client(url=openbao.url, token=openbao.token)
    bao.secrets.kv.v2.create_or_update_secret(
        "deploy-rbac-proof", {"password": "from-bao"}, mount_point="secret"
    )
    for name in ("externalsecrets", "secretstores", "clustersecretstores"):
        done = _kubectl(cp, "apply", "-f", str(DEPLOY / "crds" / f"{name}.external-secrets.io.yaml"))
        assert done.returncode == 0, done.stderr
    api = cp.api_client()
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "apps"}})
    core.create_namespaced_secret(
        "apps", {"metadata": {"name": "vault-token"}, "stringData": {"token": openbao.token}}
    )
    store = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": "vault-backend", "namespace": "apps"},
        "spec": {
            "provider": {
                "vault": {
                    "server": openbao.url,
                    "path": "secret",
                    "version": "v2",
                    "auth": {"tokenSecretRef": {"name": "vault-token", "key": "token"}},
                }
            }
        },
    }
    custom = client.CustomObjectsApi(api)

    def created() -> bool:  # the CRD is served a moment after it is created
        try:
            custom.create_namespaced_custom_object("external-secrets.io", "v1", "apps", "secretstores", store)
        except client.exceptions.ApiException:
            return False
        return True

    assert _wait(created, 30)


def _passes(log: Path) -> int:
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    return sum(1 for x in lines if x.get("msg") == "pass finished")


def _wait(cond: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def scenario(
    realkube_server: ControlPlane, openbao: Service, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    from kubernetes import client

    from secretsops.keysources.age import generate_identity
    from secretsops.sealed.keypairs import KEY_LABEL, generate_key, key_secret
    from secretsops.sealed.sealing import SealOptions, seal_secret

    cp = realkube_server
    cp.reset()
    tmp = tmp_path_factory.mktemp("deploy-realkube")
    applied = _kubectl(cp, "apply", "-k", str(DEPLOY))
    assert applied.returncode == 0, applied.stderr
    core = client.CoreV1Api(cp.api_client())
    _external_store(cp, openbao)
    identity, recipient = generate_identity()
    core.create_namespaced_secret(
        "secretsops-system",
        {
            "metadata": {"name": "sops-keys"},
            "data": {"identity.agekey": base64.b64encode(identity.encode()).decode()},
        },
    )
    key, cert = generate_key(2048)
    sealing = key_secret(key, cert, "kube-system")
    sealing["metadata"]["labels"] = {KEY_LABEL: "active"}
    core.create_namespaced_secret("kube-system", sealing)
    sealed = seal_secret(
        key.public_key(),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "api", "namespace": "apps"},
            "stringData": {"TOKEN": "t0ken"},
        },
        SealOptions(),
    )

    repo = tmp / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    def commit(extra: bool) -> None:
        for f in repo.glob("apps/*.yaml"):
            f.unlink()
        (repo / "apps").mkdir(exist_ok=True)
        for name, text in _app(recipient, sealed, extra).items():
            (repo / "apps" / name).write_text(text)
        git("add", "-A")
        git("commit", "-q", "-m", "apps")

    git("init", "-q", "-b", "main")
    commit(extra=True)
    config = tmp / "sources.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {
                        "name": "apps",
                        "url": str(repo),
                        "ref": {"branch": "main"},
                        "interval": "1s",
                        "path": "apps",
                        "prune": True,
                        "decryption": {"provider": "sops", "secretRef": {"name": "sops-keys"}},
                    }
                ]
            }
        )
    )
    kubeconfig = cp.service_account_kubeconfig("secretsops-system", "secretsops", tmp / "engine.kubeconfig")
    log = tmp / "engine.log"
    argv = [sys.executable, "-m", "secretsops", "reconcile", "--config", str(config), "--interval", "1s"]
    argv += ["--kubeconfig", str(kubeconfig), "--namespace", "secretsops-system"]
    argv += ["--sealing-key-namespace", "kube-system", "--leader-elect", "--lease-duration", "3s"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "KUBECONFIG"))}
    mark = cp.audit_mark()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=env)

    def cm_gone() -> bool:
        return not [c for c in core.list_namespaced_config_map("apps").items if c.metadata.name == "gone"]

    def has(name: str) -> bool:
        return bool([c for c in core.list_namespaced_config_map("apps").items if c.metadata.name == name])

    try:
        assert _wait(lambda: has("gone"), 60), log.read_text()[-2000:]
        commit(extra=False)
        assert _wait(cm_gone, 60), log.read_text()[-2000:]
        passes = _passes(log)
        assert _wait(lambda: _passes(log) > passes, 30), log.read_text()[-2000:]  # a no-change pass

        def drift_listed() -> bool:  # the audit log may trail the pass under load: wait for the LISTs
            return any(
                e["verb"] == "list" and (e.get("objectRef") or {}).get("resource") == "deployments"
                for e in cp.audit(ENGINE_USER, mark)
            )

        _wait(drift_listed, 60)  # the per-rule tests below say what is missing if it never comes
        # the status command as the engine's ServiceAccount (lists status ConfigMaps)
        status = subprocess.run(
            [sys.executable, "-m", "secretsops", "status", "--kubeconfig", str(kubeconfig)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    time.sleep(0.5)  # the audit backend writes asynchronously
    yield Scenario(cp, applied, cp.audit(ENGINE_USER, mark), code, log.read_text())


def test_kubectl_apply_k_deploy_is_accepted_by_a_real_apiserver(scenario: Scenario) -> None:
    from kubernetes import client

    apps = client.AppsV1Api(scenario.cp.api_client())
    dep = apps.read_namespaced_deployment("secretsops", "secretsops-system")
    assert dep.spec.template.spec.service_account_name == "secretsops"


def test_the_engine_as_its_service_account_is_never_forbidden(scenario: Scenario) -> None:
    assert scenario.forbidden() == []
    assert scenario.engine_exit == 0, scenario.engine_log[-2000:]


def test_the_engine_as_its_service_account_applied_decrypted_values(scenario: Scenario) -> None:
    from kubernetes import client

    core = client.CoreV1Api(scenario.cp.api_client())
    db = core.read_namespaced_secret("db", "apps").data
    api = core.read_namespaced_secret("api", "apps").data
    assert base64.b64decode(db["PASSWORD"]) == b"s3cret" and base64.b64decode(api["TOKEN"]) == b"t0ken"
    external = core.read_namespaced_secret("app-db-secret", "apps").data
    assert base64.b64decode(external["password"]) == b"from-bao"


def test_the_engine_only_uses_what_deploy_grants(scenario: Scenario) -> None:
    allowed = granted()
    outside = {
        u
        for u in scenario.used()
        if u not in allowed and (u[0], u[1], u[2], "*") not in allowed and u[1] != ""
    }
    assert outside == set()


def test_every_rule_in_deploy_rbac_has_a_named_reason() -> None:
    assert granted() == set(REASONS)


# Granted, but not used by the scenario above, each with why it is still granted.
NOT_EXERCISED = {
    ("external-secrets.io", "clustersecretstores", "get", ""): "no ClusterSecretStore in this scenario "
    "(tests/external: ClusterSecretStores read from the API server)",
}
EXERCISED = sorted(set(REASONS) - set(NOT_EXERCISED))


def test_rules_not_exercised_here_are_named_with_their_reason() -> None:
    assert set(NOT_EXERCISED) <= granted()


@pytest.mark.parametrize(
    "rule",
    EXERCISED,
    ids=[f"{r}-{v}-{ns or 'cluster'}: {REASONS[(g, r, v, ns)]}" for g, r, v, ns in EXERCISED],
)
def test_rule_is_used_by_the_engine(scenario: Scenario, rule: tuple[str, str, str, str]) -> None:
    group, resource, verb, ns = rule
    used = scenario.used()
    if ns == "*":
        assert any(u[:3] == (group, resource, verb) for u in used), json.dumps(sorted(used))
    else:
        assert (group, resource, verb, ns) in used, json.dumps(sorted(used))


# --- opt-in components: the base alone is refused, the component allows it ---------------------------

COMPONENTS = DEPLOY / "components"
#: each opt-in component's one rule (cluster-wide) and what needs it
COMPONENT_RULES = {
    "prune-namespaces": ("", "namespaces", "delete", ""),
    "eso-kubernetes-auth": ("", "serviceaccounts/token", "create", "*"),
    "impersonation": ("", "serviceaccounts", "impersonate", "*"),
}


@pytest.mark.parametrize("name", sorted(COMPONENT_RULES))
def test_each_component_grants_one_rule_the_base_does_not(name: str) -> None:
    assert granted(COMPONENTS / name / "rbac.yaml") == {COMPONENT_RULES[name]}
    assert COMPONENT_RULES[name] not in granted()


@contextmanager
def component(cp: ControlPlane, name: str, tmp: Path) -> Iterator[None]:
    """``kubectl apply -k`` of an overlay: the deploy/ base plus one component; removed afterwards."""
    overlay = tmp / f"overlay-{name}"
    overlay.mkdir()
    base = os.path.relpath(DEPLOY, overlay)
    (overlay / "kustomization.yaml").write_text(
        f"resources: [{base}]\ncomponents: [{base}/components/{name}]\n"
    )
    done = _kubectl(cp, "apply", "-k", str(overlay))
    assert done.returncode == 0, done.stderr
    try:
        yield
    finally:
        _kubectl(cp, "delete", "-f", str(COMPONENTS / name / "rbac.yaml"))


def _as_engine(scenario: Scenario, tmp: Path) -> Any:
    from secretsops.kube import Backoff, from_kubeconfig

    path = scenario.cp.service_account_kubeconfig("secretsops-system", "secretsops", tmp / "sa.kubeconfig")
    kube = from_kubeconfig(str(path))
    kube.backoff = Backoff(attempts=1)
    return kube


def _eventually(call: Callable[[], Any], timeout: float = 15.0) -> Any:
    """The call's result once RBAC allows it (a new binding reaches the authorizer's cache shortly)."""
    from secretsops.errors import KubeForbidden

    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except KubeForbidden:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_pruning_a_namespace_is_refused_without_prune_namespaces_and_allowed_with_it(
    scenario: Scenario, tmp_path: Path
) -> None:
    from kubernetes import client

    from secretsops.engine.apply import ApplyResult, prune
    from secretsops.engine.inventory import Entry
    from secretsops.errors import KubeForbidden

    client.CoreV1Api(scenario.cp.api_client()).create_namespace({"metadata": {"name": "prune-me"}})
    kube = _as_engine(scenario, tmp_path)
    gone = [Entry("v1", "Namespace", "", "prune-me")]
    with pytest.raises(KubeForbidden) as refused:
        prune(kube, gone, ApplyResult())
    assert refused.value.status == 403 and "components/prune-namespaces" in str(refused.value)
    with component(scenario.cp, "prune-namespaces", tmp_path):
        result = ApplyResult()
        _eventually(lambda: prune(kube, gone, result))
    assert [str(i) for i in result.pruned] == ["Namespace/prune-me"]


def test_service_account_tokens_are_refused_without_eso_kubernetes_auth_and_allowed_with_it(
    scenario: Scenario, tmp_path: Path
) -> None:
    from kubernetes import client

    from secretsops.errors import KubeForbidden

    client.CoreV1Api(scenario.cp.api_client()).create_namespaced_service_account(
        "apps", {"metadata": {"name": "eso-login"}}
    )
    kube = _as_engine(scenario, tmp_path)
    with pytest.raises(KubeForbidden) as refused:
        kube.create_token("apps", "eso-login", ["vault"])
    assert refused.value.status == 403
    with component(scenario.cp, "eso-kubernetes-auth", tmp_path):
        token = _eventually(lambda: kube.create_token("apps", "eso-login", ["vault"]))
    assert token and token.count(".") == 2  # a JWT


def test_impersonating_a_service_account_is_refused_without_impersonation_and_allowed_with_it(
    scenario: Scenario, tmp_path: Path
) -> None:
    from kubernetes import client

    from secretsops.errors import KubeForbidden

    api = scenario.cp.api_client()
    client.CoreV1Api(api).create_namespaced_service_account("apps", {"metadata": {"name": "tenant"}})
    rbac = client.RbacAuthorizationV1Api(api)
    rbac.create_namespaced_role(
        "apps",
        {
            "metadata": {"name": "tenant"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        "apps",
        {
            "metadata": {"name": "tenant"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tenant"},
            "subjects": [{"kind": "ServiceAccount", "name": "tenant", "namespace": "apps"}],
        },
    )
    tenant = _as_engine(scenario, tmp_path).as_user("system:serviceaccount:apps:tenant")
    with pytest.raises(KubeForbidden) as refused:
        tenant.get("v1", "ConfigMap", "apps", "keep-0")
    assert refused.value.status == 403
    with component(scenario.cp, "impersonation", tmp_path):
        live = _eventually(lambda: tenant.get("v1", "ConfigMap", "apps", "keep-0"))
        assert live is not None and live["metadata"]["name"] == "keep-0"
        with pytest.raises(KubeForbidden):  # the tenant's own RBAC: no Secrets
            tenant.get("v1", "Secret", "apps", "db")
        with pytest.raises(KubeForbidden):  # only ServiceAccounts, never a user such as the admin
            tenant.as_user("admin").get("v1", "ConfigMap", "apps", "keep-0")
