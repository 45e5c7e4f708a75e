"""Properties that must hold for any input (hypothesis)."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from secretsops.golang.template import render, string_map
from secretsops.golang.template.parser import go_unquote

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(text)
def test_b64enc_then_b64dec_is_identity(s: str) -> None:
    assert render("{{ .s | b64enc | b64dec }}", {"s": s}) == s


@FAST
@given(st.binary(max_size=60))
def test_binary_secret_values_survive_b64_round_trip_byte_for_byte(b: bytes) -> None:
    from secretsops.golang.template import compile

    out = compile("{{ .s | b64enc | b64dec }}").execute_bytes(string_map({"s": b}))
    assert out == b


@FAST
@given(text)
def test_quote_produces_a_go_literal_that_reads_back(s: str) -> None:
    assert go_unquote(render("{{ quote .s }}", {"s": s})) == s


@FAST
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(lambda s: "{{" not in s))
def test_text_without_actions_renders_unchanged(s: str) -> None:
    assert render(s, {}) == s


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_printed_floats_are_shortest_round_trip(f: float) -> None:
    out = render("{{ .f }}", {"f": f})
    assert float(out) == f
    assert not out.endswith(".0")


@FAST
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_printf_d_of_ints(n: int) -> None:
    assert render('{{ printf "%d" .n }}', {"n": n}) == str(n)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=10,
)


@FAST
@given(json_values)
def test_to_json_then_from_json_round_trips(v: object) -> None:
    out = render("{{ toJson (fromJson (toJson .v)) }}", {"v": v})
    assert out == render("{{ toJson .v }}", {"v": v})


@FAST
@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=6))
def test_range_over_a_map_visits_keys_in_sorted_order(d: dict[str, int]) -> None:
    t = "{{ $ks := list }}{{ range $k, $v := . }}{{ $ks = append $ks $k }}{{ end }}{{ toRawJson $ks }}"
    out = render(t, d)
    assert json.loads(out) == sorted(d)


def test_nan_and_infinity_print_like_go() -> None:
    data = {"a": math.nan, "b": math.inf, "c": -math.inf}
    assert render("{{ .a }} {{ .b }} {{ .c }}", data) == "NaN +Inf -Inf"


def test_lone_surrogates_from_json_become_replacement_characters_in_bytes() -> None:
    from secretsops.golang.template import compile

    out = compile('{{ (fromJson "{\\"a\\": \\"x\\\\ud800y\\"}").a }}').execute_bytes({})
    assert out == "x\ufffdy".encode()
