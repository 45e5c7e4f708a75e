"""sources.yaml written as Flux users write GitRepository + Kustomization: what loads, what is refused.

Shapes follow the Flux documentation's examples (kustomize.toolkit.fluxcd.io/v1,
source.toolkit.fluxcd.io/v1). A field the engine does not honour fails loading by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops.engine.config import ObjectRef, SecretRef, SubstituteRef, load_sources
from secretsops.engine.flux_fields import table_rows
from secretsops.errors import UsageError

REPO = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 5m0s
  url: https://github.com/stefanprodan/podinfo
  ref:
    branch: master
{extra_repo}"""

KS = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: podinfo
  namespace: apps-ns
spec:
  interval: 10m
  targetNamespace: default
  sourceRef:
    kind: GitRepository
    name: podinfo
  path: "./kustomize"
  prune: true
  timeout: 1m
{extra}"""


def load(tmp_path: Path, extra: str = "", extra_repo: str = "") -> list:
    f = tmp_path / "sources.yaml"
    f.write_text(REPO.format(extra_repo=extra_repo) + KS.format(extra=extra))
    return load_sources(f, "secretsops-system")


def test_the_flux_docs_example_loads(tmp_path: Path) -> None:
    (spec,) = load(tmp_path)
    assert (spec.name, spec.path, spec.interval, spec.timeout, spec.target_namespace) == (
        "podinfo",
        "kustomize",
        600,
        60,
        "default",
    )
    assert spec.namespace == "apps-ns"


def test_decryption_secret_is_looked_up_in_the_kustomizations_namespace(tmp_path: Path) -> None:
    (spec,) = load(tmp_path, "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-gpg\n")
    assert spec.decryption_secret == SecretRef("apps-ns", "sops-gpg")


def test_decryption_secret_ref_takes_only_a_name_as_in_flux(tmp_path: Path) -> None:
    extra = "  decryption:\n    provider: sops\n    secretRef: {name: keys, namespace: other}\n"
    with pytest.raises(UsageError, match=r"spec\.decryption\.secretRef\.namespace is not a field"):
        load(tmp_path, extra)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("  kubeConfig:\n    secretRef: {name: remote}\n", "spec.kubeConfig is not supported"),
        ("  components: [../components/ha]\n", "spec.components is not supported"),
        ("  force: true\n", "spec.force is not supported"),
        ("  deletionPolicy: Delete\n", "spec.deletionPolicy is not supported"),
        ("  healthCheckExprs: [{apiVersion: v1, kind: X, current: 'true'}]\n", "spec.healthCheckExprs"),
        ("  patchesStrategicMerge: []\n", "spec.patchesStrategicMerge is not a field"),
        ("  decryption: {provider: sops, serviceAccountName: kms}\n", "spec.decryption.serviceAccountName"),
        ("  postBuild: {substituteFrom: [{kind: ConfigMap, name: v, key: x}]}\n", "substituteFrom[].key"),
    ],
)
def test_a_kustomization_field_we_do_not_honour_is_refused_by_name(
    tmp_path: Path, extra: str, field: str
) -> None:
    with pytest.raises(UsageError, match=field.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load(tmp_path, extra)


@pytest.mark.parametrize(
    ("extra_repo", "field"),
    [
        ("  secretRef:\n    name: flux-system\n", "spec.secretRef is not supported: git credentials"),
        ("  ignore: |\n    /*\n    !/deploy\n", "spec.ignore is not supported"),
        ("  recurseSubmodules: true\n", "spec.recurseSubmodules is not supported"),
        ("  include:\n  - repository: {name: other}\n", "spec.include is not supported"),
        ("  proxySecretRef: {name: proxy}\n", "spec.proxySecretRef is not supported"),
    ],
)
def test_a_gitrepository_field_we_do_not_honour_is_refused_by_name(
    tmp_path: Path, extra_repo: str, field: str
) -> None:
    with pytest.raises(UsageError, match=field.replace(".", r"\.")):
        load(tmp_path, extra_repo=extra_repo)


def test_a_semver_ref_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(
        REPO.format(extra_repo="").replace("branch: master", "semver: '>=1.0.0'") + KS.format(extra="")
    )
    with pytest.raises(UsageError, match=r"spec\.ref\.semver is not supported"):
        load_sources(f, "ns")


def test_refused_fields_at_their_default_value_load(tmp_path: Path) -> None:
    (spec,) = load(tmp_path, "  force: false\n  deletionPolicy: Orphan\n", "  recurseSubmodules: false\n")
    assert spec.name == "podinfo"


def test_post_build_as_in_the_flux_docs(tmp_path: Path) -> None:
    extra = (
        '  postBuild:\n    substitute:\n      cluster_env: "prod"\n      cluster_region: "eu-central-1"\n'
        "    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n"
        "      - kind: Secret\n        name: cluster-secret-vars\n        optional: true\n"
    )
    (spec,) = load(tmp_path, extra)
    assert spec.post_build is not None
    assert dict(spec.post_build.substitute) == {"cluster_env": "prod", "cluster_region": "eu-central-1"}
    assert spec.post_build.substitute_from == (
        SubstituteRef("ConfigMap", "cluster-vars"),
        SubstituteRef("Secret", "cluster-secret-vars", optional=True),
    )


def test_a_substitute_variable_name_flux_rejects_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'cluster-env' var name is invalid"):
        load(tmp_path, "  postBuild:\n    substitute:\n      cluster-env: prod\n")


def test_health_checks_default_to_the_core_group(tmp_path: Path) -> None:
    extra = (
        "  wait: false\n  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n"
        "      name: podinfo\n      namespace: default\n    - kind: Service\n      name: podinfo\n"
    )
    (spec,) = load(tmp_path, extra)
    assert spec.health_checks == (
        ObjectRef("apps/v1", "Deployment", "podinfo", "default"),
        ObjectRef("v1", "Service", "podinfo", ""),
    )


def test_patches_images_and_name_transforms_become_one_overlay(tmp_path: Path) -> None:
    extra = (
        "  namePrefix: prod-\n  images:\n    - name: podinfo\n      newTag: 6.0.0\n"
        "  patches:\n    - patch: |-\n        apiVersion: apps/v1\n        kind: Deployment\n"
        "        metadata:\n          name: not-used\n        spec:\n          replicas: 2\n"
        '      target:\n        kind: Deployment\n        labelSelector: "app=podinfo"\n'
    )
    (spec,) = load(tmp_path, extra)
    assert '"namePrefix": "prod-"' in spec.overlay and '"labelSelector": "app=podinfo"' in spec.overlay


def _two(tmp_path: Path, deps_a: str, deps_b: str) -> Path:
    f = tmp_path / "sources.yaml"
    body = REPO.format(extra_repo="")
    for name, deps in (("a", deps_a), ("b", deps_b)):
        body += (
            f"---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata: {{name: {name}, namespace: flux-system}}\n"
            f"spec:\n  interval: 1m\n  prune: true\n"
            f"  sourceRef: {{kind: GitRepository, name: podinfo}}\n{deps}"
        )
    f.write_text(body)
    return f


def test_depends_on_names_other_kustomizations(tmp_path: Path) -> None:
    specs = load_sources(_two(tmp_path, "", "  dependsOn:\n    - name: a\n"), "ns")
    assert [s.depends_on for s in specs] == [(), ("a",)]


def test_a_dependency_cycle_is_refused(tmp_path: Path) -> None:
    f = _two(tmp_path, "  dependsOn: [{name: b}]\n", "  dependsOn: [{name: a}]\n")
    with pytest.raises(UsageError, match="dependsOn forms a cycle: a -> b -> a"):
        load_sources(f, "ns")


def test_an_undeclared_dependency_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dependsOn 'infra' is not declared"):
        load_sources(_two(tmp_path, "", "  dependsOn: [{name: infra}]\n"), "ns")


def test_a_dependency_in_another_namespace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dependsOn other/a: sources in another namespace"):
        load_sources(_two(tmp_path, "", "  dependsOn: [{name: a, namespace: other}]\n"), "ns")


def test_flat_entries_refuse_unknown_fields_too(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(
        "sources:\n- name: apps\n  url: https://git.example/apps.git\n  kubeConfig: {secretRef: {name: x}}\n"
    )
    with pytest.raises(UsageError, match="kubeConfig is not supported"):
        load_sources(f, "ns")


def test_an_oci_repository_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: x}\n"
        "spec: {url: 'oci://ghcr.io/x'}\n" + KS.format(extra="")
    )
    with pytest.raises(UsageError, match="Flux OCIRepository is not supported"):
        load_sources(f, "ns")


def test_every_listed_field_has_a_documented_row() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs/flux.md").read_text()
    missing = [f"{kind}.{field}" for kind, field, _ in table_rows() if f"`{field}`" not in doc]
    assert missing == []
