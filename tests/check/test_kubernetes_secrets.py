"""Kubernetes Secrets with readable values fail; protected or non-secret values pass."""

from __future__ import annotations

import json

import pytest

from tests.check.conftest import b64
from tests.helpers import assert_no_canary


def secret_yaml(body: str, name: str = "app") -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n{body}"


def test_stringdata_in_yaml_is_found_with_its_line(repo, canary):
    repo.write("deploy/secret.yaml", secret_yaml(f"stringData:\n  token: x{canary}\n  password: {canary}\n"))
    res = repo.check_json()
    assert res.code == 1
    assert res.rules_at() == {
        ("k8s-secret-plaintext", "deploy/secret.yaml", 6),
        ("k8s-secret-plaintext", "deploy/secret.yaml", 7),
    }
    assert_no_canary(canary, res.out, res.err)


def test_base64_data_is_found(repo, canary):
    repo.write("s.yaml", secret_yaml(f"type: Opaque\ndata:\n  token: {b64(canary)}\n"))
    res = repo.check_json()
    assert res.rules_at() == {("k8s-secret-plaintext", "s.yaml", 7)}
    assert res.json["findings"][0]["key"] == "data.token"
    assert_no_canary(canary, res.out, b64(canary))


def test_stringdata_in_json_is_found_with_its_line(repo, canary):
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}, "stringData": {"pw": canary}}
    repo.write("secret.json", json.dumps(obj, indent=2))
    res = repo.check_json()
    assert res.rules_at() == {("k8s-secret-plaintext", "secret.json", 8)}
    assert_no_canary(canary, res.out)


def test_secret_inside_a_kind_list_is_found(repo, canary):
    repo.write(
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
        "  data: {a: b}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n"
        f"  stringData:\n    api-key: {canary}\n",
    )
    res = repo.check_json()
    assert res.rules_at() == {("k8s-secret-plaintext", "list.yaml", 12)}


def test_secret_in_a_helm_rendered_multi_document_stream_is_found(repo, canary):
    stream = (
        "---\n# Source: app/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n"
        "---\n# Source: app/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n"
        f"type: Opaque\ndata:\n  db-password: {b64(canary)}\n"
        "---\n# Source: app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
    )
    repo.write("rendered/all.yaml", stream)
    res = repo.check_json()
    assert res.rules_at() == {("k8s-secret-plaintext", "rendered/all.yaml", 15)}


def test_rendered_stream_on_stdin_is_scanned(repo, canary, monkeypatch):
    import io
    import sys

    stream = secret_yaml(f"stringData:\n  pw: {canary}\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stream.encode())))
    res = repo.check_json("-")
    assert res.rules_at() == {("k8s-secret-plaintext", "<stdin>", 6)}
    assert_no_canary(canary, res.out)


def test_pem_key_base64d_inside_a_secret_is_found_as_a_private_key(repo):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    repo.write("tls.yaml", secret_yaml(f"type: kubernetes.io/tls\ndata:\n  tls.key: {b64(pem)}\n"))
    res = repo.check_json()
    assert res.rules_at() == {("k8s-secret-plaintext", "tls.yaml", 7), ("private-key", "tls.yaml", 7)}
    assert "PRIVATE" not in res.out


def test_public_certificate_in_a_secret_passes(repo):
    cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ3l5\n-----END CERTIFICATE-----\n"
    repo.write("ca.yaml", secret_yaml(f"data:\n  ca.crt: {b64(cert)}\n"))
    assert repo.check().code == 0


def test_empty_substituted_and_placeholder_values_pass(repo):
    repo.write(
        "s.yaml",
        secret_yaml(
            'stringData:\n  a: ""\n  b: ${DB_PASSWORD}\n  c: "<your-password>"\n  d: changeme\n'
            f"  e: '{{{{ .Values.password }}}}'\ndata:\n  f: {b64('REPLACE_ME')}\n  g: ''\n"
        ),
    )
    res = repo.check()
    assert res.code == 0, res.out


def test_literal_password_is_not_a_placeholder(repo):
    repo.write("s.yaml", secret_yaml("stringData:\n  password: password\n"))
    assert repo.check().code == 1


def test_configmaps_without_credentials_and_non_core_secret_kinds_pass(repo):
    repo.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  password: x\n")
    repo.write("other.yaml", "apiVersion: example.com/v1\nkind: Secret\nmetadata: {name: c}\ndata:\n  x: y\n")
    assert repo.check().code == 0


def test_sealed_secret_made_by_kubeseal_passes(repo, sealer, canary):
    sealed = sealer.seal(name="db", namespace="prod", data={"password": canary.encode()})
    repo.write("sealed.yaml", sealed.to_yaml())
    res = repo.check()
    assert res.code == 0, res.out


def test_sealed_secret_with_plaintext_in_encrypted_data_is_found(repo, sealer, canary):
    repo.write(
        "sealed.yaml",
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db}\nspec:\n"
        f"  encryptedData:\n    password: {b64(canary)}\n",
    )
    res = repo.check_json()
    assert res.rules_at() == {("sealed-secret-not-sealed", "sealed.yaml", 6)}


def test_external_secret_passes(repo):
    repo.write(
        "es.yaml",
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: db}\nspec:\n"
        "  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  target: {name: db}\n"
        "  data:\n  - secretKey: password\n    remoteRef: {key: secret/db, property: password}\n",
    )
    assert repo.check().code == 0


@pytest.mark.parametrize("output", ["yaml", "json"])
def test_kubectl_create_secret_output_is_found(repo, canary, output, tmp_path):
    import subprocess

    made = subprocess.run(
        ["kubectl", "create", "secret", "generic", "db", f"--from-literal=password={canary}",
         "--dry-run=client", "-o", output],
        check=True, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin:/usr/local/bin",
                                                         "HOME": str(tmp_path), "KUBECONFIG": "/dev/null"},
    ).stdout  # fmt: skip
    repo.write(f"db.{output}", made)
    res = repo.check_json()
    assert [(f["rule"], f["key"]) for f in res.json["findings"]] == [
        ("k8s-secret-plaintext", "data.password")
    ]
    assert_no_canary(canary, res.out)


def test_elided_documentation_examples_pass(repo):
    repo.write(
        "docs/sealed.yaml",
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db}\nspec:\n"
        '  encryptedData:\n    password: "AgBy3i4OJSWK..."\n',
    )
    repo.write("docs/secret.yaml", secret_yaml("stringData:\n  token: ghx...\n"))
    assert repo.check().code == 0
