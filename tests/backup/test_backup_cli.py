"""`secretsops backup` flags refused before any cluster is asked (one-line errors, no file written)."""

from __future__ import annotations


def test_backup_without_a_recovery_recipient_is_refused(run_cli, tmp_path):
    out = tmp_path / "backup.enc.yaml"
    code, _, stderr = run_cli("backup", "--kubeconfig", str(tmp_path / "absent"), "-o", str(out))
    assert code != 0
    assert (
        stderr.strip()
        == "secretsops: backup needs a recovery recipient: --age RECIPIENT or --pgp FINGERPRINT"
    )
    assert not out.exists()


def test_backup_without_an_output_file_is_refused(run_cli, recovery):
    code, _, stderr = run_cli("backup", "--age", recovery.recipient)
    assert code != 0
    assert stderr.strip() == "secretsops: backup needs -o FILE (or --verify FILE to open one)"


def test_a_decryption_secret_not_shaped_namespace_slash_name_is_refused(run_cli, recovery, tmp_path):
    code, _, stderr = run_cli(
        "backup", "--decryption-secret", "sops-age", "--age", recovery.recipient, "-o", str(tmp_path / "b")
    )
    assert code != 0
    assert stderr.strip() == "secretsops: --decryption-secret 'sops-age': expected NAMESPACE/NAME"


def test_verifying_a_file_that_is_not_encrypted_fails_in_one_line(run_cli, recovery, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text("kind: SecretsopsBackup\nversion: 1\n")
    code, stdout, stderr = run_cli(
        "backup", "--verify", str(plain), env={"SOPS_AGE_KEY_FILE": str(recovery.key_file)}
    )
    assert code != 0
    assert stdout == b""
    assert len(stderr.strip().splitlines()) == 1


def test_verify_refuses_the_flags_of_taking_a_backup(run_cli, recovery, tmp_path):
    code, _, stderr = run_cli(
        "backup", "--verify", str(tmp_path / "b"), "--age", recovery.recipient, "-o", str(tmp_path / "c")
    )
    assert code != 0
    assert stderr.strip() == "secretsops: --verify opens a backup: it takes no -o, --age, --pgp or --previous"
    assert not (tmp_path / "c").exists()
