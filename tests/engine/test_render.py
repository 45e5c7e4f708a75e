"""render_path: files to objects with their origin; kustomize overlays; fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops.engine.proc import ProcessRunner
from secretsops.engine.render import render_path
from secretsops.errors import RenderError

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  k: v\n"


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


def test_plain_tree_yields_objects_in_path_order_with_their_file(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", CM.format(name="b"))
    write(tmp_path, "a/x.yml", CM.format(name="a1") + "---\n" + CM.format(name="a2"))
    write(tmp_path, "c.json", '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}')
    items = render_path(tmp_path)
    assert [(i.where, i.obj["metadata"]["name"]) for i in items] == [
        ("a/x.yml", "a1"),
        ("a/x.yml#1", "a2"),
        ("b.yaml", "b"),
        ("c.json", "c"),
    ]


def test_dotfiles_sops_config_and_non_manifests_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "cm.yaml", CM.format(name="kept"))
    write(tmp_path, ".sops.yaml", "creation_rules: []\n")
    write(tmp_path, ".github/workflow.yaml", CM.format(name="hidden"))
    write(tmp_path, "values.yaml", "replicas: 3\n")
    write(tmp_path, "README.md", "# not yaml: [\n")
    assert [i.obj["metadata"]["name"] for i in render_path(tmp_path)] == ["kept"]


def test_invalid_yaml_fails_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path, "ok.yaml", CM.format(name="ok"))
    write(tmp_path, "bad/broken.yaml", "kind: [unclosed\n")
    with pytest.raises(RenderError, match=r"bad/broken\.yaml"):
        render_path(tmp_path)


def test_object_declared_twice_fails_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", CM.format(name="same"))
    write(tmp_path, "two.yaml", CM.format(name="same"))
    with pytest.raises(RenderError, match=r"two\.yaml.*one\.yaml"):
        render_path(tmp_path)


def test_object_without_name_fails(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
    with pytest.raises(RenderError, match=r"x\.yaml.*no metadata\.name"):
        render_path(tmp_path)


def test_kustomization_is_built_with_kustomize(tmp_path: Path) -> None:
    write(tmp_path, "base/cm.yaml", CM.format(name="app"))
    write(tmp_path, "base/kustomization.yaml", "resources: [cm.yaml]\n")
    write(tmp_path, "prod/kustomization.yaml", "resources: [../base]\nnamespace: prod\nnamePrefix: prod-\n")
    items = render_path(tmp_path / "prod", root=tmp_path)
    assert [(i.id.namespace, i.id.name) for i in items] == [("prod", "prod-app")]
    assert items[0].path == "prod"


def test_subdirectory_with_kustomization_is_built_as_one_unit(tmp_path: Path) -> None:
    write(tmp_path, "plain.yaml", CM.format(name="plain"))
    write(tmp_path, "app/cm.yaml", CM.format(name="app"))
    write(tmp_path, "app/unlisted.yaml", CM.format(name="unlisted"))
    write(tmp_path, "app/kustomization.yaml", "resources: [cm.yaml]\n")
    assert sorted(i.id.name for i in render_path(tmp_path)) == ["app", "plain"]


def test_kustomize_failure_is_a_render_error_naming_the_directory(tmp_path: Path) -> None:
    write(tmp_path, "k/kustomization.yaml", "resources: [missing.yaml]\n")
    with pytest.raises(RenderError, match=r"k: kustomize build failed"):
        render_path(tmp_path)


def test_missing_kustomize_and_kubectl_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "kustomization.yaml", "resources: []\n")
    with pytest.raises(RenderError, match="neither `kustomize` nor `kubectl`"):
        render_path(tmp_path, runner=ProcessRunner(env={"PATH": str(tmp_path / "empty")}))


def test_secret_generator_literals_render_with_kustomize_hash(tmp_path: Path) -> None:
    write(tmp_path, "kustomization.yaml", "secretGenerator:\n- name: s\n  literals: [a=b]\n")
    (item,) = render_path(tmp_path)
    assert item.id.name.startswith("s-") and item.obj["data"] == {"a": "Yg=="}
    assert "sops_generated" not in item.extra


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(CM.format(name="host-file"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside)
    with pytest.raises(RenderError, match=r"link\.yaml: symbolic link points outside the repository"):
        render_path(repo)


def test_symlink_inside_the_repository_is_followed(tmp_path: Path) -> None:
    write(tmp_path, ".shared/cm.yaml", CM.format(name="shared"))
    (tmp_path / "link.yaml").symlink_to(tmp_path / ".shared/cm.yaml")
    assert [i.id.name for i in render_path(tmp_path)] == ["shared"]


def test_object_without_kind_fails_instead_of_being_skipped(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", "apiVersion: v1\nmetadata:\n  name: a\ndata:\n  k: v\n")
    with pytest.raises(RenderError, match=r"x.yaml: Object 'Kind' is missing"):
        render_path(tmp_path)


def test_object_without_api_version_fails_instead_of_being_skipped(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", "kind: Secret\nmetadata:\n  name: a\n")
    with pytest.raises(RenderError, match=r"x.yaml: Secret has no apiVersion"):
        render_path(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nkind: {a: b}\nmetadata:\n  name: a\n", "kind must be a string"),
        ("apiVersion: [v1]\nkind: Secret\nmetadata:\n  name: a\n", "apiVersion must be a string"),
        (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: {x: y}\n",
            "metadata.namespace must be",
        ),
    ],
)
def test_wrongly_typed_identity_fields_fail_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "x.yaml", text)
    with pytest.raises(RenderError, match=f"x.yaml: {message}"):
        render_path(tmp_path)


def test_looping_or_broken_manifest_symlink_fails_naming_it(tmp_path: Path) -> None:
    write(tmp_path, "cm.yaml", CM.format(name="kept"))
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    with pytest.raises(RenderError, match="loop.yaml: broken or looping symbolic link"):
        render_path(tmp_path)
    (tmp_path / "loop.yaml").unlink()
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(RenderError, match="gone.yaml: broken or looping symbolic link"):
        render_path(tmp_path)


def test_broken_symlink_to_a_non_manifest_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "cm.yaml", CM.format(name="kept"))
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "README.md").symlink_to(tmp_path / "nowhere")
    assert [i.obj["metadata"]["name"] for i in render_path(tmp_path)] == ["kept"]
