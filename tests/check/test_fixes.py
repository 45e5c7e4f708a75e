"""Every fix `check` prints works: the printed command runs in a real repository (real sops,
real git) and `check` then passes; where no command can do the job (revoking a token at its
issuer), no command is printed and the advice is followed instead."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from secretsops.check.rules import RULES
from secretsops.cli.main import main
from tests.check.conftest import b64
from tests.check.test_rule_coverage import private_key_pem
from tests.helpers import assert_no_canary

BIN = Path(sys.executable).parent
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  user: app\n  password: {pw}\n"
RULE = "creation_rules:\n  - path_regex: {regex}\n{extra}    age: {recipient}\n"

#: rules (and variants) whose printed command is run by a test below
TESTED_COMMANDS = {
    ("k8s-secret-plaintext", ""),
    ("k8s-secret-plaintext", "rule-decides"),
    ("k8s-secret-plaintext", "in-sops-file"),
    ("sops-unencrypted", ""),
    ("sops-partially-decrypted", ""),
    ("sops-metadata-broken", "no-mac"),
    ("age-secret-key", "key-file"),
    ("private-key", ""),
    ("private-key", "key-file"),
    ("kubeconfig-credentials", ""),
    ("dotenv-credential", ""),
    ("kustomize-secret-file", ""),
    ("high-entropy-secret", ""),
    ("url-credential", ""),
    ("registry-credentials", ""),
}


def with_rule(repo, age_key, regex: str = r"\.(ya?ml|env|json|key|ini)$", extra: str = "") -> None:
    repo.write(".sops.yaml", RULE.format(regex=regex, extra=extra, recipient=age_key.recipient))


def finding(res, rule: str) -> dict:
    found = [f for f in res.json["findings"] if f["rule"] == rule]
    assert found, res.out
    return found[0]


def run_fix(repo, age_key, res, rule: str, cwd: Path | None = None) -> dict:
    """Run the printed fix of the first ``rule`` finding as a user would (bash, from ``cwd``)."""
    f = finding(res, rule)
    assert f["fix_command"], f["fix"]
    assert f["fix"].endswith(f["fix_command"])  # the text shows exactly the command that is tested
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(repo.root), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    command = ["bash", "-c", f["fix_command"]]
    proc = subprocess.run(command, cwd=cwd or repo.root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, (f["fix_command"], proc.stdout, proc.stderr)
    return f


def sops_decrypts(sops_bin: str, age_key, path: Path) -> str:
    """The real sops binary opens the file (MAC verified); returns the plaintext (tests only)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(path.parent), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    proc = subprocess.run(
        [sops_bin, "decrypt", str(path)], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_printed_command_has_a_test():
    printed = {
        (r.id, v) for r in RULES.values() for v, fix in [("", r.fix), *r.variants.items()] if fix.command
    }
    assert printed == TESTED_COMMANDS


# --- Kubernetes Secrets ---------------------------------------------------------------------------


def test_plaintext_secret_is_encrypted_by_its_fix(repo, age_key, canary):
    repo.write(".sops.yaml", f"creation_rules:\n  - age: {age_key.recipient}\n")  # keys only, no path_regex
    repo.write("deploy/db.yaml", SECRET.format(pw=canary))
    f = run_fix(repo, age_key, repo.check_json(), "k8s-secret-plaintext")
    assert "--encrypted-regex '^(data|stringData)$'" in f["fix_command"]
    assert repo.check().code == 0
    assert "kind: Secret" in (repo.root / "deploy/db.yaml").read_text()  # metadata stays readable
    assert_no_canary(canary, repo.root / "deploy")


@pytest.mark.parametrize(
    "extra", ["", "    encrypted_regex: ^(data|stringData)$\n", "    unencrypted_regex: ^kind$\n"]
)
def test_a_rule_that_names_the_file_decides_which_keys(repo, age_key, canary, extra):
    with_rule(repo, age_key, extra=extra)
    repo.write("deploy/db.yaml", SECRET.format(pw=canary))
    f = run_fix(repo, age_key, repo.check_json(), "k8s-secret-plaintext")
    assert f["fix_command"] == "secretsops encrypt -i deploy/db.yaml"
    assert repo.check().code == 0


def test_without_a_creation_rule_the_fix_says_to_add_one_first(repo, age_key, canary):
    repo.write("deploy/db.yaml", SECRET.format(pw=canary))
    f = finding(repo.check_json(), "k8s-secret-plaintext")
    assert "first add a .sops.yaml creation rule" in f["fix"]
    with_rule(repo, age_key)
    run_fix(repo, age_key, repo.check_json(), "k8s-secret-plaintext")
    assert repo.check().code == 0


def test_fix_from_a_subdirectory_and_a_nested_sops_yaml(repo, age_key, canary, monkeypatch, capsys):
    repo.write(
        "clusters/prod/.sops.yaml", RULE.format(regex=r"^apps/", extra="", recipient=age_key.recipient)
    )
    repo.write("clusters/prod/apps/db.yaml", SECRET.format(pw=canary))
    (repo.root / "docs").mkdir()
    monkeypatch.chdir(repo.root / "docs")
    capsys.readouterr()
    assert main(["check", "--no-progress", "--format", "json", ".."]) == 1
    from tests.check.conftest import Result

    res = Result(1, capsys.readouterr().out, "")
    f = run_fix(repo, age_key, res, "k8s-secret-plaintext", cwd=repo.root / "docs")
    assert f["path"] == "../clusters/prod/apps/db.yaml"
    assert "--config ../clusters/prod/.sops.yaml" in f["fix_command"]
    assert repo.check().code == 0


# --- SOPS files -----------------------------------------------------------------------------------


def decrypt_one_value_by_hand(text: str, key: str, plaintext: str) -> str:
    return re.sub(rf"^(\s*{key}: )ENC\[[^\n]*$", lambda m: m.group(1) + plaintext, text, count=1, flags=re.M)


def test_file_covered_by_a_rule_is_encrypted_by_its_fix(repo, age_key, canary):
    with_rule(repo, age_key, regex="^config/")
    repo.write("config/app.yaml", f"database:\n  password: {canary}\n")
    run_fix(repo, age_key, repo.check_json(), "sops-unencrypted")
    assert repo.check().code == 0


def test_value_decrypted_by_hand_is_reencrypted_and_sops_opens_the_file(
    repo, sops_encrypt, sops_bin, age_key, canary
):
    """The reported bug: `secretsops decrypt -i f && secretsops encrypt -i f` exited 25 here."""
    with_rule(repo, age_key, regex="^secrets/", extra="    encrypted_regex: ^(data|stringData)$\n")
    path = repo.write("secrets/db.yaml", SECRET.format(pw="x-initial-x"))
    sops_encrypt(path, "--encrypted-regex", "^(data|stringData)$")
    path.write_text(decrypt_one_value_by_hand(path.read_text(), "password", canary))
    res = repo.check_json()
    f = run_fix(repo, age_key, res, "sops-partially-decrypted")
    assert f["fix_command"] == "secretsops check --fix secrets/db.yaml"
    assert repo.check().code == 0
    assert_no_canary(canary, path, res.out)
    assert f"password: {canary}" in sops_decrypts(sops_bin, age_key, path)  # the MAC is valid again


def test_value_a_stricter_rule_requires_is_encrypted_by_the_fix(
    repo, sops_encrypt, sops_bin, age_key, canary
):
    with_rule(repo, age_key, regex="^secrets/", extra="    encrypted_regex: ^(data|stringData)$\n")
    path = repo.write("secrets/db.yaml", SECRET.format(pw=canary).replace("user: app", f"token: t{canary}"))
    sops_encrypt(path, "--encrypted-regex", "^password$")  # stringData.token stays plaintext
    run_fix(repo, age_key, repo.check_json(), "sops-partially-decrypted")
    assert repo.check().code == 0
    assert_no_canary(canary, path)
    assert f"token: t{canary}" in sops_decrypts(sops_bin, age_key, path)


def test_secret_data_a_sops_file_leaves_plaintext_is_encrypted_by_the_fix(
    repo, sops_encrypt, sops_bin, age_key, canary
):
    path = repo.write("db.yaml", SECRET.format(pw=canary).replace("user: app", f"token: t{canary}"))
    sops_encrypt(path, "--encrypted-regex", "^password$")  # no rule asks for more: the Secret rule does
    f = run_fix(repo, age_key, repo.check_json(), "k8s-secret-plaintext")
    assert f["fix_command"] == "secretsops check --fix db.yaml"
    assert repo.check().code == 0
    assert_no_canary(canary, path)
    sops_decrypts(sops_bin, age_key, path)


def test_missing_mac_is_written_by_the_fix(repo, sops_encrypt, sops_bin, age_key):
    path = repo.write("conf.yaml", "password: p4ss\n")
    sops_encrypt(path)
    path.write_text(re.sub(r"^    mac: .*\n", "", path.read_text(), flags=re.M))
    run_fix(repo, age_key, repo.check_json(), "sops-metadata-broken")
    assert repo.check().code == 0
    assert "password: p4ss" in sops_decrypts(sops_bin, age_key, path)


def test_lost_key_stanza_has_no_command_and_the_advice_restores_it(repo, sops_encrypt, age_key):
    path = repo.write("conf.yaml", "password: p4ss\n")
    sops_encrypt(path)
    good = repo.commit("whole")
    text = path.read_text()
    path.write_text(text[: text.index("    age:")] + text[text.index("    lastmodified:") :])
    repo.commit("broken")
    f = finding(repo.check_json(), "sops-metadata-broken")
    assert f["fix_command"] is None
    assert "git restore --source=COMMIT -- conf.yaml" in f["fix"]
    repo.git("restore", f"--source={good}", "--", "conf.yaml")
    assert repo.check().code == 0


# --- key material, kubeconfigs, .env, generators, entropy -----------------------------------------


def test_committed_age_identity_file_is_untracked_and_ignored(repo, age_key):
    repo.write("keys/age.txt", f"# public key: {age_key.recipient}\n{age_key.identity}\n")
    repo.commit("oops")
    f = run_fix(repo, age_key, repo.check_json(), "age-secret-key")
    assert (
        f["fix_command"] == "git rm -q --cached keys/age.txt && printf '\\n%s\\n' /keys/age.txt >> .gitignore"
    )
    assert repo.check().code == 0
    assert (repo.root / "keys/age.txt").exists()  # the user's key stays on their disk


def test_key_file_fix_from_a_subdirectory(repo, age_key, monkeypatch, capsys):
    repo.write("certs/tls.key", private_key_pem())
    repo.commit("oops")
    monkeypatch.chdir(repo.root / "certs")
    capsys.readouterr()
    assert main(["check", "--no-progress", "--format", "json"]) == 1
    from tests.check.conftest import Result

    res = Result(1, capsys.readouterr().out, "")
    f = run_fix(repo, age_key, res, "private-key", cwd=repo.root / "certs")
    assert f["path"] == "tls.key"
    assert repo.check().code == 0


def test_private_key_inside_a_config_file_is_encrypted_by_its_fix(repo, age_key):
    with_rule(repo, age_key)
    pem = private_key_pem().replace("\n", "\\n")
    repo.write("config/values.yaml", f'ingress:\n  tlsKey: "{pem}"\n')
    f = run_fix(repo, age_key, repo.check_json(), "private-key")
    assert f["fix_command"] == "secretsops encrypt -i config/values.yaml"
    assert repo.check().code == 0


def test_private_key_in_source_code_gets_advice_not_an_encrypt_command(repo):
    pem = private_key_pem().replace("\n", "\\n")
    repo.write("app/keys.py", f'KEY = "{pem}"\n')
    f = finding(repo.check_json(), "private-key")
    assert f["fix_command"] is None
    assert "delete it from the file" in f["fix"]


def test_kubeconfig_with_a_token_is_encrypted_by_its_fix(repo, age_key, canary):
    with_rule(repo, age_key)
    repo.write(
        "ops/kubeconfig.yaml",
        f"apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: ci\n  user:\n    token: {canary}\n",
    )
    run_fix(repo, age_key, repo.check_json(), "kubeconfig-credentials")
    assert repo.check().code == 0
    assert_no_canary(canary, repo.root / "ops")


def test_dotenv_credential_is_encrypted_by_its_fix(repo, age_key, canary):
    with_rule(repo, age_key)
    repo.write(".env", f"PORT=8080\nDB_PASSWORD={canary}\n")
    run_fix(repo, age_key, repo.check_json(), "dotenv-credential")
    assert repo.check().code == 0


def test_generator_env_file_is_encrypted_by_the_fix_on_the_kustomization(repo, age_key, canary):
    with_rule(repo, age_key)
    repo.write("app/kustomization.yaml", "secretGenerator:\n  - name: app\n    envs:\n      - app.env\n")
    repo.write("app/app.env", f"API_TOKEN={canary}\n")
    res = repo.check_json()
    f = run_fix(repo, age_key, res, "kustomize-secret-file")
    assert f["path"] == "app/kustomization.yaml" and f["fix_command"] == "secretsops encrypt -i app/app.env"
    assert repo.check().code == 0


def test_high_entropy_value_in_config_is_encrypted_by_its_fix(repo, age_key):
    with_rule(repo, age_key)
    repo.write("config/app.yaml", "service:\n  apiKey: 9fQ2xL7vR3kP8mZ1wT6yB4nC0sD5hJ2a\n")
    run_fix(repo, age_key, repo.check_json(), "high-entropy-secret")
    assert repo.check().code == 0


def test_url_with_a_password_is_encrypted_by_its_fix(repo, age_key, canary):
    with_rule(repo, age_key)
    repo.write("charts/app/values.yaml", f"database:\n  url: postgres://app:{canary}@db:5432/app\n")
    run_fix(repo, age_key, repo.check_json(), "url-credential")
    assert repo.check().code == 0
    assert_no_canary(canary, repo.root / "charts")


def test_registry_login_is_encrypted_by_its_fix(repo, age_key, canary):
    with_rule(repo, age_key)
    repo.write(".docker/config.json", '{"auths": {"ghcr.io": {"auth": "' + b64(f"ci:{canary}") + '"}}}\n')
    run_fix(repo, age_key, repo.check_json(), "registry-credentials")
    assert repo.check().code == 0


@pytest.mark.parametrize(
    ("rule", "text", "says"),
    [
        ("aws-access-key", 'KEY_ID = "AKIA' + 'Z7QXW3ERTY6UIOPA"\n', "deactivate the key in IAM"),
        ("github-token", "token = 'ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6'\n", "revoke it in GitHub"),
        ("gitlab-token", "GITLAB=glpat-" + "Ab3De6Gh9Jk2Mn5Pq8St\n", "revoke it in GitLab"),
        ("vault-token", "VAULT_TOKEN=hvs." + "CAESIJ3x8k2Qm9Lp4Rt7Vw1Yz5Bc\n", "revoke it"),
    ],
)
def test_tokens_only_their_issuer_can_revoke_get_advice_and_no_command(repo, rule, text, says):
    repo.write("scripts/deploy.sh", text)
    f = finding(repo.check_json(), rule)
    assert f["fix_command"] is None
    assert says in f["fix"]


def test_kustomize_literal_advice_followed_passes(repo, age_key, canary):
    with_rule(repo, age_key)
    repo.write(
        "kustomization.yaml", f"secretGenerator:\n  - name: db\n    literals:\n      - password={canary}\n"
    )
    f = finding(repo.check_json(), "kustomize-secret-literal")
    assert f["fix_command"] is None and "secretsops encrypt -i FILE.env" in f["fix"]
    # as the advice says: the literal moves to an env file under envs:, which is then encrypted
    repo.write("kustomization.yaml", "secretGenerator:\n  - name: db\n    envs:\n      - db.env\n")
    repo.write("db.env", f"password={canary}\n")
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(repo.root), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    subprocess.run([str(BIN / "secretsops"), "encrypt", "-i", "db.env"], cwd=repo.root, env=env, check=True)
    assert repo.check().code == 0


def test_sealed_secret_advice_followed_passes(repo, tmp_path, canary):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secrets")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    repo.write(
        "sealed.yaml",
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: prod\n"
        f"spec:\n  encryptedData:\n    password: {b64(canary)}\n",
    )
    f = finding(repo.check_json(), "sealed-secret-not-sealed")
    assert (
        f["fix_command"] is None
        and "secretsops seal --cert CERT.pem -f SECRET.yaml -w sealed.yaml" in f["fix"]
    )
    secret = tmp_path / "secret.yaml"
    secret.write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n"
                      f"stringData:\n  password: {canary}\n")  # fmt: skip
    seal = [str(BIN / "secretsops"), "seal", "--cert", str(tmp_path / "cert.pem"), "-f", str(secret)]
    subprocess.run([*seal, "-w", "sealed.yaml"], cwd=repo.root, check=True, capture_output=True)
    assert repo.check().code == 0


def test_fix_beside_a_json_report_tells_stderr_and_keeps_stdout_json(
    repo, sops_encrypt, age_key, monkeypatch
):
    path = repo.write("db.yaml", SECRET.format(pw="x-initial-x"))
    sops_encrypt(path, "--encrypted-regex", "^(data|stringData)$")
    path.write_text(decrypt_one_value_by_hand(path.read_text(), "password", "readable-now"))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.key_file))
    res = repo.check_json("--fix")
    assert res.code == 0 and res.json["findings"] == []
    assert res.err == "secretsops check: fixed db.yaml: re-encrypted 1 value that was readable: rotate it\n"


def test_fix_refuses_history_and_stdin(repo):
    res = repo.check("--fix", "--history")
    assert res.code == 2 and "--fix rewrites files of the work tree" in res.err
