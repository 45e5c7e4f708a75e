"""The one emit guard (``secretsops.decryptors.guard``): SOPS material never leaves with exit 0."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from secretsops.decryptors.guard import CiphertextEmitted, find_leak, guard_objects
from tests.helpers import new_canary
from tests.kustomize_paths.conftest import Env, write

ENC = "ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_sops_mapping_on_an_object_is_a_leak() -> None:
    assert find_leak({"apiVersion": "v1", "kind": "Secret", "sops": {"mac": ENC}}) == "sops"


def test_ciphertext_anywhere_in_an_object_is_a_leak() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"env": [{"value": f"x{ENC}"}]}}
    assert find_leak(obj) == "spec.env.0.value"


def test_ciphertext_inside_base64_secret_data_is_a_leak() -> None:
    obj = {"apiVersion": "v1", "kind": "Secret", "data": {"config.yaml": b64(f"password: {ENC}\n")}}
    assert find_leak(obj) == "data.config.yaml"


def test_sops_keys_in_generated_data_are_a_leak() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"sops_version": "3.11.0"}}
    assert find_leak(obj) == "data.sops_version"


def test_a_plain_secret_passes() -> None:
    assert find_leak({"apiVersion": "v1", "kind": "Secret", "data": {"a": b64("plain")}}) is None


def test_a_sopssecret_carries_its_ciphertext_for_the_controller() -> None:
    obj = {"apiVersion": "secretsops.io/v1", "kind": "SopsSecret", "spec": {"sops": f"data: {ENC}\n"}}
    assert find_leak(obj) is None


def test_the_error_names_object_and_key_never_the_value() -> None:
    canary = new_canary()
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "stringData": {"k": f"{ENC}{canary}"},
    }
    with pytest.raises(CiphertextEmitted) as err:
        guard_objects([obj], "out.yaml")
    assert "Secret/s" in str(err.value) and "stringData.k" in str(err.value)
    assert canary not in str(err.value)


def test_render_refuses_ciphertext_no_decryptor_opened_and_prints_nothing(env: Env, tmp_path: Path) -> None:
    """A SOPS value pasted into a plain ConfigMap (no SOPS document around it) opens nowhere:
    fail, do not emit it."""
    write(
        tmp_path / "app/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
        "data:\n  settings.yaml: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n",
    )
    write(tmp_path / "app/kustomization.yaml", "resources: [settings.yaml]\n")
    done = env.render("app", tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert "still holds SOPS ciphertext" in done.stderr and "data.settings.yaml" in done.stderr
