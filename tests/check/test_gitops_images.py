"""check --gitops: image tags that move are reported; digests, semver and allowed tags are not."""

from __future__ import annotations

import pytest

RULE = "gitops-image-tag-mutable"


def deployment(*images: str, init: str = "") -> str:
    init_block = f"      initContainers:\n        - name: init\n          image: {init}\n" if init else ""
    items = "".join(f"        - name: c{n}\n          image: {image}\n" for n, image in enumerate(images))
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        + init_block
        + "      containers:\n"
        + items
    )


def image_findings(repo, path: str, text: str, *args: str) -> set[tuple[str, str, int]]:
    repo.write(path, text)
    return {f for f in repo.check_json("--gitops", *args).rules_at() if f[0] == RULE}


def test_latest_tag_in_a_deployment_is_reported_at_its_line(repo):
    assert image_findings(repo, "apps/web.yaml", deployment("nginx:latest")) == {(RULE, "apps/web.yaml", 10)}


def test_an_image_without_a_tag_is_reported(repo):
    assert image_findings(repo, "apps/web.yaml", deployment("ghcr.io/acme/web")) == {
        (RULE, "apps/web.yaml", 10)
    }


def test_a_branch_name_tag_is_reported(repo):
    assert image_findings(repo, "apps/web.yaml", deployment("acme/web:main")) == {(RULE, "apps/web.yaml", 10)}


def test_init_containers_are_checked(repo):
    found = image_findings(repo, "apps/web.yaml", deployment("acme/web:1.4.2", init="acme/migrate:latest"))
    assert found == {(RULE, "apps/web.yaml", 10)}


def test_a_cronjob_container_is_checked(repo):
    text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n"
        "      template:\n        spec:\n          containers:\n            - name: job\n"
        "              image: busybox:stable\n"
    )
    assert image_findings(repo, "jobs/nightly.yaml", text) == {(RULE, "jobs/nightly.yaml", 11)}


def test_semver_tags_pass(repo):
    assert (
        image_findings(
            repo, "apps/web.yaml", deployment("acme/web:1.2.3", "acme/api:v1.2", "nginx:1.25.3-alpine")
        )
        == set()
    )


def test_a_digest_passes_even_with_a_moving_tag_beside_it(repo):
    digest = "sha256:" + "ab" * 32
    assert (
        image_findings(repo, "apps/web.yaml", deployment(f"nginx@{digest}", f"nginx:latest@{digest}"))
        == set()
    )


def test_a_registry_port_is_not_mistaken_for_a_tag(repo):
    found = image_findings(repo, "apps/web.yaml", deployment("registry.local:5000/acme/web"))
    assert found == {(RULE, "apps/web.yaml", 10)}


def test_a_tag_in_the_configured_allow_list_passes(repo):
    repo.write(".secretsops.yaml", "check:\n  gitops:\n    allowed_tags: ['sha-*']\n")
    assert image_findings(repo, "apps/web.yaml", deployment("acme/web:sha-4f2c9e1")) == set()


def test_helm_values_with_a_moving_tag_are_reported_at_the_tag(repo):
    values = (
        "image:\n  repository: acme/web\n  tag: latest\n"
        "worker:\n  image:\n    repository: acme/worker\n    tag: v2.0.1\n"
    )
    assert image_findings(repo, "charts/web/values.yaml", values) == {(RULE, "charts/web/values.yaml", 3)}


def test_helm_values_without_a_tag_use_the_chart_version_and_pass(repo):
    assert (
        image_findings(repo, "charts/web/values.yaml", 'image:\n  repository: acme/web\n  tag: ""\n') == set()
    )


def test_templated_images_are_left_alone(repo):
    assert image_findings(repo, "apps/web.yaml", deployment('"acme/web:{{ .Values.tag }}"')) == set()


def test_without_the_flag_images_are_not_judged(repo):
    repo.write("apps/web.yaml", deployment("nginx:latest"))
    assert repo.check_json().rules_at() == set()


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        ("Pod", "spec:\n"),
        ("StatefulSet", "spec:\n  template:\n    spec:\n"),
        ("DaemonSet", "spec:\n  template:\n    spec:\n"),
        ("Job", "spec:\n  template:\n    spec:\n"),
    ],
)
def test_every_workload_kind_is_checked(repo, kind, prefix):
    indent = " " * (len(prefix.splitlines()) * 2 - 2)
    text = (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: w\n{prefix}"
        f"{indent}  containers:\n{indent}    - name: c\n{indent}      image: redis\n"
    )
    line = text.splitlines().index(f"{indent}      image: redis") + 1
    assert image_findings(repo, "w.yaml", text) == {(RULE, "w.yaml", line)}
