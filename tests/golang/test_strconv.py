"""strconv: the one FormatFloat and Quote every Go-compatible output goes through."""

from __future__ import annotations

import math

import pytest

from secretsops.golang import strconv


@pytest.mark.parametrize(("value", "text"), [(1e21, "1000000000000000000000"), (0.1, "0.1"), (100.0, "100")])
def test_f_form_is_shortest_and_never_an_exponent(value: float, text: str) -> None:
    assert strconv.format_float(value, "f", -1) == text


def test_negative_zero_keeps_its_sign() -> None:
    assert strconv.format_float(-0.0, "f", -1) == "-0"


@pytest.mark.parametrize(
    ("value", "text"), [(123456789.0, "1.23456789e+08"), (1e-5, "1e-05"), (0.0001, "0.0001")]
)
def test_g_form_switches_to_an_exponent_outside_minus_4_to_6(value: float, text: str) -> None:
    assert strconv.format_float(value, "g", -1) == text


def test_upper_g_writes_an_upper_case_exponent() -> None:
    assert strconv.format_float(1e100, "G", -1) == "1E+100"


@pytest.mark.parametrize(("value", "text"), [(math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf")])
def test_non_finite_values_are_spelled_as_go_spells_them(value: float, text: str) -> None:
    assert strconv.format_float(value, "f", -1) == strconv.format_float(value, "g", -1) == text


def test_quote_escapes_what_go_does_not_print() -> None:
    assert strconv.quote('a\x00\u2028"é') == '"a\\x00\\u2028\\"é"'
