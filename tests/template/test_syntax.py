"""Lexing and parsing: Go's text/template syntax, trim markers, delimiters and parse errors."""

from __future__ import annotations

import pytest

from secretsops.errors import TemplateError
from secretsops.golang.template import compile

from .conftest import go, go_error


def test_plain_text_passes_through_unchanged() -> None:
    assert go("hello {world} }}") == "hello {world} }}"


def test_empty_template_renders_empty() -> None:
    assert go("") == ""


def test_trim_markers_remove_all_adjacent_whitespace() -> None:
    assert go("a  \n {{- 1 -}} \n\t b") == "a1b"


def test_trim_marker_needs_a_space_otherwise_it_is_a_negative_number() -> None:
    assert go("a {{-3}} b") == "a -3 b"


def test_trim_inside_string_literal_is_kept() -> None:
    assert go('{{- " x " -}}') == " x "


def test_comment_produces_nothing() -> None:
    assert go("a{{/* note */}}b") == "ab"


def test_trimmed_comment_trims_both_sides() -> None:
    assert go("a \n{{- /* note */ -}}\n b") == "ab"


def test_comment_must_end_at_delimiter() -> None:
    assert "comment ends before closing delimiter" in go_error("{{/* x */ 1}}")


def test_unclosed_comment_is_an_error() -> None:
    assert "unclosed comment" in go_error("{{/* x ")


def test_custom_delimiters() -> None:
    assert go("<< .a >> {{ .a }}", {"a": "x"}, delims=("<<", ">>")) == "x {{ .a }}"


def test_custom_delimiters_with_trim_markers() -> None:
    assert go("a [[- .a -]] b", {"a": "x"}, delims=("[[", "]]")) == "axb"


def test_raw_string_keeps_backslashes_and_newlines() -> None:
    assert go("{{ `a\\n\nb` }}") == "a\\n\nb"


@pytest.mark.parametrize(
    ("literal", "out"),
    [
        (r'"a\tb"', "a\tb"),
        (r'"\x41\u00e9\U0001F600"', "Aé\U0001f600"),
        (r'"\101"', "A"),
        (r'"q\"q"', 'q"q'),
    ],
)
def test_interpreted_strings_use_go_escapes(literal: str, out: str) -> None:
    assert go("{{ " + literal + " }}") == out


def test_bad_escape_is_a_parse_error() -> None:
    assert go_error(r'{{ "\q" }}') == "template: t:1: invalid syntax"


@pytest.mark.parametrize(
    ("literal", "out"),
    [("3", "3"), ("-7", "-7"), ("1.5", "1.5"), ("1.0", "1"), ("1e3", "1000"), ("0x1F", "31"),
     ("0o17", "15"), ("017", "15"), ("0b101", "5"), ("1_000", "1000"), ("'a'", "97"), ("'\\n'", "10"),
     ("1e6", "1e+06"), (".5", "0.5")],
)
def test_number_constants_print_like_go(literal: str, out: str) -> None:
    assert go("{{ " + literal + " }}") == out


def test_bool_and_nil_constants() -> None:
    assert go("{{ true }} {{ false }}") == "true false"
    assert "nil is not a command" in go_error("{{ nil }}")


def test_unknown_function_fails_at_parse_time() -> None:
    assert go_error("{{ nosuch 1 }}") == 'template: t:1: function "nosuch" not defined'


def test_parse_error_reports_line() -> None:
    with pytest.raises(TemplateError) as info:
        compile("line1\nline2 {{ if }}", name="cfg")
    assert str(info.value) == "template: cfg:2: missing value for if"
    assert info.value.line == 2  # type: ignore[attr-defined]


def test_unclosed_action() -> None:
    assert "unclosed action" in go_error("{{ .a ")


def test_unexpected_end_at_top_level() -> None:
    assert go_error("{{ end }}") == "template: t:1: unexpected {{end}}"


def test_missing_end_is_unexpected_eof() -> None:
    assert go_error("{{ if true }}x") == "template: t:1: unexpected EOF"


def test_undefined_variable_fails_at_parse_time() -> None:
    assert go_error("{{ $x }}") == 'template: t:1: undefined variable "$x"'


def test_variable_scope_ends_with_its_block() -> None:
    assert "undefined variable" in go_error("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}")


def test_non_executable_pipeline_stage() -> None:
    assert "non executable command in pipeline stage 2" in go_error('{{ "a" | "b" }}')


def test_break_outside_range_is_rejected() -> None:
    assert "{{break}} outside {{range}}" in go_error("{{ break }}")


def test_field_followed_by_quote_is_a_bad_character() -> None:
    assert go_error('{{ .a"x" }}') == "template: t:1: bad character U+0022 '\"'"


def test_unexpected_token_in_operand() -> None:
    assert go_error("{{ (1)2 }}") == 'template: t:1: unexpected "2" in operand'


def test_newlines_allowed_inside_actions() -> None:
    assert go("{{ printf\n  \"%s-%s\"\n  \"a\" \"b\" }}") == "a-b"


def test_duplicate_define_is_rejected() -> None:
    text = '{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}'
    assert 'multiple definition of template "x"' in go_error(text)


def test_parenthesized_pipeline_and_field_on_it() -> None:
    assert go('{{ (dict "a" "b").a }}') == "b"


def test_dot_after_constant_is_rejected() -> None:
    assert "unexpected . after term" in go_error('{{ "a".b }}')
