"""Engine settings: Go durations, flag refs, and sources.yaml in Flux's vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops.engine.config import SecretRef, load_sources, parse_duration
from secretsops.engine.source import GitRef
from secretsops.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"), [("1m", 60), ("30s", 30), ("1h30m", 5400), ("500ms", 0.5), (90, 90)]
)
def test_durations_parse_like_go(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "1d", "m", "-1m", "0s"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="duration"):
        parse_duration(text)


def test_ref_flag_accepts_branch_tag_and_commit() -> None:
    assert GitRef.parse("main") == GitRef(branch="main")
    assert GitRef.parse("refs/tags/v1.2") == GitRef(tag="v1.2")
    assert GitRef.parse("a" * 40) == GitRef(commit="a" * 40)


def test_secret_ref_defaults_to_the_engine_namespace() -> None:
    assert SecretRef.parse("keys", "ops") == SecretRef("ops", "keys")
    assert str(SecretRef.parse("flux-system/sops-age", "ops")) == "flux-system/sops-age"


def test_flat_sources_file_uses_flux_field_names(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(
        "sources:\n- name: apps\n  url: https://git.example/apps.git\n  ref: {tag: v1}\n  interval: 5m\n"
        "  path: clusters/prod\n  prune: false\n  targetNamespace: apps\n  suspend: true\n"
        "  decryption: {provider: sops, secretRef: {name: sops-age}}\n"
    )
    (spec,) = load_sources(f, "secretsops-system")
    assert (spec.name, spec.ref, spec.interval, spec.path, spec.prune) == (
        "apps",
        GitRef(tag="v1"),
        300,
        "clusters/prod",
        False,
    )
    assert spec.target_namespace == "apps" and spec.suspend
    assert spec.decryption_secret == SecretRef("secretsops-system", "sops-age")


def test_flux_gitrepository_and_kustomization_documents_pair_up(tmp_path: Path) -> None:
    f = tmp_path / "flux.yaml"
    f.write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: repo}\n"
        "spec: {url: 'file:///srv/repo', interval: 1m, ref: {branch: prod}}\n---\n"
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: infra}\n"
        "spec:\n  interval: 10m\n  path: ./infra\n  prune: true\n"
        "  sourceRef: {kind: GitRepository, name: repo}\n"
        "  decryption: {provider: sops, secretRef: {name: sops-keys}}\n"
    )
    (spec,) = load_sources(f, "flux-system")
    assert (spec.name, spec.url, spec.ref.branch, spec.path, spec.interval) == (
        "infra",
        "file:///srv/repo",
        "prod",
        "infra",
        600,
    )
    assert spec.prune and spec.decryption_secret == SecretRef("flux-system", "sops-keys")


def test_kustomization_with_unknown_source_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "flux.yaml"
    f.write_text("kind: Kustomization\nmetadata: {name: a}\nspec: {sourceRef: {name: nope}}\n")
    with pytest.raises(UsageError, match="GitRepository 'nope' is not declared"):
        load_sources(f, "ns")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sources:\n- {name: Bad_Name, url: x}\n", "DNS label"),
        ("sources:\n- {name: a}\n", "url is required"),
        ("sources:\n- {name: a, url: x, path: ../up}\n", "inside the repository"),
        ("sources:\n- {name: a, url: x}\n- {name: a, url: y}\n", "declared twice"),
        ("other: 1\n", "no sources"),
        ("sources:\n- {name: a, url: x, ref: {branch: [x]}}\n", "ref.branch: expected a string"),
        ("sources:\n- {name: a, url: x, path: {a: 1}}\n", "path: expected a string"),
        ("sources:\n- {name: a, url: x, decryption: {secretRef: 5}}\n", "secretRef must be a mapping"),
        ("sources:\n- {name: {a: b}, url: x}\n", "source name: expected a string"),
        ("sources:\n- {name: a, url: [x]}\n", "url: expected a string"),
        (
            "kind: GitRepository\nmetadata: {name: a}\nspec: 5\n---\n"
            "kind: Kustomization\nmetadata: {name: a}\nspec: sourceRef\n",
            "GitRepository spec must be a mapping",
        ),
        (
            "kind: GitRepository\nmetadata: {name: a}\nspec: {url: x}\n---\n"
            "kind: Kustomization\nmetadata: {name: a}\nspec: {sourceRef: 5}\n",
            "spec.sourceRef must be a mapping",
        ),
    ],
)
def test_invalid_sources_files_say_what_is_wrong(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(body)
    with pytest.raises(UsageError, match=message):
        load_sources(f, "ns")
