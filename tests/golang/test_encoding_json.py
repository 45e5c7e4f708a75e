"""encoding_json: Go's Marshal, string escaping and float text, and its two ways of decoding."""

from __future__ import annotations

import math

import pytest

from secretsops.golang import encoding_json
from secretsops.golang.encoding_json import Number


def test_html_characters_are_escaped_by_default() -> None:
    assert encoding_json.quote("<a&b>") == '"\\u003ca\\u0026b\\u003e"'


def test_line_and_paragraph_separators_are_escaped_even_without_html_escaping() -> None:
    assert encoding_json.quote("<\u2028\u2029>", escape_html=False) == '"<\\u2028\\u2029>"'


def test_a_byte_that_was_not_utf8_is_written_as_an_escaped_replacement_character() -> None:
    invalid = b"\xff".decode("utf-8", "surrogateescape")
    assert encoding_json.quote(invalid) == '"\\ufffd"'


def test_a_decoded_value_keeps_the_replacement_character_itself() -> None:
    assert encoding_json.quote("\ud800", surrogate=encoding_json.REPLACEMENT_CHAR) == '"\ufffd"'


@pytest.mark.parametrize(
    ("value", "text"),
    [(1e21, "1e+21"), (1e20, "100000000000000000000"), (1.5e-7, "1.5e-7"), (1e-6, "0.000001")],
)
def test_floats_use_an_exponent_only_below_1e_minus_6_and_from_1e21(value: float, text: str) -> None:
    assert encoding_json.format_float(value) == text


def test_nan_is_refused() -> None:
    with pytest.raises(encoding_json.UnsupportedValue):
        encoding_json.format_float(math.nan)


def test_map_keys_are_sorted_and_output_is_compact() -> None:
    assert encoding_json.marshal({"b": [1, True, None], "a": 1.0}) == '{"a":1,"b":[1,true,null]}'


def test_struct_order_is_kept_when_keys_are_not_sorted() -> None:
    text = encoding_json.marshal({"b": 1, "a": 2}, sort_keys=False, indent="  ")
    assert text == '{\n  "b": 1,\n  "a": 2\n}'


def test_bytes_are_base64_and_numbers_keep_their_literal() -> None:
    assert encoding_json.marshal([b"\x00\x01", Number("1.50")]) == '["AAE=",1.50]'


def test_default_converts_other_types_and_without_it_they_are_refused() -> None:
    assert encoding_json.marshal({"x": {1, 2}}, default=sorted) == '{"x":[1,2]}'
    with pytest.raises(encoding_json.UnsupportedValue):
        encoding_json.marshal({1, 2})


def test_unmarshal_gives_float64_numbers_and_refuses_nan() -> None:
    assert encoding_json.unmarshal('{"n": 1}') == {"n": 1.0}
    with pytest.raises(ValueError):
        encoding_json.unmarshal("NaN")


def test_use_number_keeps_number_literals() -> None:
    assert encoding_json.unmarshal_numbers('{"n": 1.50}') == {"n": Number("1.50")}


def test_raw_members_keep_each_value_as_written() -> None:
    assert encoding_json.raw_members('{"a": {"x" : 1}, "b": "s"}') == [("a", '{"x" : 1}'), ("b", '"s"')]


def test_raw_members_of_an_array_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a JSON object"):
        encoding_json.raw_members("[1]")
