"""Committed keys and tokens are found in any text file; public material passes."""

from __future__ import annotations

import pytest

from tests.helpers import assert_no_canary


def make_age_identity() -> tuple[str, str]:
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    return str(ident), str(ident.to_public())


def test_age_identity_is_found_and_its_recipient_passes(repo):
    identity, recipient = make_age_identity()
    repo.write("keys.txt", f"# created: 2024-01-01\n# public key: {recipient}\n{identity}\n")
    repo.write("recipients.txt", recipient + "\n")
    res = repo.check_json()
    assert res.rules_at() == {("age-secret-key", "keys.txt", 3)}
    assert identity not in res.out


def test_pem_private_key_is_found_and_certificate_passes(repo):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    repo.write("certs/server.key", "\n" + pem)
    repo.write("certs/server.pub", pub)
    res = repo.check_json()
    assert res.rules_at() == {("private-key", "certs/server.key", 2)}


def test_pem_key_with_escaped_newlines_in_json_is_found(repo):
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    repo.write(
        "sa.json",
        '{\n  "private_key": "-----BEGIN PRIVATE KEY-----\\n'
        + body
        + '\\n-----END PRIVATE KEY-----\\n"\n}\n',
    )
    assert ("private-key", "sa.json", 2) in repo.check_json().rules_at()


def test_kubeconfig_with_a_token_is_found(repo, canary):
    repo.write(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: https://k8s.example}\n"
        "users:\n- name: admin\n  user:\n    token: " + canary + "\n- name: ci\n  user:\n    exec:\n"
        "      command: aws\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "contexts:\n- name: prod\n  context: {cluster: prod, user: admin}\n",
    )
    res = repo.check_json()
    assert res.rules_at() == {("kubeconfig-credentials", "kubeconfig", 9)}
    assert res.json["findings"][0]["key"] == "users[admin].token"
    assert_no_canary(canary, res.out)


def test_kubeconfig_client_key_data_is_found(repo):
    repo.write(
        "admin.yaml",
        "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    client-certificate-data: QUJD\n"
        "    client-key-data: TUlJRXBBSUJBQUtDQVFFQTB4\n",
    )
    assert repo.check_json().rules_at() == {("kubeconfig-credentials", "admin.yaml", 7)}


@pytest.mark.parametrize(
    ("rule", "token"),
    [
        ("aws-access-key", "AKIA" + "Q3EGRHAGBVCWK7X2"),
        ("aws-access-key", "ASIA" + "Y34FZKBOKMUTVV7A"),
        ("vault-token", "hvs." + "CAESIJ1Kd4f9XzQw8rTeuPkVb3sLmHn0aGcYqZ2xWvRjUoE5"),
        ("vault-token", "s." + "Xq3Lm9Pz7RtY2Kv8Wn4Bc6Hd"),
        ("github-token", "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
        ("github-token", "github_pat_" + "11ABCDEFG0123456789_" + "a" * 20 + "B" * 20 + "c" * 19),
        ("gitlab-token", "glpat-" + "xY7zW3vU9tS1rQ5pO2nM"),
        ("slack-token", "xoxb-" + "2846137509-3957261840573-Qx7Lm2Pz8RtY3Kv6Wn1Bc4Hd"),
        ("slack-token", "xapp-1-A04" + "BC3DE5FG-4829174650312-" + "9f3e1c7a5b2d4e6f8a0c1b3d5e7f9a2c"),
        ("slack-token", "https://hooks.slack.com/services/" + "T03BQ7XKL/B05HZ2M9QJD/" + "k7Xq9Lm2Pz8RtY3K"),
        ("stripe-key", "sk_live_" + "51Mz8QkL2xR7tV4wY9bN3cH6jD0fG5pS"),
        ("stripe-key", "rk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"),
        ("google-api-key", "AIza" + "SyD3k9Lq2mXv8RtP4WzJ7nBc1YhU6eQfKaS"),
        ("npm-token", "npm_" + "a8Kd93jfLq02nXv7TzPq4mWc1RsYh6Ue9BbZ"),
        ("pypi-token", "pypi-AgEIcHlwaS5vcmc" + "CJDk3ZTQ4NTYtYjZhMi00ZDEyLTg5NzktNGQ0YjQ1ZjY3ODkw" * 2),
        ("dockerhub-token", "dckr_pat_" + "Xq9Lm2Pz8RtY3Kv6Wn1Bc4Hd5Fg"),
        (
            "sendgrid-api-key",
            "SG." + "Qx7Lm2Pz8RtY3Kv6Wn1Bc4." + "Hd5Fg0JsQ9eRt2UaK7Xq9Lm2P" + "z8RtY3Kv6Wn1Bc4Hd5",
        ),
        ("openai-api-key", "sk-proj-" + "Qx7Lm2Pz8RtY3Kv6Wn1B" + "T3BlbkFJ" + "c4Hd5Fg0JsQ9eRt2UaK7"),
        ("anthropic-api-key", "sk-ant-api03-" + "Qx7Lm2Pz8RtY3Kv6Wn1Bc4Hd5Fg0JsQ9eRt2UaK7" * 2 + "-AbCdEfAA"),
    ],
)
def test_provider_tokens_are_found(repo, rule, token):
    repo.write("src/settings.py", f"import os\n\nTOKEN = '{token}'\n")
    res = repo.check_json()
    assert (rule, "src/settings.py", 3) in res.rules_at()
    assert token not in res.out


def test_aws_secret_access_key_is_found(repo):
    repo.write(
        "credentials",
        "[default]\naws_access_key_id = AKIA" + "Q3EGRHAGBVCWK7X2\n"
        "aws_secret_access_key = " + "k7Xq9Lm2Pz8RtY3Kv6Wn1Bc4Hd5Fg0JsQ9eRt2Ua" + "\n",
    )
    assert repo.check_json().rules_at() == {
        ("aws-access-key", "credentials", 2),
        ("aws-access-key", "credentials", 3),
    }


def test_documented_example_aws_keys_pass(repo):
    repo.write("README.md", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
    assert repo.check().code == 0


def test_dotenv_next_to_code_is_found(repo, canary):
    repo.write("app/main.py", "print('hi')\n")
    repo.write(
        "app/.env",
        f"DEBUG=true\nDATABASE_URL=postgres://app:{canary}@db:5432/app\nSTRIPE_API_KEY={canary}\n"
        "SECRET_NAME=app-secret\nPASSWORD_FILE=/run/secrets/pw\nJWT_SECRET=${JWT_SECRET}\n",
    )
    res = repo.check_json()
    assert res.rules_at() == {("dotenv-credential", "app/.env", 2), ("dotenv-credential", "app/.env", 3)}
    assert_no_canary(canary, res.out)


def test_high_entropy_value_under_a_secret_like_key_is_found(repo):
    repo.write(
        "values.yaml",
        "image: nginx:1.25\nauth:\n  clientSecret: 8f3kQ9zL2mX7pR4tV6wY1bN5cH0jD\n  clientId: my-app\n"
        "  secretName: app-credentials\n",
    )
    assert repo.check_json().rules_at() == {("high-entropy-secret", "values.yaml", 3)}


def test_low_entropy_or_short_values_under_secret_keys_pass(repo):
    repo.write(
        "values.yaml", "password: aaaaaaaaaaaaaaaaaaaa\ntoken: short\napiKeyRef: x9QzL2mX7pR4tV6wY1bN5\n"
    )
    assert repo.check().code == 0


def test_keys_exported_by_real_tools_are_found(repo, tmp_path):
    import subprocess

    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    env = {"PATH": "/usr/bin:/bin", "GNUPGHOME": str(gnupg), "HOME": str(tmp_path)}
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "t <t@example.invalid>", "ed25519", "sign", "1d"],
                   env=env, check=True, capture_output=True)  # fmt: skip
    armored = subprocess.run(
        [*gpg, "--armor", "--export-secret-keys"], env=env, check=True, capture_output=True
    )
    repo.write("keys/signing.asc", armored.stdout)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(repo.root / "keys/id_ed25519")],
                   env=env, check=True, capture_output=True)  # fmt: skip
    res = repo.check_json()
    assert res.rules_at() == {("private-key", "keys/signing.asc", 1), ("private-key", "keys/id_ed25519", 1)}
    assert ".pub" not in res.out


