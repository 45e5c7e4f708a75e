"""SOPS-encrypted secretGenerator files/envs: built by kustomize as ciphertext, opened in memory."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from secretsops.decryptors.base import DecryptCache, DecryptContext, DecryptFailed
from secretsops.engine.generators import open_generated, parse_env
from secretsops.engine.render import render_path
from secretsops.engine.workdir import MEMORY_FS
from secretsops.errors import RenderError
from secretsops.keysources.base import KeyContext
from tests.helpers import assert_no_canary

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: app
        image: nginx
        envFrom: [{secretRef: {name: creds}}]
"""


def make_overlay(root: Path, age_key, canary: str) -> None:  # type: ignore[no-untyped-def]
    root.mkdir(parents=True, exist_ok=True)
    (root / "deploy.yaml").write_text(DEPLOY)
    (root / "config.yaml").write_bytes(age_key.encrypt(f"password: {canary}\nuser: admin\n", regex=""))
    (root / "app.env").write_bytes(age_key.encrypt(f"TOKEN={canary}-env\nMODE=prod\n", "dotenv", regex=""))
    (root / "kustomization.yaml").write_text(
        "namespace: apps\nresources: [deploy.yaml]\nsecretGenerator:\n- name: creds\n"
        "  files: [config.yaml]\n  envs: [app.env]\n  literals: [plain=yes]\n"
    )


def decoded(item) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: base64.b64decode(v).decode() for k, v in item.obj["data"].items()}


def test_generated_secret_is_ciphertext_until_opened_in_memory(tmp_path: Path, age_key, canary: str) -> None:
    make_overlay(tmp_path / "app", age_key, canary)
    items = render_path(tmp_path / "app")
    secret = next(i for i in items if i.id.kind == "Secret")
    assert canary not in str(decoded(secret))
    open_generated(items, DecryptContext(keys=KeyContext(env=age_key.env)))
    data = decoded(secret)
    assert data["TOKEN"] == f"{canary}-env" and data["MODE"] == "prod" and data["plain"] == "yes"
    assert data["config.yaml"] == f"password: {canary}\nuser: admin\n"
    assert "secretsops.io/sops-generated" not in str(secret.obj)


def test_name_references_follow_the_generated_hash_suffix(tmp_path: Path, age_key, canary: str) -> None:
    make_overlay(tmp_path / "app", age_key, canary)
    items = render_path(tmp_path / "app")
    secret = next(i for i in items if i.id.kind == "Secret")
    deploy = next(i for i in items if i.id.kind == "Deployment")
    ref = deploy.obj["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["secretRef"]["name"]
    assert secret.id.name.startswith("creds-") and ref == secret.id.name


def test_rendering_leaves_no_plaintext_and_no_copy_behind(tmp_path: Path, age_key, canary: str) -> None:
    make_overlay(tmp_path / "app", age_key, canary)
    before = set(MEMORY_FS.glob("secretsops-kustomize-*")) if MEMORY_FS.is_dir() else set()
    items = render_path(tmp_path / "app")
    open_generated(items, DecryptContext(keys=KeyContext(env=age_key.env)))
    # Other test workers build overlays too: their copies are transient, a leftover of ours is not.
    deadline = time.monotonic() + 10
    while True:
        after = set(MEMORY_FS.glob("secretsops-kustomize-*")) if MEMORY_FS.is_dir() else set()
        if after <= before or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after <= before
    assert_no_canary(canary, tmp_path)


def test_wrong_key_fails_the_unit_naming_the_entry(tmp_path: Path, age_key, canary: str) -> None:
    from secretsops.keysources.age import generate_identity

    make_overlay(tmp_path / "app", age_key, canary)
    items = render_path(tmp_path / "app")
    with pytest.raises(DecryptFailed, match=r"secretGenerator entry") as err:
        open_generated(items, DecryptContext(keys=KeyContext(env={"SOPS_AGE_KEY": generate_identity()[0]})))
    assert canary not in str(err.value)


def test_tampered_generator_file_fails_the_mac(tmp_path: Path, age_key, canary: str) -> None:
    make_overlay(tmp_path / "app", age_key, canary)
    cfg = tmp_path / "app" / "config.yaml"
    cfg.write_text(cfg.read_text().replace("user: ENC[", "user: ENC[", 1).replace("\nuser:", "\nuser2:"))
    items = render_path(tmp_path / "app")
    with pytest.raises(DecryptFailed):
        open_generated(items, DecryptContext(keys=KeyContext(env=age_key.env)))


def test_data_keys_are_cached_by_mac_across_passes(tmp_path: Path, age_key, canary: str) -> None:
    make_overlay(tmp_path / "app", age_key, canary)
    cache = DecryptCache()
    first = KeyContext(env=age_key.env)
    open_generated(render_path(tmp_path / "app"), DecryptContext(keys=first, cache=cache))
    second = KeyContext(env={})  # no key at all: only the cache can open it
    open_generated(render_path(tmp_path / "app"), DecryptContext(keys=second, cache=cache))
    assert second.calls == {}


def test_env_lines_follow_kustomize_rules() -> None:
    assert parse_env("# c\n\nA=1\n  B=x=y\nC=\n", "f") == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(RenderError, match="line 1"):
        parse_env("novalue\n", "f")
