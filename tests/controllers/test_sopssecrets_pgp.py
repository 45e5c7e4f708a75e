"""A SopsSecret encrypted for a PGP key opens with the key given as a Flux-style ``*.asc`` entry of
the controller's decryption Secret: imported by the real gpg into a private keyring that is gone
(directory and gpg-agent) once the SopsSecret is opened."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from secretsops.keysources.base import KeyContext
from secretsops.keysources.pgp import PgpKeySource
from secretsops.sops.api import EncryptOptions, encrypt_bytes
from tests.controllers.conftest import Cluster
from tests.engine.test_flux_engine import assert_keyring_gone, record_keyrings
from tests.keysources.conftest import kill_agent, make_gpg_home


def test_an_asc_key_in_the_decryption_secret_opens_a_pgp_sops_secret(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_gpg_home(tmp_path / "gnupg", "ctl <ctl@secretsops.invalid>")
    try:
        armored = subprocess.run(
            ["gpg", "--batch", "--export-secret-keys", "--armor", home.fingerprint],
            env=home.env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        manifest = {"apiVersion": "v1", "kind": "Secret", "stringData": {"pw": "pgp-in-cluster"}}
        text = encrypt_bytes(
            yaml.safe_dump(manifest).encode(),
            "yaml",
            groups=[[PgpKeySource(home.fingerprint)]],
            options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
            ctx=KeyContext(env=home.env()),
        ).decode()
    finally:
        kill_agent(home.path)
    cluster.namespace("pgp-shop")
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "sops-pgp-keys", "namespace": "secretsops-system"},
            "stringData": {"sops.asc": armored},
        }
    )
    cluster.create(
        {
            "apiVersion": "secretsops.io/v1",
            "kind": "SopsSecret",
            "metadata": {"name": "db", "namespace": "pgp-shop"},
            "spec": {"sops": text},
        }
    )
    made = record_keyrings(monkeypatch)
    try:
        assert cluster.once(controllers=("sopssecrets",), decryption_secret="sops-pgp-keys") == 0
    finally:
        cluster.kube.delete("v1", "Secret", "secretsops-system", "sops-pgp-keys")
    assert cluster.secret_values("pgp-shop", "db") == {"pw": "pgp-in-cluster"}
    assert_keyring_gone(made)
