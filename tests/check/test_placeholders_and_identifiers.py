"""Placeholders and plain user/host/port/database names in a Secret pass; --strict reports them."""

from __future__ import annotations

import pytest

from tests.check.conftest import b64
from tests.helpers import assert_no_canary

FLUX_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n"
    '  password: "${DB_PASSWORD}"\n  username: app\n'
)


def secret(body: str) -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n{body}"


def test_flux_substitution_and_a_username_pass(repo):
    repo.write("apps/db-secret.yaml", FLUX_SECRET)
    res = repo.check()
    assert res.code == 0, res.out


@pytest.mark.parametrize(
    "value",
    ["${DB_PASSWORD}", "{{ .Values.db.password }}", "<your-password>", "changeme", "CHANGE-ME", "xxxxxxxx"],
)
def test_placeholder_passwords_pass(repo, value):
    repo.write("s.yaml", secret(f"stringData:\n  password: '{value}'\n"))
    assert repo.check().code == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("username", "app"),
        ("DB_USER", "svc_reports"),
        ("user", "app@example.com"),
        ("host", "db.internal.svc.cluster.local"),
        ("DB_HOST", "10.0.3.12"),
        ("port", "5432"),
        ("database", "orders"),
        ("db_name", "orders_prod"),
    ],
)
def test_plain_identifiers_pass_as_data_and_stringdata(repo, key, value):
    repo.write("a.yaml", secret(f"stringData:\n  {key}: '{value}'\n"))
    repo.write("b.yaml", secret(f"data:\n  {key}: {b64(value)}\n"))
    assert repo.check().code == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("username", "Xk9#mP2$vQ8!rT"),
        ("host", "R4nd0m-N0t-A-Host!"),
        ("port", "hunter2"),
        ("password", "app"),
    ],
)
def test_a_credential_under_an_identifier_key_or_a_short_password_is_found(repo, key, value):
    repo.write("s.yaml", secret(f"stringData:\n  {key}: '{value}'\n"))
    assert repo.check_json().rules_at() == {("k8s-secret-plaintext", "s.yaml", 6)}


def test_strict_reports_every_plaintext_value_of_a_secret(repo):
    repo.write("apps/db-secret.yaml", FLUX_SECRET)
    res = repo.check_json("--strict")
    assert {f["key"] for f in res.json["findings"]} == {"stringData.password", "stringData.username"}


def test_strict_never_reports_public_material_or_ciphertext(repo, age_key):
    repo.write("s.yaml", secret(f"stringData:\n  recipient: {age_key.recipient}\n  empty: ''\n"))
    assert repo.check("--strict").code == 0


def test_kustomize_literal_username_passes_and_strict_reports_it(repo, canary):
    repo.write(
        "kustomization.yaml",
        f"secretGenerator:\n  - name: db\n    literals:\n      - username=app\n      - password={canary}\n",
    )
    res = repo.check_json()
    assert {f["key"] for f in res.json["findings"]} == {"db.password"}
    assert {f["key"] for f in repo.check_json("--strict").json["findings"]} == {"db.password", "db.username"}
    assert_no_canary(canary, res.out)
