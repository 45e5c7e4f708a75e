"""Config formats whose values are unquoted (Java properties, INI, .npmrc) or in XML elements
(Maven settings.xml) are read as such: a generated password there is found."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        (
            "src/main/resources/application.properties",
            "spring.datasource.username=app\nspring.datasource.password=Xk29fjQ8zLm3PqR7\n",
            2,
        ),
        ("conf/app.ini", "[db]\nhost = db\npassword = Xk29fjQ8zLm3PqR7wT\n", 3),
        (".m2/settings.xml", "<server>\n<id>n</id>\n<password>Pq8vL2mXk9Rt4WzJ</password>\n</server>\n", 3),
    ],
)
def test_a_generated_password_in_a_config_file_is_found(repo, path, text, line):
    repo.write(path, text)
    assert repo.check_json().rules_at() == {("high-entropy-secret", path, line)}


@pytest.mark.parametrize(
    "text",
    [
        "spring.datasource.password=${DB_PASSWORD}\n",
        "app.secret.name=applicationSecretName\n",  # a name, not a secret
        "password.file=/run/secrets/database-password\n",
    ],
)
def test_references_and_names_in_properties_pass(repo, text):
    repo.write("application.properties", text)
    assert repo.check().code == 0


def test_a_generated_password_in_a_compose_environment_list_is_found(repo):
    repo.write(
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16.4\n    environment:\n"
        "      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD=Xk29fjQ8zLm3PqR7wT\n",
    )
    assert repo.check_json().rules_at() == {("high-entropy-secret", "docker-compose.yml", 6)}


def test_compose_list_items_naming_a_file_or_a_variable_pass(repo):
    repo.write(
        "docker-compose.yml",
        "services:\n  db:\n    environment:\n      - POSTGRES_PASSWORD_FILE=/run/secrets/db-password\n"
        "      - API_TOKEN=${API_TOKEN}\n    command: [--db-password=$(DB_PASSWORD)]\n",
    )
    assert repo.check().code == 0
