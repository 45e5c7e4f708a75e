"""Execution: Go's semantics for fields, missing keys, control flow, variables and builtins."""

from __future__ import annotations

import pytest

from secretsops.golang.template import StringMap, compile, string_map

from .conftest import go, go_error

# --- fields and missing keys -------------------------------------------------------------------


def test_nested_map_fields() -> None:
    assert go("{{ .a.b }}", {"a": {"b": "x"}}) == "x"


def test_missing_key_is_an_error_with_esos_missingkey_error() -> None:
    assert go_error("{{ .missing }}", {"a": "1"}) == (
        'template: t:1:3: executing "t" at <.missing>: map has no entry for key "missing"'
    )


def test_missing_key_error_reports_line_and_column() -> None:
    msg = go_error("ok\n  {{ .a }} {{ .nope }}", {"a": "1"})
    assert msg.startswith('template: t:2:14: executing "t" at <.nope>')


def test_missing_key_prints_no_value_with_default_option() -> None:
    assert go("{{ .missing }}", {}, missingkey="default") == "<no value>"


def test_missing_key_is_empty_string_for_string_map_with_zero_option() -> None:
    assert go("[{{ .missing }}]", StringMap(), missingkey="zero") == "[]"


def test_field_of_a_value_from_a_generic_map_reports_interface_type() -> None:
    assert "can't evaluate field b in type interface {}" in go_error("{{ .a.b }}", {"a": "x"})


def test_field_of_a_string_from_eso_data_reports_string_type() -> None:
    assert "can't evaluate field b in type string" in go_error("{{ .a.b }}", string_map({"a": b"x"}))


def test_field_of_nil_is_a_nil_pointer_error() -> None:
    assert "nil pointer evaluating interface {}.b" in go_error("{{ .a.b }}", {"a": None})


def test_nil_value_prints_no_value() -> None:
    assert go("{{ .a }}", {"a": None}) == "<no value>"


def test_map_field_with_arguments_is_rejected() -> None:
    assert "a is not a method but has arguments" in go_error("{{ .a 1 }}", {"a": "x"})


def test_index_of_missing_key_in_string_map_is_empty_even_with_missingkey_error() -> None:
    assert go('[{{ index . "no-such" }}]', string_map({"a": b"1"})) == "[]"


def test_index_of_missing_key_in_generic_map_is_no_value() -> None:
    assert go('{{ index . "x" }}', {"a": 1}) == "<no value>"


# --- printing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "out"),
    [
        ({"b": 2, "a": 1}, "map[a:1 b:2]"),
        (["a", "b"], "[a b]"),
        ([1, None, "x"], "[1 <nil> x]"),
        ({"m": {"k": [1.5, True]}}, "map[m:map[k:[1.5 true]]]"),
        (2.0, "2"),
        (1e21, "1e+21"),
        (True, "true"),
        (b"hi", "[104 105]"),
    ],
)
def test_values_print_with_gos_default_format(value: object, out: str) -> None:
    assert go("{{ .v }}", {"v": value}) == out


# --- control flow --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "out"),
    [("x", "T"), ("", "F"), (0, "F"), (1, "T"), ([], "F"), ({}, "F"), ([0], "T"), (None, "F"), (0.0, "F")],
)
def test_truthiness_follows_go(value: object, out: str) -> None:
    assert go("{{ if .v }}T{{ else }}F{{ end }}", {"v": value}) == out


def test_else_if_chain() -> None:
    t = "{{ if eq .n 1 }}one{{ else if eq .n 2 }}two{{ else }}many{{ end }}"
    assert [go(t, {"n": n}) for n in (1, 2, 3)] == ["one", "two", "many"]


def test_with_rebinds_dot_and_else_with() -> None:
    t = "{{ with .a }}a={{ . }}{{ else with .b }}b={{ . }}{{ else }}none{{ end }}"
    assert go(t, {"a": "1", "b": "2"}) == "a=1"
    assert go(t, {"a": "", "b": "2"}) == "b=2"
    assert go(t, {"a": "", "b": ""}) == "none"


