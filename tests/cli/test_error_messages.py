"""Errors as a user reads them: one line, each thing (file, object, place) named once, paths as the
user wrote them, and the way to supply a missing key for the command that was run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secretsops.keysources.age import generate_identity
from tests.realkube import TOOLS_BIN

NO_AGE_IDENTITY = (
    "no age identity found (set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, "
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE, or put keys in ~/.config/sops/age/keys.txt or keys/age.txt)"
)


def _secretsops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """As a user without any age key runs it (the hermetic HOME holds none)."""
    env = {
        "PATH": os.pathsep.join([str(TOOLS_BIN), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": os.environ["HOME"],
    }
    return subprocess.run(
        [sys.executable, "-m", "secretsops", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _sops_encrypt(sops_bin: str, recipient: str, name: str, plaintext: str) -> bytes:
    """The real sops encrypts ``plaintext`` (on stdin; ``name`` picks the store)."""
    done = subprocess.run(
        [sops_bin, "encrypt", "--age", recipient, "--filename-override", name, "/dev/stdin"],
        input=plaintext.encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


ESO_WITH_BAD_DELIMITERS = """apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: db-credentials
  namespace: shop
  annotations:
    secretsops.io/template-delims: "[["
spec:
  secretStoreRef: {name: vault, kind: SecretStore}
  target: {name: db-credentials}
  data:
  - secretKey: password
    remoteRef: {key: shop/db, property: password}
"""


def test_an_external_secret_error_names_the_file_and_the_object_once(tmp_path: Path) -> None:
    _write(tmp_path / "deploy/es.yaml", ESO_WITH_BAD_DELIMITERS)
    done = _secretsops("render", "deploy", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "secretsops: es.yaml: ExternalSecret.external-secrets.io/shop/db-credentials: annotation "
        "secretsops.io/template-delims must be two delimiters separated by a space\n"
    )


@pytest.fixture
def recipient() -> str:
    """An age recipient whose identity nobody in the test holds."""
    return generate_identity()[1]


def test_a_generator_env_file_error_names_the_file_as_the_kustomization_lists_it(
    tmp_path: Path, sops_bin: str, recipient: str
) -> None:
    _write(tmp_path / "base/db.sops.env", _sops_encrypt(sops_bin, recipient, "db.env", "PASSWORD=x\n"))
    _write(
        tmp_path / "base/kustomization.yaml",
        "secretGenerator:\n- name: db\n  namespace: shop\n  envs: [db.sops.env]\n"
        "generatorOptions: {disableNameSuffixHash: true}\n",
    )
    _write(tmp_path / "prod/kustomization.yaml", "resources: [../base]\n")
    done = _secretsops("render", "prod", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (128, "")
    assert done.stderr == (
        "secretsops: prod: Secret/shop/db: secretGenerator entry ../base/db.sops.env: could not "
        f"retrieve the data key (age {recipient}: {NO_AGE_IDENTITY})\n"
    )


def test_a_generator_file_error_names_the_file_as_the_kustomization_lists_it(
    tmp_path: Path, sops_bin: str, recipient: str
) -> None:
    _write(tmp_path / "app/secrets/db.yaml", _sops_encrypt(sops_bin, recipient, "db.yaml", "password: x\n"))
    _write(
        tmp_path / "app/kustomization.yaml",
        "secretGenerator:\n- name: db\n  namespace: shop\n  files: [config.yaml=secrets/db.yaml]\n"
        "generatorOptions: {disableNameSuffixHash: true}\n",
    )
    done = _secretsops("render", "app", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (128, "")
    assert done.stderr == (
        "secretsops: app: Secret/shop/db: secretGenerator entry secrets/db.yaml: could not "
        f"retrieve the data key (age {recipient}: {NO_AGE_IDENTITY})\n"
    )
