"""SOPS files behind ``secretGenerator`` ``envs``/``files`` in a base, rendered through an overlay.

``render OVERLAY`` decrypts them wherever it is run from: outside any git work tree, inside one
from a sub-directory, with a relative or an absolute path.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import assert_no_canary, new_canary
from tests.kustomize_paths.conftest import Env, decoded, objects, write

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: app, image: nginx, envFrom: [{secretRef: {name: creds}}]}
"""


def tree(env: Env, root: Path, canary: str) -> Path:
    """base/ with a SOPS env file and a SOPS YAML file in a secretGenerator; overlays/prod over it."""
    base = root / "base"
    write(base / "deploy.yaml", DEPLOY)
    env.encrypt(base / "app.env", f"TOKEN={canary}-env\nMODE=prod\n")
    env.encrypt(base / "config.yaml", f"password: {canary}\nuser: admin\n", regex=None)
    write(
        base / "kustomization.yaml",
        "resources: [deploy.yaml]\nsecretGenerator:\n- name: creds\n"
        "  envs: [app.env]\n  files: [config.yaml]\n  literals: [plain=yes]\n",
    )
    write(
        root / "overlays/prod/kustomization.yaml",
        "resources: [../../base]\nnamespace: prod\nnamePrefix: prod-\nlabels:\n- pairs: {env: prod}\n",
    )
    return root / "overlays/prod"


def generated(stdout: str) -> dict[str, str]:
    found = [o for k, o in objects(stdout).items() if k.startswith("Secret/prod-creds-")]
    assert len(found) == 1
    return decoded(found[0])


def assert_opened(done: subprocess.CompletedProcess[str], canary: str) -> None:
    assert done.returncode == 0, done.stderr
    data = generated(done.stdout)
    assert data == {
        "TOKEN": f"{canary}-env",
        "MODE": "prod",
        "plain": "yes",
        "config.yaml": f"password: {canary}\nuser: admin\n",
    }


def test_render_overlay_outside_any_git_work_tree(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path / "repo", canary)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert_opened(env.render(str(overlay), elsewhere), canary)


def test_render_overlay_from_its_own_directory_with_a_relative_path(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path / "repo", canary)
    assert_opened(env.render(".", overlay), canary)


def test_render_overlay_from_a_sub_directory_of_a_git_work_tree(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path / "repo", canary)
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    assert_opened(env.render("../overlays/prod", tmp_path / "repo/base"), canary)
    assert overlay.is_dir()


def test_the_deployment_follows_the_hashed_name_and_no_plaintext_is_written(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path / "repo", canary)
    done = env.render(str(overlay), tmp_path)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)
    name = next(k for k in got if k.startswith("Secret/")).split("/", 1)[1]
    spec = got["Deployment/prod-app"]["spec"]["template"]["spec"]
    assert spec["containers"][0]["envFrom"][0]["secretRef"]["name"] == name
    assert_no_canary(canary, tmp_path)


def test_an_overlay_literal_replacing_a_generated_key_is_kept(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path / "repo", canary)
    write(
        overlay / "kustomization.yaml",
        (overlay / "kustomization.yaml").read_text()
        + "secretGenerator:\n- name: creds\n  behavior: merge\n  literals: [MODE=staging]\n",
    )
    done = env.render(".", overlay)
    assert done.returncode == 0, done.stderr
    data = generated(done.stdout)
    assert data["MODE"] == "staging" and data["TOKEN"] == f"{canary}-env"


def test_a_tampered_env_file_fails_and_prints_nothing(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path / "repo", canary)
    env_file = tmp_path / "repo/base/app.env"
    lines = env_file.read_text().splitlines(keepends=True)
    env_file.write_text("".join([lines[1], lines[0], *lines[2:]]))  # swap TOKEN and MODE
    done = env.render(str(overlay), tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert "MAC mismatch" in done.stderr and "app.env" in done.stderr
    assert_no_canary(canary, done.stderr)


def test_a_wrong_key_fails_naming_the_generator_entry(env: Env, tmp_path: Path) -> None:
    from secretsops.keysources.age import generate_identity

    overlay = tree(env, tmp_path / "repo", new_canary())
    env.key_file.write_text(generate_identity()[0] + "\n")
    done = env.render(str(overlay), tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert "secretGenerator entry" in done.stderr
