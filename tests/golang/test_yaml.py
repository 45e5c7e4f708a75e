"""go-yaml as sops (v3) and sigs.k8s.io/yaml (v2) write it, on libyaml's shared rules."""

from __future__ import annotations

import pytest

from secretsops.golang import libyaml, yaml_v2, yaml_v3


@pytest.mark.parametrize("text", ["yes", "on", "123", "2001-12-14", "null", ""])
def test_v3_double_quotes_strings_that_would_read_back_as_another_type(text: str) -> None:
    assert yaml_v3.string(text) == f'"{text}"'


def test_v3_writes_ordinary_text_plain() -> None:
    assert yaml_v3.string("hello world") == "hello world"


def test_v3_single_quotes_text_with_an_indicator() -> None:
    assert yaml_v3.string("a: b") == "'a: b'"


def test_v3_writes_the_merge_key_with_its_tag() -> None:
    assert yaml_v3.string("<<") == "!!merge <<"


@pytest.mark.parametrize(
    ("text", "block"), [("a\nb\n", "|\n  a\n  b"), ("a\nb", "|-\n  a\n  b"), (" a\n\n", "|2+\n   a\n")]
)
def test_literal_blocks_carry_libyamls_indentation_and_chomping_hints(text: str, block: str) -> None:
    assert yaml_v3.literal_block(text, "  ", 2) == block


def test_v3_resolves_go_yaml_timestamps_to_rfc3339() -> None:
    assert yaml_v3.timestamp("2001-12-14 21:59:43.10") == "2001-12-14T21:59:43.1Z"


@pytest.mark.parametrize(("char", "escaped"), [("\t", "\\t"), ("\ufeff", "\\uFEFF"), ("\x01", "\\x01")])
def test_libyaml_escapes_what_it_cannot_print(char: str, escaped: str) -> None:
    assert libyaml.escape(char) == escaped


def test_libyaml_leaves_printable_characters_alone() -> None:
    assert libyaml.escape("é") is None


def test_v2_orders_keys_naturally_and_writes_integral_floats_as_ints() -> None:
    text = yaml_v2.marshal({"key10": 1, "key9": 2.0, "b": [1.5, "yes"]})
    assert text == 'b:\n- 1.5\n- "yes"\nkey9: 2\nkey10: 1\n'
