"""Flux GitRepository + Kustomization sources run by the engine: a real git repository, SOPS files
made by our sops implementation (age, and PGP through the real gpg), the Kubernetes API test
server. Each test is one behaviour Flux users rely on when they keep their sources.yaml as is."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
from pathlib import Path

import pytest

from secretsops.engine.config import load_sources
from secretsops.keysources.base import KeyContext
from secretsops.keysources.pgp import PgpKeySource
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from tests.engine.conftest import Harness
from tests.keysources.conftest import kill_agent, make_gpg_home
from tests.plugins.process_leaks import _proc, agent_home, gpg_agent_pids

SOURCES = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: cluster
  namespace: flux-system
spec:
  interval: 1m0s
  url: {url}
  ref:
    branch: main
{repo_extra}---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: cluster
  decryption:
    provider: sops
    secretRef:
      name: sops-keys
{extra}"""

SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\n"
    "stringData:\n  password: {value}\n"
)
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n"


def flux_engine(harness: Harness, tmp_path: Path, extra: str = "", repo_extra: str = "", more: str = ""):  # type: ignore[no-untyped-def]
    from prometheus_client import CollectorRegistry

    from secretsops.engine.builder import build_engine
    from secretsops.engine.config import EngineSettings
    from secretsops.engine.metrics import EngineMetrics
    from secretsops.engine.proc import ProcessRunner
    from secretsops.kube import KubeClient

    f = tmp_path / "sources.yaml"
    f.write_text(SOURCES.format(url=harness.repo.url, extra=extra, repo_extra=repo_extra) + more)
    specs = load_sources(f, "secretsops-system")
    return build_engine(
        specs,
        EngineSettings(work_dir=harness.work),
        KubeClient(harness.api.api_client()),  # type: ignore[attr-defined]
        {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]},
        runner=ProcessRunner.from_environ(os.environ, recorder=harness.recorded),
        metrics=EngineMetrics.create(CollectorRegistry()),
    )


def record_keyrings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The private GnuPG homes the decryption makes (the real function, recorded)."""
    from secretsops.engine import decryption_secret

    made: list[Path] = []
    real = decryption_secret.make_private_dir

    def recording(prefix: str, base: Path | None = None) -> Path:
        made.append(real(prefix, base))
        return made[-1]

    monkeypatch.setattr(decryption_secret, "make_private_dir", recording)
    return made


def assert_keyring_gone(made: list[Path]) -> None:
    """Made in memory (/dev/shm where the machine has it), removed, its gpg-agent stopped."""
    assert len(made) == 1
    if Path("/dev/shm").is_dir():
        assert made[0].parent == Path("/dev/shm")
    assert not made[0].exists()
    assert [
        p for p in gpg_agent_pids() if (a := _proc(p)) is not None and agent_home(a) == str(made[0])
    ] == []


def keys_secret(
    harness: Harness, data: dict[str, str], namespace: str = "flux-system", name: str = "sops-keys"
) -> None:
    core = harness.core()
    if namespace not in {n.metadata.name for n in core.list_namespace().items}:
        core.create_namespace({"metadata": {"name": namespace}})
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    core.create_namespaced_secret(namespace, {"metadata": {"name": name}, "data": encoded})


def age_keys(harness: Harness) -> None:
    keys_secret(harness, {"age.agekey": harness.age.identity})


def write_sops_app(harness: Harness, value: str = "s3cret", extra_resources: tuple[str, ...] = ()) -> None:
    """Flux's documented layout: a SOPS-encrypted Secret listed under ``resources:``."""
    harness.repo.write("apps/ns.yaml", NS)
    harness.repo.write("apps/db.enc.yaml", harness.age.encrypt(SECRET.format(value=value)))
    resources = ", ".join(["ns.yaml", "db.enc.yaml", *extra_resources])
    harness.repo.write("apps/kustomization.yaml", f"resources: [{resources}]\n")


# --- decryption Secret ----------------------------------------------------------------------------


