"""SOPS-encrypted objects under ``resources:`` (Flux's layout), in bases and overlays.

kustomize re-serialises and transforms them; ``render`` opens each from its origin file with the
MAC verified over that file's own values.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import assert_no_canary, new_canary
from tests.kustomize_paths.conftest import Env, objects, secret, write


def flux_app(env: Env, root: Path, canary: str) -> Path:
    env.encrypt(root / "secret.enc.yaml", secret("db", canary, namespace="apps"))
    write(root / "kustomization.yaml", "resources:\n- secret.enc.yaml\n")
    return root


def test_fluxs_layout_renders_the_secret_in_plaintext(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    flux_app(env, tmp_path / "app", canary)
    done = env.render("app", tmp_path)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)["Secret/db"]
    assert got["stringData"] == {"PASSWORD": canary} and "sops" not in got


def test_an_overlay_with_namespace_prefix_and_labels_keeps_the_mac_checked(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    flux_app(env, tmp_path / "base", canary)
    write(
        tmp_path / "overlays/prod/kustomization.yaml",
        "resources: [../../base]\nnamespace: prod\nnamePrefix: prod-\nlabels:\n- pairs: {team: payments}\n",
    )
    done = env.render("overlays/prod", tmp_path)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)["Secret/prod-db"]
    assert got["metadata"]["namespace"] == "prod" and got["metadata"]["labels"] == {"team": "payments"}
    assert got["stringData"] == {"PASSWORD": canary}


def test_a_multi_document_resource_file_opens_each_document(env: Env, tmp_path: Path) -> None:
    first, second = new_canary(), new_canary()
    text = secret("one", first) + "---\n" + secret("two", second)
    env.encrypt(tmp_path / "app/secrets.enc.yaml", text)
    write(tmp_path / "app/kustomization.yaml", "namespace: x\nresources: [secrets.enc.yaml]\n")
    done = env.render("app", tmp_path)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)
    assert got["Secret/one"]["stringData"] == {"PASSWORD": first}
    assert got["Secret/two"]["stringData"] == {"PASSWORD": second}


def test_a_json_resource_opens_from_its_json_bytes(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    doc = json.dumps(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"}, "stringData": {"K": canary}}
    )
    env.encrypt(tmp_path / "app/secret.enc.json", doc)
    write(tmp_path / "app/kustomization.yaml", "namePrefix: p-\nresources: [secret.enc.json]\n")
    done = env.render("app", tmp_path)
    assert done.returncode == 0, done.stderr
    assert objects(done.stdout)["Secret/p-j"]["stringData"] == {"K": canary}


def test_a_ciphertext_patched_in_from_another_file_fails_closed(env: Env, tmp_path: Path) -> None:
    canary, other = new_canary(), new_canary()
    flux_app(env, tmp_path / "base", canary)
    env.encrypt(tmp_path / "elsewhere.enc.yaml", secret("db", other, namespace="apps"))
    import yaml

    swapped = yaml.safe_load((tmp_path / "elsewhere.enc.yaml").read_text())["stringData"]["PASSWORD"]
    write(
        tmp_path / "overlay/kustomization.yaml",
        "resources: [../base]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: Secret\n"
        f"    metadata: {{name: db, namespace: apps}}\n    stringData: {{PASSWORD: '{swapped}'}}\n",
    )
    done = env.render("overlay", tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert "stringData.PASSWORD" in done.stderr and "origin file" in done.stderr
    assert_no_canary(canary, done.stderr)
    assert_no_canary(other, done.stderr)


def test_an_edited_origin_file_fails_the_mac(env: Env, tmp_path: Path) -> None:
    flux_app(env, tmp_path / "app", new_canary())
    path = tmp_path / "app/secret.enc.yaml"
    path.write_text(path.read_text().replace("name: db", "name: dbx", 1))
    done = env.render("app", tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert "MAC mismatch" in done.stderr


def test_the_engine_does_not_build_a_base_outside_its_checkout(env: Env, tmp_path: Path) -> None:
    import pytest

    from secretsops.engine.proc import ProcessRunner
    from secretsops.engine.render import render_path
    from secretsops.errors import RenderError

    write(tmp_path / "outside/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    write(tmp_path / "outside/kustomization.yaml", "resources: [cm.yaml]\n")
    checkout = tmp_path / "checkout"
    write(checkout / "app/kustomization.yaml", "resources: [../../outside]\n")
    with pytest.raises(RenderError, match="outside the repository"):
        render_path(checkout / "app", runner=ProcessRunner(env=env.environ), root=checkout)
