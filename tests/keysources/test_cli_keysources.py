"""The sops-compatible CLI with --kms, --hc-vault-transit and --pgp, checked by the real sops binary."""

from __future__ import annotations

import os
import subprocess

from secretsops.cli.main import main
from tests.helpers import assert_no_canary


def sops_decrypt(sops_bin: str, path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sops_bin, "decrypt", str(path)],
        env={"PATH": os.environ["PATH"], "HOME": str(path.parent), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_encrypt_with_kms_flag_and_context(sops_bin, aws_env, kms_arn, tmp_path, canary, capsys):
    src = tmp_path / "s.yaml"
    src.write_text(f"token: {canary}\n")
    assert main(["encrypt", "-i", "--kms", kms_arn, "--encryption-context", "app:web", str(src)]) == 0
    assert sops_decrypt(sops_bin, src, aws_env) == f"token: {canary}\n"
    assert main(["decrypt", str(src)]) == 0
    assert capsys.readouterr().out == f"token: {canary}\n"


def test_encrypt_with_vault_flag(sops_bin, vault_env, openbao, transit_key, tmp_path, canary):
    src = tmp_path / "s.yaml"
    src.write_text(f"token: {canary}\n")
    uri = f"{openbao.url}/v1/transit/keys/{transit_key}"
    assert main(["encrypt", "-i", "--hc-vault-transit", uri, str(src)]) == 0
    assert sops_decrypt(sops_bin, src, vault_env) == f"token: {canary}\n"


def test_encrypt_with_pgp_flag(sops_bin, gpg_home, tmp_path, canary, monkeypatch):
    monkeypatch.setenv("GNUPGHOME", str(gpg_home.path))
    src = tmp_path / "s.yaml"
    src.write_text(f"token: {canary}\n")
    assert main(["encrypt", "-i", "--pgp", gpg_home.fingerprint, str(src)]) == 0
    assert sops_decrypt(sops_bin, src, gpg_home.env()) == f"token: {canary}\n"


def test_decrypt_with_unreachable_kms_is_one_line_exit_128(
    aws_env, kms_arn, tmp_path, canary, capsys, monkeypatch
):
    from secretsops_devstack.services import free_port

    src = tmp_path / "s.yaml"
    src.write_text(f"token: {canary}\n")
    assert main(["encrypt", "-i", "--kms", kms_arn, str(src)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    assert main(["decrypt", str(src)]) == 128
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and "unreachable" in out.err and kms_arn in out.err
    assert_no_canary(canary, out.err)