def test_the_decryption_secret_is_read_from_the_kustomizations_namespace(harness, tmp_path) -> None:
    age_keys(harness)  # flux-system/sops-keys; the engine runs in secretsops-system
    write_sops_app(harness)
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path).run_once()
    assert res.ok, res.error
    assert harness.secret() == {"password": "s3cret"}


def test_a_missing_decryption_secret_names_the_kustomizations_namespace(harness, tmp_path) -> None:
    write_sops_app(harness)
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path).run_once()
    assert not res.ok and "decryption Secret flux-system/sops-keys not found" in res.error


@pytest.fixture(scope="module")
def gpg_key(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A passphrase-less PGP key made by the real gpg, and its armored secret key (as in Flux's docs)."""
    home = make_gpg_home(tmp_path_factory.mktemp("gnupg") / "home", "flux <flux@secretsops.invalid>")
    armored = subprocess.run(
        ["gpg", "--batch", "--export-secret-keys", "--armor", home.fingerprint],
        env=home.env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    yield home, armored
    kill_agent(home.path)


def test_asc_keys_decrypt_in_a_private_keyring_removed_after_the_pass(
    harness, tmp_path, gpg_key, monkeypatch
) -> None:
    home, armored = gpg_key
    keys_secret(harness, {"sops.asc": armored})
    harness.repo.write("apps/ns.yaml", NS)
    harness.repo.write(
        "apps/db.enc.yaml",
        encrypt_bytes(
            SECRET.format(value="pgp-s3cret").encode(),
            "yaml",
            groups=[[PgpKeySource(home.fingerprint)]],
            options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
            ctx=KeyContext(env=home.env()),
        ),
    )
    harness.repo.write("apps/kustomization.yaml", "resources: [ns.yaml, db.enc.yaml]\n")
    harness.repo.commit()
    made = record_keyrings(monkeypatch)
    (res,) = flux_engine(harness, tmp_path).run_once()
    assert res.ok, res.error
    assert harness.secret() == {"password": "pgp-s3cret"}
    assert_keyring_gone(made)


def test_an_azure_key_vault_entry_is_an_error_naming_it(harness, tmp_path) -> None:
    keys_secret(harness, {"age.agekey": harness.age.identity, "sops.azure-kv": "tenantId: x\n"})
    write_sops_app(harness)
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path).run_once()
    assert not res.ok
    assert "entry 'sops.azure-kv' (Azure Key Vault credentials) is not supported" in res.error
    assert harness.secret() is None


# --- postBuild ------------------------------------------------------------------------------------

SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
data:
  cluster: ${cluster_name}
  region: ${region:=eu-west-1}
  env: ${env:-dev}
  token: ${token}
  script: echo $HOME ${cluster_name}
  escaped: $${cluster_name}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: raw
  namespace: apps
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  cluster: ${cluster_name}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:${nginx_tag:=1.27}"}]}
"""

POST_BUILD = """\
  postBuild:
    substitute:
      cluster_name: "prod-eu"
      replicas: "3"
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
      - kind: Secret
        name: cluster-secret-vars
      - kind: ConfigMap
        name: not-there
        optional: true
"""


def cluster_vars(harness: Harness, cm: dict[str, str], secret: dict[str, str]) -> None:
    core = harness.core()
    core.create_namespaced_config_map("flux-system", {"metadata": {"name": "cluster-vars"}, "data": cm})
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in secret.items()}
    core.create_namespaced_secret(
        "flux-system", {"metadata": {"name": "cluster-secret-vars"}, "data": encoded}
    )


def substituted_app(harness: Harness, tmp_path: Path, cm: dict[str, str], secret: dict[str, str]):  # type: ignore[no-untyped-def]
    age_keys(harness)
    cluster_vars(harness, cm, secret)
    harness.repo.write("apps/settings.yaml", SETTINGS)
    write_sops_app(harness, extra_resources=("settings.yaml",))
    harness.repo.commit()
    return flux_engine(harness, tmp_path, POST_BUILD).run_once()[0]


def test_post_build_substitutes_inline_configmap_and_secret_variables(harness, tmp_path) -> None:
    res = substituted_app(
        harness, tmp_path, {"region": "us-east-1", "cluster_name": "overridden"}, {"token": "t0k3n"}
    )
    assert res.ok, res.error
    data = harness.core().read_namespaced_config_map("settings", "apps").data
    assert (data["cluster"], data["region"], data["env"], data["token"]) == (
        "prod-eu",
        "us-east-1",
        "dev",
        "t0k3n",
    )


def test_dollar_names_and_escaped_expressions_stay_as_written(harness, tmp_path) -> None:
    assert substituted_app(harness, tmp_path, {}, {"token": "x"}).ok
    data = harness.core().read_namespaced_config_map("settings", "apps").data
    assert (data["script"], data["escaped"]) == ("echo $HOME prod-eu", "${cluster_name}")


def test_an_object_annotated_substitute_disabled_is_left_alone(harness, tmp_path) -> None:
    assert substituted_app(harness, tmp_path, {}, {"token": "x"}).ok
    assert harness.core().read_namespaced_config_map("raw", "apps").data == {"cluster": "${cluster_name}"}


def test_a_substituted_number_becomes_a_number_as_in_flux(harness, tmp_path) -> None:
    assert substituted_app(harness, tmp_path, {}, {"token": "x"}).ok
    from kubernetes import client

    deploy = client.AppsV1Api(harness.api.api_client()).read_namespaced_deployment("web", "apps")
    assert deploy.spec.replicas == 3
    assert deploy.spec.template.spec.containers[0].image == "nginx:1.27"


def test_a_missing_substitute_from_object_fails_the_pass_unless_optional(harness, tmp_path) -> None:
    age_keys(harness)
    harness.repo.write("apps/settings.yaml", SETTINGS)
    write_sops_app(harness, extra_resources=("settings.yaml",))
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path, POST_BUILD).run_once()
    assert not res.ok and "substituteFrom ConfigMap flux-system/cluster-vars not found" in res.error
    assert harness.secret() is None


def test_a_variable_name_from_a_configmap_is_validated_as_flux_does(harness, tmp_path) -> None:
    res = substituted_app(harness, tmp_path, {"cluster-name": "x"}, {"token": "x"})
    assert not res.ok and "'cluster-name' var name is invalid" in res.error


def test_values_from_secrets_never_reach_logs_status_or_events(harness, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    res = substituted_app(harness, tmp_path, {}, {"token": "t0p-s3cr3t-v4lue"})  # secretsops:ignore canary
    assert res.ok
    status = json.dumps(harness.status("apps"))
    events = str(harness.core().list_namespaced_event("secretsops-system").items)
    for text in (caplog.text, status, events, res.error):
        assert "t0p-s3cr3t-v4lue" not in text


# --- dependsOn, suspend ---------------------------------------------------------------------------

INFRA = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: flux-system
spec:
  interval: 10m
  path: ./infra
  prune: true
  sourceRef:
    kind: GitRepository
    name: cluster
"""


def test_a_source_waits_for_its_dependency_to_be_ready(harness, tmp_path) -> None:
    age_keys(harness)
    write_sops_app(harness)
    harness.repo.write("infra/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
    harness.repo.commit()
    eng = flux_engine(harness, tmp_path, "  dependsOn:\n    - name: infra\n", more=INFRA)
    results = {r.source: r for r in eng.run_once()}
    assert not results["infra"].ok
    assert (
        results["apps"].reason == "DependencyNotReady"
        and "dependency infra is not ready" in results["apps"].error
    )
    assert harness.secret() is None
    harness.repo.write(
        "infra/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: infra, namespace: default}\n"
    )
    harness.repo.commit()
    assert [r.source for r in eng.run_once()] == ["infra", "apps"]  # dependencies first
    assert harness.secret() == {"password": "s3cret"}


def test_a_suspended_gitrepository_suspends_its_kustomizations(harness, tmp_path) -> None:
    age_keys(harness)
    write_sops_app(harness)
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path, repo_extra="  suspend: true\n").run_once()
    assert res.ok and res.reason == "Suspended"
    assert harness.secret() is None


# --- patches, images, namePrefix ------------------------------------------------------------------

PATCHES = """\
  patches:
    - patch: |-
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
          labels:
            tier: database
      target:
        kind: Secret
        name: db
    - patch: |
        - op: add
          path: /data/patched
          value: "yes"
      target:
        kind: ConfigMap
        labelSelector: "app=web"
"""


def test_patches_apply_to_sops_secrets_and_keep_their_mac_checked(harness, tmp_path) -> None:
    age_keys(harness)
    harness.repo.write(
        "apps/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: apps\n"
        "  labels: {app: web}\ndata: {k: v}\n",
    )
    write_sops_app(harness, extra_resources=("cm.yaml",))
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path, PATCHES).run_once()
    assert res.ok, res.error
    secret = harness.core().read_namespaced_secret("db", "apps")
    assert secret.metadata.labels["tier"] == "database"
    assert harness.secret() == {"password": "s3cret"}
    assert harness.core().read_namespaced_config_map("web", "apps").data == {"k": "v", "patched": "yes"}


def test_a_patch_that_changes_an_encrypted_value_fails_closed(harness, tmp_path) -> None:
    age_keys(harness)
    write_sops_app(harness)
    harness.repo.commit()
    patch = (
        "  patches:\n    - patch: |\n        - op: replace\n          path: /stringData/password\n"
        '          value: "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]"\n'
        "      target: {kind: Secret}\n"
    )
    (res,) = flux_engine(harness, tmp_path, patch).run_once()
    assert not res.ok and res.reason == "DecryptionFailed", res.error
    assert harness.secret() is None


def test_name_prefix_renames_a_plain_sops_file_and_it_still_decrypts(harness, tmp_path) -> None:
    age_keys(harness)
    harness.repo.write("apps/ns.yaml", NS)
    harness.repo.write("apps/db.enc.yaml", harness.age.encrypt(SECRET.format(value="plain-dir")))
    harness.repo.commit()  # a plain directory, no kustomization.yaml
    (res,) = flux_engine(harness, tmp_path, "  namePrefix: prod-\n").run_once()
    assert res.ok, res.error
    assert harness.secret("prod-db") == {"password": "plain-dir"}


# --- wait, healthChecks, timeout ------------------------------------------------------------------


def test_wait_passes_when_everything_applied_is_current(harness, tmp_path) -> None:
    age_keys(harness)
    write_sops_app(harness)
    harness.repo.commit()
    (res,) = flux_engine(harness, tmp_path, "  wait: true\n  timeout: 5s\n").run_once()
    assert res.ok, res.error


def test_a_health_check_not_current_within_the_timeout_fails_the_pass(harness, tmp_path) -> None:
    age_keys(harness)
    harness.repo.write(
        "apps/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx}]}\n",
    )
    write_sops_app(harness, extra_resources=("web.yaml",))
    harness.repo.commit()
    checks = (
        "  timeout: 1s\n  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n"
        "      name: web\n      namespace: apps\n"
    )
    (res,) = flux_engine(harness, tmp_path, checks).run_once()
    assert not res.ok and res.reason == "HealthCheckFailed"
    assert "Deployment/apps/web" in res.error and "not ready after 1s" in res.error
    assert harness.condition(source="apps")["reason"] == "HealthCheckFailed"


def test_with_wait_the_health_checks_list_is_not_used_as_in_flux(harness, tmp_path) -> None:
    age_keys(harness)
    write_sops_app(harness)
    harness.repo.commit()
    extra = (
        "  wait: true\n  timeout: 1s\n  healthChecks:\n"
        "    - {apiVersion: apps/v1, kind: Deployment, name: absent, namespace: apps}\n"
    )
    (res,) = flux_engine(harness, tmp_path, extra).run_once()
    assert res.ok, res.error
