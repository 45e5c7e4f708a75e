"""Flux's post-build expansion rules (its envsubst fork's cases), one behaviour per case."""

from __future__ import annotations

import pytest

from secretsops.engine.envsubst import SubstitutionError, expand


@pytest.mark.parametrize(
    ("values", "text", "expected"),
    [
        ({"cluster": "prod"}, "name: app-${cluster}", "name: app-prod"),
        ({}, "region: ${region:=eu-west-1}", "region: eu-west-1"),
        ({"region": ""}, "region: ${region:=eu-west-1}", "region: eu-west-1"),
        ({}, "env: ${env:-dev}", "env: dev"),
        ({"env": ""}, "env: ${env-dev}", "env: "),
        ({}, "env: ${env=dev}", "env: dev"),
        ({"d": "foo1"}, "x: ${v=prefix${d}-suffix}", "x: prefixfoo1-suffix"),
        ({"v": "abcdEFGH28ij"}, "${#v}", "12"),
        ({"v": "abc"}, "${v^}${v^^}", "AbcABC"),
        ({"v": "ABC"}, "${v,}${v,,}", "aBCabc"),
        ({"p": "/home/bozo/ideas/thoughts.for.today"}, "${p:11:5}", "ideas"),
        ({"f": "bash.string.txt"}, "${f#*.} ${f##*.} ${f%.*} ${f%%.*}", "string.txt txt bash.string bash"),
        ({"s": "abcABC123ABCabc"}, "${s/abc/xyz} ${s//abc/xyz}", "xyzABC123ABCabc xyzABC123ABCxyz"),
        ({"s": "abcABC123ABCabc"}, "${s/#abc/X} ${s/%abc/X}", "XABC123ABCabc abcABC123ABCX"),
        ({"s": "foo/bar"}, r"${s/\//-}", "foo-bar"),
    ],
)
def test_expressions_expand_as_in_flux(values: dict[str, str], text: str, expected: str) -> None:
    assert expand(text, values.get) == expected


def test_dollar_name_without_braces_is_left_alone() -> None:
    assert expand("echo $HOME $cluster", {"HOME": "x", "cluster": "y"}.get) == "echo $HOME $cluster"


def test_a_doubled_dollar_escapes_an_expression() -> None:
    assert expand("$${cluster} ${cluster}", {"cluster": "prod"}.get) == "${cluster} prod"


def test_an_unset_variable_expands_to_nothing_by_default() -> None:
    assert expand("a${missing}b", {}.get) == "ab"


def test_strict_mode_refuses_an_unset_variable_and_names_it() -> None:
    with pytest.raises(SubstitutionError, match="variable not set 'missing'"):
        expand("${missing}", {}.get, strict=True)


def test_strict_mode_accepts_a_default() -> None:
    assert expand("${missing:=fallback}", {}.get, strict=True) == "fallback"


def test_an_error_in_a_secret_names_no_variable() -> None:
    with pytest.raises(SubstitutionError) as err:
        expand("${p4ssw0rd}", {}.get, strict=True, name_vars=False)
    assert "p4ssw0rd" not in str(err.value)


@pytest.mark.parametrize("text", ["${a:?err}", "${a:+alt}", "${unclosed", "${}", "${a@Q}"])
def test_expressions_flux_refuses_are_errors(text: str) -> None:
    with pytest.raises(SubstitutionError):
        expand(text, {"a": "1"}.get)
