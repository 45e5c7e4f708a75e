"""Which names hold a credential: the entropy rule's test and the stricter one for word-like values."""

from __future__ import annotations

import pytest

from secretsops.check.keynames import is_secret_key_name, names_a_credential


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "apiKey", "CLIENT_SECRET", "github-token", "SSH_PASSPHRASE", "privateKey", "dsn"]
)
def test_names_that_end_in_a_credential(name):
    assert names_a_credential(name) and is_secret_key_name(name)


@pytest.mark.parametrize("name", ["TOKEN_AUDIENCE", "SECRET_BACKEND", "passwordComplexity"])
def test_names_about_a_credential_count_only_for_the_entropy_rule(name):
    assert is_secret_key_name(name) and not names_a_credential(name)


@pytest.mark.parametrize("name", ["PASSWORD_FILE", "secretName", "TOKEN_URL", "publicKey", "LOG_LEVEL", ""])
def test_names_that_hold_no_credential(name):
    assert not names_a_credential(name) and not is_secret_key_name(name)