def test_range_over_list_with_index_and_value() -> None:
    assert go("{{ range $i, $v := . }}{{ $i }}={{ $v }} {{ end }}", ["a", "b"]) == "0=a 1=b "


def test_range_over_map_iterates_in_sorted_key_order() -> None:
    data = {"b": "2", "a": "1", "c": "3"}
    assert go("{{ range $k, $v := . }}{{ $k }}{{ $v }}{{ end }}", data) == "a1b2c3"


def test_range_single_variable_binds_the_element() -> None:
    assert go("{{ range $v := . }}{{ $v }}{{ end }}", {"b": "2", "a": "1"}) == "12"


def test_range_else_runs_for_empty_collections() -> None:
    assert go("{{ range . }}x{{ else }}empty{{ end }}", []) == "empty"


def test_range_break_and_continue() -> None:
    t = (
        "{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}"
        "{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}"
    )
    assert go(t, [1, 2, 3, 4, 5]) == "13"


def test_range_over_integer() -> None:
    assert go("{{ range 3 }}{{ . }}{{ end }}") == "012"


def test_range_over_string_is_an_error() -> None:
    assert "range can't iterate over value of type string" in go_error("{{ range .s }}{{ end }}", {"s": "x"})


def test_root_variable_inside_range() -> None:
    assert go("{{ range .l }}{{ $.p }}{{ . }}{{ end }}", {"l": ["a", "b"], "p": "-"}) == "-a-b"


def test_variable_assignment_updates_the_outer_variable() -> None:
    assert go("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}") == "2"


def test_declaration_prints_nothing() -> None:
    assert go("{{ $x := 5 }}") == ""


def test_define_and_template_with_dot() -> None:
    t = '{{ define "greet" }}hi {{ . }}{{ end }}{{ template "greet" .name }}'
    assert go(t, {"name": "bob"}) == "hi bob"


def test_block_defines_and_executes_inline() -> None:
    assert go('{{ block "b" . }}[{{ .x }}]{{ end }}', {"x": "1"}) == "[1]"


def test_template_without_pipeline_gets_nil_dot() -> None:
    assert go('{{ define "d" }}{{ . }}{{ end }}{{ template "d" }}') == "<no value>"


def test_undefined_template_is_an_error() -> None:
    assert 'template "nope" not defined' in go_error('{{ template "nope" }}')


def test_recursive_template_stops_at_a_depth_limit() -> None:
    text = '{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}'
    assert "exceeded maximum template depth" in go_error(text)


def test_compiled_template_is_reusable() -> None:
    tpl = compile("{{ .a }}", name="x")
    assert [tpl.execute({"a": v}) for v in ("1", "2")] == ["1", "2"]


# --- builtins -------------------------------------------------------------------------------------


def test_pipeline_passes_value_as_last_argument() -> None:
    assert go('{{ "a" | printf "%s-%s" "b" }}') == "b-a"


def test_and_or_return_the_deciding_operand() -> None:
    assert go("{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" \"x\" }} [{{ or 0 \"\" }}]") == "0 2 x []"


def test_and_short_circuits() -> None:
    assert go('{{ and false (fail "boom") }}') == "false"


def test_or_short_circuits() -> None:
    assert go('{{ or "x" (fail "boom") }}') == "x"


def test_not() -> None:
    assert go('{{ not "" }} {{ not 1 }}') == "true false"


def test_len_counts_bytes_of_strings() -> None:
    assert go('{{ len "héllo" }} {{ len .l }} {{ len .m }}', {"l": [1, 2], "m": {"a": 1}}) == "6 2 1"


def test_len_of_int_is_an_error() -> None:
    assert "error calling len: len of type int" in go_error("{{ len 3 }}")


