"""``secretsops krm``: a kustomize KRM function that decrypts a ResourceList's items in memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from tests.helpers import assert_no_canary, new_canary

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "kustomize"


@pytest.fixture(scope="module")
def age() -> tuple[str, str]:
    return generate_identity()


def encrypted_secret(recipient: str, value: str, name: str = "db") -> bytes:
    text = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: apps\n"
        f"type: Opaque\nstringData:\n  PASSWORD: {value}\n"
    )
    opts = EncryptOptions(encrypted_regex="^(data|stringData)$")
    return encrypt_bytes(
        text.encode(), "yaml", groups=[[AgeKeySource(recipient)]], options=opts, ctx=KeyContext()
    )


def resource_list(items: list[dict[str, Any]]) -> str:
    fn = yaml.safe_load((PLUGIN / "decrypt.yaml").read_text())
    return yaml.safe_dump(
        {
            "apiVersion": "config.kubernetes.io/v1",
            "kind": "ResourceList",
            "items": items,
            "functionConfig": fn,
        },
        sort_keys=False,
    )


def kustomize_items(root: Path) -> list[dict[str, Any]]:
    """What kustomize hands a function: the built objects, with index annotations."""
    built = subprocess.run(
        ["kubectl", "kustomize", str(root)], check=True, capture_output=True, text=True
    ).stdout
    items = [d for d in yaml.safe_load_all(built) if d]
    for i, item in enumerate(items):
        item["metadata"].setdefault("annotations", {})["config.kubernetes.io/index"] = str(i)
    return items


def run_krm(stdin: str, identity: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "SOPS_AGE_KEY": identity}
    return subprocess.run(
        [str(PLUGIN / "secretsops-krm")]
        if (PLUGIN / "secretsops-krm").exists() and _on_path()
        else [sys.executable, "-m", "secretsops", "krm"],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )


def _on_path() -> bool:
    import shutil

    return shutil.which("secretsops") is not None


@pytest.fixture
def app(tmp_path: Path, age: tuple[str, str]) -> tuple[Path, str]:
    canary = new_canary()
    (tmp_path / "secret.yaml").write_bytes(encrypted_secret(age[1], canary))
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: apps}\ndata: {a: b}\n"
    )
    return tmp_path, canary


def _items(stdout: str) -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(stdout)
    assert doc["kind"] == "ResourceList"
    return {i["kind"]: i for i in doc["items"]}


def test_items_in_their_file_order_are_decrypted_and_keep_kustomizes_annotations(app, age) -> None:  # type: ignore[no-untyped-def]
    root, canary = app
    secret = yaml.safe_load((root / "secret.yaml").read_text())
    secret["metadata"]["annotations"] = {
        "config.kubernetes.io/index": "0",
        "internal.config.kubernetes.io/path": "secret.yaml",
    }
    done = run_krm(resource_list([secret]), age[0], root.parent)
    assert done.returncode == 0, done.stderr
    out = _items(done.stdout)["Secret"]
    assert out["stringData"] == {"PASSWORD": canary} and "sops" not in out
    assert out["metadata"]["annotations"]["config.kubernetes.io/index"] == "0"


def test_objects_kustomize_reordered_and_transformed_are_opened_from_their_origin_file(app, age) -> None:  # type: ignore[no-untyped-def]
    root, canary = app
    (root / "kustomization.yaml").write_text(
        "namespace: prod\nbuildMetadata: [originAnnotations]\nlabels:\n- pairs: {team: a}\n"
        "resources: [secret.yaml, cm.yaml]\n"
    )
    items = kustomize_items(root)
    done = run_krm(resource_list(items), age[0], root)
    assert done.returncode == 0, done.stderr
    out = _items(done.stdout)
    assert out["Secret"]["stringData"] == {"PASSWORD": canary}
    assert out["Secret"]["metadata"]["namespace"] == "prod" and out["Secret"]["metadata"]["labels"] == {
        "team": "a"
    }
    assert "config.kubernetes.io/origin" in out["Secret"]["metadata"]["annotations"]
    assert out["ConfigMap"]["data"] == {"a": "b"}


def test_a_swapped_ciphertext_fails_closed_and_prints_nothing(app, age) -> None:  # type: ignore[no-untyped-def]
    root, canary = app
    (root / "other.yaml").write_bytes(encrypted_secret(age[1], new_canary(), name="other"))
    (root / "kustomization.yaml").write_text("buildMetadata: [originAnnotations]\nresources: [secret.yaml]\n")
    items = kustomize_items(root)
    other = yaml.safe_load((root / "other.yaml").read_text())
    items[0]["stringData"]["PASSWORD"] = other["stringData"]["PASSWORD"]
    done = run_krm(resource_list(items), age[0], root)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "PASSWORD" in done.stderr
    assert_no_canary(canary, done.stderr)


def test_reordered_objects_without_origin_annotations_open_from_the_listed_file(app, age) -> None:  # type: ignore[no-untyped-def]
    root, canary = app
    (root / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    done = run_krm(resource_list(kustomize_items(root)), age[0], root)
    assert done.returncode == 0, done.stderr
    assert _items(done.stdout)["Secret"]["stringData"] == {"PASSWORD": canary}


def test_origin_paths_outside_the_root_are_not_read(app, age, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    root, _ = app
    (root / "kustomization.yaml").write_text("buildMetadata: [originAnnotations]\nresources: [secret.yaml]\n")
    items = kustomize_items(root)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    done = run_krm(resource_list(items), age[0], elsewhere)
    assert done.returncode != 0 and done.stdout == ""
    assert "MAC mismatch" in done.stderr and "no file listed under resources:" in done.stderr


def test_stdin_that_is_not_a_resource_list_is_a_usage_error(tmp_path: Path, age) -> None:  # type: ignore[no-untyped-def]
    done = run_krm("kind: Something\n", age[0], tmp_path)
    assert done.returncode == 2 and "ResourceList" in done.stderr


def test_function_config_is_a_kustomize_exec_function() -> None:
    fn = yaml.safe_load((PLUGIN / "decrypt.yaml").read_text())
    spec = yaml.safe_load(fn["metadata"]["annotations"]["config.kubernetes.io/function"])
    assert spec == {"exec": {"path": "./secretsops-krm"}}
    assert os.access(PLUGIN / "secretsops-krm", os.X_OK)


def test_origin_file_with_several_documents_and_yaml_1_1_lookalikes(tmp_path: Path, age) -> None:  # type: ignore[no-untyped-def]
    canary = new_canary()
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\n"
        "  annotations:\n    enabled: on\n    since: 2001-12-14\n"
        f"type: Opaque\nstringData:\n  PASSWORD: {canary}\n"
    )
    opts = EncryptOptions(encrypted_regex="^(data|stringData)$")
    enc = encrypt_bytes(
        text.encode(), "yaml", groups=[[AgeKeySource(age[1])]], options=opts, ctx=KeyContext()
    )
    cm = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: apps}\n"
    (tmp_path / "all.yaml").write_bytes(cm + b"---\n" + enc)
    (tmp_path / "kustomization.yaml").write_text(
        "buildMetadata: [originAnnotations]\nresources: [all.yaml]\n"
    )
    done = run_krm(resource_list(kustomize_items(tmp_path)), age[0], tmp_path)
    assert done.returncode == 0, done.stderr
    secret = _items(done.stdout)["Secret"]
    assert secret["stringData"] == {"PASSWORD": canary}
