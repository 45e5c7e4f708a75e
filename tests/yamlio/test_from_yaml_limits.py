"""The template function ``fromYaml`` reads secret data through the shared reader and its limits."""

from __future__ import annotations

import pytest

from secretsops.golang.yaml_v2 import from_yaml
from tests.yamlio.hostile import alias_bomb, nested

pytestmark = pytest.mark.timeout(20)


def test_an_alias_bomb_in_template_data_is_an_error_entry_not_an_expansion() -> None:
    assert from_yaml(alias_bomb()) == {
        "Error": "error converting YAML to JSON: yaml: invalid document at line 11"
    }


def test_nesting_past_the_limit_is_an_error_entry() -> None:
    assert "Error" in from_yaml(nested(200))


def test_a_malformed_value_is_an_error_entry_naming_no_content() -> None:
    out = from_yaml("password: !!float hunter2\n")
    assert out == {"Error": "error converting YAML to JSON: yaml: invalid document at line 1"}