def test_index_nested() -> None:
    assert go("{{ index .m \"a\" 1 }}", {"m": {"a": ["x", "y"]}}) == "y"


def test_index_of_string_yields_a_byte() -> None:
    assert go('{{ index "abc" 1 }}') == "98"


def test_index_out_of_range_does_not_print_the_index() -> None:
    """Go prints the index; it can be computed from a secret (``index .l (atoi .pin)``)."""
    assert go_error("{{ index .l 5 }}", {"l": [1]}).endswith("error calling index: index out of range")


def test_index_map_with_wrong_key_type() -> None:
    assert "value has type int; should be string" in go_error("{{ index . 1 }}", {"a": 1})


@pytest.mark.parametrize(
    ("expr", "out"),
    [
        ("eq 1 1", "true"), ("eq 2 1 3 2", "true"), ("eq \"a\" \"b\"", "false"), ("ne 1 2", "true"),
        ("lt 1 2", "true"), ("le 2 2", "true"), ("gt \"b\" \"a\"", "true"), ("ge 1.5 2.5", "false"),
        ("eq .missing \"x\"", "false"),
    ],
)
def test_comparisons(expr: str, out: str) -> None:
    assert go("{{ " + expr + " }}", {}, missingkey="default") == out


def test_comparing_int_with_string_is_an_error() -> None:
    assert "error calling eq: incompatible types for comparison" in go_error('{{ eq 1 "1" }}')


def test_ordering_bools_is_an_error() -> None:
    assert "invalid type for comparison" in go_error("{{ lt true false }}")


def test_print_adds_spaces_only_between_non_strings() -> None:
    assert go('{{ print 1 2 "a" 3 "b" "c" }}') == "1 2a3bc"


def test_println_always_separates_and_ends_the_line() -> None:
    assert go('{{ println "a" 1 }}') == "a 1\n"


def test_html_escape() -> None:
    assert go("{{ html \"<a href='x'>&\\\"</a>\" }}") == "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"


def test_js_escape() -> None:
    assert go("{{ js \"it's <b> & a=b\" }}") == "it\\'s \\u003Cb\\u003E \\u0026 a\\u003Db"


def test_urlquery_escape() -> None:
    assert go('{{ urlquery "a b&c=d/é~" }}') == "a+b%26c%3Dd%2F%C3%A9~"


def test_call_invokes_a_function_value() -> None:
    assert go("{{ call .f 2 3 }}", {"f": lambda a, b: a * b}) == "6"


def test_wrong_number_of_arguments() -> None:
    assert "wrong number of args for upper: want 1 got 0" in go_error("{{ upper }}")


def test_constant_of_wrong_kind_for_parameter() -> None:
    assert "expected string; found 3" in go_error("{{ upper 3 }}")


def test_value_of_wrong_type_for_parameter() -> None:
    assert "wrong type for value; expected string; got int" in go_error("{{ upper .n }}", {"n": 3})


def test_int64_from_sprig_math_is_not_an_int_parameter() -> None:
    assert "wrong type for value; expected int; got int64" in go_error('{{ indent (add 1 1) "x" }}')


def test_argument_to_non_function() -> None:
    assert "can't give argument to non-function $x" in go_error("{{ $x := 1 }}{{ $x 2 }}")


def test_extra_funcs_at_execute_time() -> None:
    tpl = compile("{{ shout .a }}", funcs={"shout": lambda s: s + "!"})
    assert tpl.execute({"a": "hi"}) == "hi!"
    assert tpl.execute({"a": "hi"}, funcs={"shout": lambda s: s + "?"}) == "hi?"


def test_nil_compares_equal_to_a_nil_value() -> None:
    assert go("{{ eq .a nil }} {{ eq .b nil }}", {"a": None, "b": 1}) == "true false"


def test_upper_maps_rune_by_rune_like_go() -> None:
    assert go('{{ upper "straße" }}') == "STRAßE"
