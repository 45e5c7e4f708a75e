"""Credentials set in plaintext on objects that are not Secrets: ConfigMap data, container env."""

from __future__ import annotations

import pytest

from tests.helpers import assert_no_canary

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1.2.3
        env:
{env}"""


def env(*items: tuple[str, str]) -> str:
    return "".join(f"        - name: {name}\n          {rest}\n" for name, rest in items)


def test_a_password_in_a_configmap_is_found_even_when_word_like(repo):
    repo.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  DB_HOST: db\n"
        "  DB_PASSWORD: Summer2024-prod\n",
    )
    res = repo.check_json()
    assert res.rules_at() == {("k8s-plaintext-credential", "cm.yaml", 7)}
    assert res.json["findings"][0]["key"] == "data.DB_PASSWORD"


def test_a_credential_in_a_container_env_value_is_found(repo, canary):
    repo.write(
        "deploy.yaml",
        DEPLOYMENT.format(env=env(("LOG_LEVEL", "value: info"), ("API_KEY", f"value: {canary}"))),
    )
    res = repo.check_json()
    assert res.rules_at() == {("k8s-plaintext-credential", "deploy.yaml", 15)}
    assert_no_canary(canary, res.out)


def test_env_in_a_cronjob_job_template_is_found(repo, canary):
    repo.write(
        "cron.yaml",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '@daily'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
        f"          - name: c\n            env:\n            - {{name: DB_PASSWORD, value: {canary}}}\n",
    )
    assert repo.check_json().rules_at() == {("k8s-plaintext-credential", "cron.yaml", 13)}


@pytest.mark.parametrize(
    "item",
    [
        ("DB_PASSWORD", "valueFrom: {secretKeyRef: {name: db, key: password}}"),
        ("DB_PASSWORD", "value: $(DB_PASSWORD_FROM_SECRET)"),
        ("DB_PASSWORD", "value: '{{ .Values.db.password }}'"),
        ("PASSWORD_FILE", "value: /run/secrets/db-password"),
        ("PASSWORD_MIN_LENGTH", "value: '12'"),
        ("TOKEN_AUTH", "value: 'true'"),
        ("SECRET_NAME", "value: app-secrets"),
        ("VAULT_TOKEN", "value: vault:secret/data/app#token"),
        ("API_KEY", "value: arn:aws:secretsmanager:eu-west-1:123456789012:secret:app"),
        ("DB_PASSWORD", "value: ''"),
        ("DB_PASSWORD", "value: changeme"),
        ("TOKEN_AUDIENCE", "value: payments-api"),  # about a token, not one
        ("SECRET_BACKEND", "value: vault"),
    ],
)
def test_references_settings_and_placeholders_in_env_pass(repo, item):
    repo.write("deploy.yaml", DEPLOYMENT.format(env=env(item)))
    assert repo.check().code == 0, repo.check().out


def test_a_secret_like_name_in_a_non_kubernetes_file_is_left_to_the_other_rules(repo):
    repo.write("ci.yaml", "env:\n  - name: DB_PASSWORD\n    value: Summer2024-prod\n")
    assert repo.check().code == 0


def test_a_config_file_carried_in_a_configmap_is_read_line_by_line(repo):
    repo.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  application.yaml: |\n"
        "    spring:\n      datasource:\n        password: Xk29fjQ8zLm3PqR7wT\n",
    )
    assert repo.check_json().rules_at() == {("high-entropy-secret", "cm.yaml", 9)}
