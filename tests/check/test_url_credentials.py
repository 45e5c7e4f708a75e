"""A URL with a password in it is a credential wherever it is written, except in documentation."""

from __future__ import annotations

import pytest

from tests.helpers import assert_no_canary


def test_a_database_url_with_a_password_in_a_values_file_is_found(repo, canary):
    repo.write(
        "charts/app/values.yaml", f"image: app:1.2.3\ndatabase:\n  url: postgres://app:{canary}@db:5432/app\n"
    )
    res = repo.check_json()
    assert res.rules_at() == {("url-credential", "charts/app/values.yaml", 3)}
    assert res.json["findings"][0]["key"] == "url"
    assert_no_canary(canary, res.out)


def test_git_credentials_with_a_password_are_found(repo, canary):
    repo.write(".git-credentials", f"https://deploy:{canary}@git.example.org\n")
    assert repo.check_json().rules_at() == {("url-credential", ".git-credentials", 1)}


@pytest.mark.parametrize(
    "url",
    [
        "postgres://app:${DB_PASSWORD}@db:5432/app",
        "postgres://app:{{ .Values.password }}@db/app",
        "redis://:<password>@redis:6379",
        "https://user@git.example.org/repo.git",  # a user name, no password
        "https://git.example.org/a:b@c",  # ':' and '@' in the path, not in the authority
        "mongodb://app:changeme@mongo/app",
        "scheme://user:password@host",  # the syntax spelled out, as help texts do
        "postgres://app:{password}@db/app",  # a format string
    ],
)
def test_urls_without_a_real_password_pass(repo, url):
    repo.write("config/app.yaml", f"url: {url}\n")
    assert repo.check().code == 0


def test_urls_with_passwords_in_documentation_pass(repo, canary):
    repo.write("docs/setup.md", f"Connect with `postgres://app:{canary}@localhost/app`.\n")
    assert repo.check().code == 0


def test_a_url_in_a_plaintext_secret_is_reported_once_as_the_secret(repo, canary):
    repo.write(
        "deploy/db.yaml",
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  url: postgres://a:{canary}@db/a\n",
    )
    assert repo.check_json().rules_at() == {("k8s-secret-plaintext", "deploy/db.yaml", 6)}


def test_a_url_in_a_dotenv_file_is_reported_once_as_a_dotenv_credential(repo, canary):
    repo.write(".env", f"DATABASE_URL=postgres://app:{canary}@db/app\n")
    assert repo.check_json().rules_at() == {("dotenv-credential", ".env", 1)}
