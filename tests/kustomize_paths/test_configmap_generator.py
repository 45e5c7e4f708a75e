"""SOPS files behind ``configMapGenerator`` ``envs``/``files`` open as they do behind a
secretGenerator: ``render`` (the engine's pipeline) decrypts them, MAC checked, in an overlay too;
the ConfigMap keeps text values (no base64), as kustomize writes them."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import new_canary
from tests.kustomize_paths.conftest import Env, objects, write


def tree(env: Env, root: Path, canary: str) -> Path:
    base = root / "base"
    env.encrypt(base / "app.env", f"TOKEN={canary}\nMODE=prod\n")
    env.encrypt(base / "settings.yaml", f"password: {canary}\nuser: admin\n", regex=None)
    write(
        base / "kustomization.yaml",
        "configMapGenerator:\n- name: settings\n  envs: [app.env]\n  files: [settings.yaml]\n"
        "  literals: [plain=yes]\n",
    )
    write(root / "overlays/prod/kustomization.yaml", "resources: [../../base]\nnamespace: prod\n")
    return root / "overlays/prod"


def generated(stdout: str) -> dict:
    (found,) = [
        o
        for k, o in objects(stdout).items()
        if k.startswith("ConfigMap/prod-settings-") or k.startswith("ConfigMap/settings-")
    ]
    return found


def test_sops_env_and_file_inputs_of_a_config_map_generator_are_decrypted(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path, canary)
    done = env.render(str(overlay), tmp_path)
    assert done.returncode == 0, done.stderr
    cm = generated(done.stdout)
    assert cm["data"] == {
        "TOKEN": canary,
        "MODE": "prod",
        "plain": "yes",
        "settings.yaml": f"password: {canary}\nuser: admin\n",
    }
    assert cm["metadata"]["namespace"] == "prod"


def test_a_changed_value_in_a_config_map_env_input_fails_its_mac(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    overlay = tree(env, tmp_path, canary)
    env_file = tmp_path / "base" / "app.env"
    lines = env_file.read_text().splitlines()
    mode = next(i for i, ln in enumerate(lines) if ln.startswith("MODE="))
    token = next(i for i, ln in enumerate(lines) if ln.startswith("TOKEN="))
    lines[mode] = "MODE=" + lines[token].split("=", 1)[1]  # another value's ciphertext, moved
    env_file.write_text("\n".join(lines) + "\n")
    done = env.render(str(overlay), tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert canary not in done.stderr