def test_dotenv_inline_comments_are_not_part_of_the_value(repo):
    repo.write(".env", "API_TOKEN=  # set me in CI\nDB_PASSWORD=${DB_PASSWORD} # from the vault\n")
    assert repo.check().code == 0


def test_high_entropy_block_scalar_value_is_found(repo):
    repo.write("app.yaml", "auth:\n  apiToken: |\n    Zq8Lm2Pz7RtY3Kv6Wn1Bc4Hd5Fg0Js\n")
    assert repo.check_json().rules_at() == {("high-entropy-secret", "app.yaml", 2)}


def test_identifiers_and_ids_under_secret_like_names_pass(repo):
    repo.write(
        "consts_test.go",
        'const authorizedKeySecretName1 = "authorizedKeySecretName1"\n'
        'UnmanagedPushSecretStore1 = "test-unmanaged-store-1"\n'
        'secretUUID = "d5deb37a-7883-4fe2-a5e7-3c15420adc76"\n',
    )
    assert repo.check().code == 0


def test_values_marked_as_placeholders_pass(repo):
    repo.write(
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n"
        "  token: change-me-placeholder\n  password: your-password-here\n",
    )
    assert repo.check().code == 0


def test_document_paths_and_indexed_names_under_secret_like_keys_pass(repo):
    repo.write(
        "mkdocs.yml",
        "nav:\n  - Kubernetes Secret Types: guides/common-k8s-secret-types.md\n"
        '  - SecretKey: "some-array[0].entity"\n',
    )
    assert repo.check().code == 0


def test_an_azure_connection_string_key_is_found(repo):
    key = ("Xq9Lm2Pz8RtY3Kv6Wn1Bc4Hd5Fg0JsQ9eRt2UaK7" * 3)[:86] + "=="
    repo.write(
        "config/appsettings.json",
        '{"Storage": "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey='
        + key
        + ';EndpointSuffix=core.windows.net"}\n',
    )
    res = repo.check_json()
    assert ("azure-connection-string", "config/appsettings.json", 1) in res.rules_at()
    assert key not in res.out


@pytest.mark.parametrize(
    "text",
    [
        "SLACK_BOT_TOKEN=xoxb-your-bot-token\n",  # a placeholder, not the format
        "key = 'sk_test_short'\n",
        "key = 'AIza" + "SyD3k9Lq2mXv8RtP4W'\n",  # too short for a Google key
        "see https://hooks.slack.com/services/YOUR/WEBHOOK/URL\n",
        "id = 'npm_package_version'\n",
    ],
)
def test_text_shaped_like_a_token_prefix_only_passes(repo, text):
    repo.write("scripts/notify.sh", text)
    assert repo.check().code == 0
