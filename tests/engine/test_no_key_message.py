"""The engine's "no key" error tells its user what the engine reads keys from (a decryption
Secret), not the sops variables a command-line user would set."""

from __future__ import annotations

import base64

import pytest

from secretsops.cli.main import main
from tests.engine.test_cli import reconcile_args


def _error_lines(err: str) -> list[str]:
    """The one-line errors (the JSON log lines of the engine's logger aside)."""
    return [line for line in err.splitlines() if not line.startswith("{")]


@pytest.mark.realkube
def test_without_a_decryption_secret_the_error_points_to_the_flag(harness, capsys) -> None:
    harness.write_app({"PASSWORD": "x"})
    harness.repo.commit()
    assert main(reconcile_args(harness, decryption_secret=None)) == 1
    assert _error_lines(capsys.readouterr().err) == [
        "apps: DecryptionFailed: apps#2: Secret/apps/db: secretGenerator entry db.env: could not "
        f"retrieve the data key (age {harness.age.recipient}: no age identity found (give the engine a "
        "decryption Secret with the key: --decryption-secret NAMESPACE/NAME (age: an entry named "
        "*.agekey), or decryption.secretRef in the sources file))"
    ]


@pytest.mark.realkube
def test_a_decryption_secret_without_the_key_is_named_in_the_error(harness, capsys) -> None:
    from kubernetes import client

    client.CoreV1Api(harness.api.api_client()).create_namespaced_secret(
        "secretsops-system",
        {"metadata": {"name": "no-age"}, "data": {"sops.vault-token": base64.b64encode(b"t").decode()}},
    )
    harness.write_app({"PASSWORD": "x"})
    harness.repo.commit()
    assert main(reconcile_args(harness, decryption_secret="secretsops-system/no-age")) == 1
    assert _error_lines(capsys.readouterr().err) == [
        "apps: DecryptionFailed: apps#2: Secret/apps/db: secretGenerator entry db.env: could not "
        f"retrieve the data key (age {harness.age.recipient}: no age identity found (add the key to the "
        "decryption Secret secretsops-system/no-age (age: an entry named *.agekey)))"
    ]
