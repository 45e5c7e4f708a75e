"""fmt verbs as printf uses them: Go's exact output, including its error notations."""

from __future__ import annotations

import pytest

from .conftest import go


@pytest.mark.parametrize(
    ("expr", "out"),
    [
        ('printf "%v" .m', "map[a:1 b:2]"),
        ('printf "%s" 5', "%!s(int=5)"),
        ('printf "%d" "x"', "%!d(string=x)"),
        ('printf "%q" "hi\\n"', '"hi\\n"'),
        ('printf "%q" 65', "'A'"),
        ('printf "%#q" "plain"', "`plain`"),
        ('printf "%x" "hi"', "6869"),
        ('printf "% x" "hi"', "68 69"),
        ('printf "%X" 255', "FF"),
        ('printf "%#x" 255', "0xff"),
        ('printf "%o %O %b" 8 8 5', "10 0o10 101"),
        ('printf "%c|%U|%#U" 65 65 65', "A|U+0041|U+0041 'A'"),
        ('printf "%t" true', "true"),
        ('printf "%f" 3.14159', "3.141590"),
        ('printf "%.2f" 3.14159', "3.14"),
        ('printf "%8.3f|" 3.14159', "   3.142|"),
        ('printf "%-8.2f|" 3.14159', "3.14    |"),
        ('printf "%+d" 5', "+5"),
        ('printf "%05d" -42', "-0042"),
        ('printf "%e" 1234.5678', "1.234568e+03"),
        ('printf "%g" 1e6', "1e+06"),
        ('printf "%g" 100000.0', "100000"),
        ('printf "%.3g" 1234.5678', "1.23e+03"),
        ('printf "%v" 0.1', "0.1"),
        ('printf "%5s|%-5s|" "ab" "cd"', "   ab|cd   |"),
        ('printf "%.3s" "abcdef"', "abc"),
        ('printf "100%%"', "100%"),
        ('printf "%d %d" 1', "1 %!d(MISSING)"),
        ('printf "%d" 1 2', "1%!(EXTRA int=2)"),
        ('printf "%T %T %T %T %T" 1 "a" 1.5 (list) (add 1 1)', "int string float64 []interface {} int64"),
        ('printf "%v" nil', "<nil>"),
        ('printf "%d" (list 1 2)', "[1 2]"),
        ('printf "%s" (list "a" "b")', "[a b]"),
        ('printf "%x" 3.5', "0x1.cp+01"),
        ('printf "%f" 1', "%!f(int=1)"),
        ('printf "%6.2f%%" 12.345', " 12.35%"),
        ('printf "%[2]s-%[1]s" "a" "b"', "b-a"),
        ('printf "%*d" 4 7', "   7"),
        ('printf "%!"', "%!!(MISSING)"),
        ('printf "a%"', "a%!(NOVERB)"),
    ],
)
def test_printf_matches_go(expr: str, out: str) -> None:
    assert go("{{ " + expr + " }}", {"m": {"b": 2, "a": 1}}) == out


def test_printf_float_shortest_form() -> None:
    assert go("{{ printf \"%v %v %v\" 1e20 1e-5 123456789.0 }}") == "1e+20 1e-05 1.23456789e+08"


def test_printf_sharp_v_uses_go_syntax() -> None:
    assert go('{{ printf "%#v" (list "a" 1) }}') == '[]interface {}{"a", 1}'
