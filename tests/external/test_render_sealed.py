"""`secretsops render` opens SealedSecrets into Secrets that an API server (or Argo CD) accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from secretsops.cli.main import main
from secretsops.sealed.sealing import new_sealed_secret


def test_rendered_sealed_secret_has_templates_applied_and_no_uidless_owner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    plain = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "apps"},
        "stringData": {"user": "app", "pw": "pw-1"},
    }
    sealed = new_sealed_secret(key.public_key(), plain)
    sealed["spec"]["template"]["data"] = {"dsn": "{{ .user }}@{{ .pw | upper }}"}
    app = tmp_path / "app"
    app.mkdir()
    (app / "db.yaml").write_text(yaml.safe_dump(sealed))

    assert main(["render", str(app), "--private-key", str(pem)]) == 0
    (secret,) = list(yaml.safe_load_all(capsys.readouterr().out))
    assert secret["kind"] == "Secret"
    assert "ownerReferences" not in secret["metadata"]
    assert secret["data"]["dsn"] == "YXBwQFBXLTE="  # base64("app@PW-1")
