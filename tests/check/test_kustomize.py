"""kustomize secretGenerator: plaintext literals and unencrypted env/files are leaks."""

from __future__ import annotations

from tests.helpers import assert_no_canary

KUSTOMIZATION = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deploy.yaml
secretGenerator:
  - name: app
    literals:
      - username=admin
      - password={pw}
      - empty=
  - name: files
    envs:
      - app.env
    files:
      - tls.key=certs/server.key
"""


def test_literals_and_unencrypted_referenced_files_are_found(repo, canary):
    repo.write("overlay/kustomization.yaml", KUSTOMIZATION.format(pw=canary))
    repo.write("overlay/app.env", "LOG_LEVEL=debug\n")
    repo.write("overlay/certs/server.key", "opaque key bytes\n")
    res = repo.check_json()
    assert res.rules_at() == {  # username=admin (line 8) is a user name, not a secret
        ("kustomize-secret-literal", "overlay/kustomization.yaml", 9),
        ("kustomize-secret-file", "overlay/kustomization.yaml", 13),
        ("kustomize-secret-file", "overlay/kustomization.yaml", 15),
    }
    keys = {f["key"] for f in res.json["findings"]}
    assert {"app.password", "files:app.env", "files:certs/server.key"} <= keys
    assert_no_canary(canary, res.out)


def test_sops_encrypted_generator_files_pass(repo, sops_encrypt, canary):
    repo.write("kustomization.yaml", "secretGenerator:\n  - name: app\n    envs:\n      - app.env\n")
    sops_encrypt(repo.write("app.env", f"API_TOKEN={canary}\n"))
    res = repo.check()
    assert res.code == 0, res.out


def test_missing_generator_file_is_a_note_not_a_crash(repo):
    repo.write("kustomization.yaml", "secretGenerator:\n  - name: app\n    envs: [gone.env]\n")
    res = repo.check_json()
    assert res.code == 0
    assert any("gone.env" in n["reason"] for n in res.json["notes"])


def test_kustomize_build_output_with_a_generated_secret_is_found(repo, canary):
    import subprocess

    repo.write(
        "base/kustomization.yaml", f"secretGenerator:\n  - name: app\n    literals:\n      - pw={canary}\n"
    )
    built = subprocess.run(
        ["kubectl", "kustomize", str(repo.root / "base")], check=True, capture_output=True, text=True
    ).stdout
    repo.write("rendered.yaml", built)
    res = repo.check_json("rendered.yaml")
    assert res.rules_at() == {("k8s-secret-plaintext", "rendered.yaml", 3)}
