"""sprig functions as ESO exposes them, with sprig's exact (often lenient) results."""

from __future__ import annotations

import re

import pytest

from .conftest import go, go_error

CASES = [
    # strings
    ('upper "abc"', "ABC"),
    ('lower "ABC"', "abc"),
    ('title "hello_world foo-bar"', "Hello_world Foo-Bar"),
    ('trim "  x \\n"', "x"),
    ('trimAll "$" "$5.00$"', "5.00"),
    ('trimPrefix "a" "aab"', "ab"),
    ('trimSuffix "b" "abb"', "ab"),
    ('quote "a" 1 nil', '"a" "1"'),
    ('squote "a"', "'a'"),
    ('replace "a" "b" "banana"', "bbnbnb"),
    ('contains "b" "abc"', "true"),
    ('hasPrefix "ab" "abc"', "true"),
    ('hasSuffix "bc" "abc"', "true"),
    ('nospace " a b\\tc "', "abc"),
    ('indent 2 "a\\nb"', "  a\n  b"),
    ('nindent 2 "a"', "\n  a"),
    ('repeat 3 "ab"', "ababab"),
    ('substr 1 3 "abcdef"', "bc"),
    ('substr -1 2 "abc"', "ab"),
    ('substr 1 99 "abc"', "bc"),
    ('trunc 3 "abcdef"', "abc"),
    ('trunc -2 "abcdef"', "ef"),
    ('cat "a" 1 nil "b"', "a 1 b"),
    ('toString 1.5', "1.5"),
    ('toString (list 1 "a")', "[1 a]"),
    ('split "," "a,b"', "map[_0:a _1:b]"),
    ('(split "," "a,b")._1', "b"),
    ('splitList "," "a,b"', "[a b]"),
    ('join "-" (list "a" 1 nil)', "a-1"),
    ('sortAlpha (list "b" "a")', "[a b]"),
    ('toStrings (list 1 nil "a")', "[1 a]"),
    ('swapcase "aBß"', "Abß"),
    # encoding & hashing
    ('b64enc "hello"', "aGVsbG8="),
    ('b64dec "aGVsbG8="', "hello"),
    ('b64dec "!!!!"', "illegal base64 data at input byte 0"),
    ('b64dec "iam_no_base64"', "illegal base64 data at input byte 3"),
    ('b64dec "abcde"', "illegal base64 data at input byte 4"),
    ('b32enc "hi"', "NBUQ===="),
    ('sha1sum "hello"', "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ('sha256sum "hello"', "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    ('adler32sum "hello"', "103547413"),
    ('toJson (dict "b" 1.5 "a" "<x>")', '{"a":"\\u003cx\\u003e","b":1.5}'),
    ('toRawJson (dict "a" "<x>")', '{"a":"<x>"}'),
    ('toPrettyJson (dict "a" (list 1 2))', '{\n  "a": [\n    1,\n    2\n  ]\n}'),
    ('toJson (list)', "[]"),
    ('toJson nil', "null"),
    ('(fromJson "{\\"a\\":[1,2.5]}").a', "[1 2.5]"),
    ('fromJson "nope"', "<no value>"),
    ('toJson (fromJson "{\\"n\\": 1e21, \\"m\\": 0.0000001}")', '{"m":1e-7,"n":1e+21}'),
    # defaults & flow
    ('default "d" ""', "d"),
    ('default "d" "x"', "x"),
    ('default "d" 0', "d"),
    ('empty 0', "true"),
    ('empty (list 1)', "false"),
    ('coalesce "" 0 "x"', "x"),
    ('ternary "a" "b" true', "a"),
    ('ternary "a" "b" false', "b"),
    ('typeOf (dict)', "map[string]interface {}"),
    ('kindOf (list)', "slice"),
    # numbers
    ('atoi "42"', "42"),
    ('atoi "x"', "0"),
    ('int "12"', "12"),
    ('int 3.9', "3"),
    ('int "0x10"', "16"),
    ('int64 "7"', "7"),
    ('float64 "1.5"', "1.5"),
    ("add 1 2 3", "6"),
    ('add "1" 2', "3"),
    ("add1 1", "2"),
    ("sub 5 7", "-2"),
    ("mul 2 3 4", "24"),
    ("div 7 2", "3"),
    ("div -7 2", "-3"),
    ("mod -7 3", "-1"),
    ("max 1 5 3", "5"),
    ("min 4 2 8", "2"),
    ("floor 1.5", "1"),
    ("ceil 1.2", "2"),
    ("round 3.14159 2", "3.14"),
    ("until 3", "[0 1 2]"),
    ("untilStep 0 10 4", "[0 4 8]"),
    ("seq 3", "1 2 3"),
    # lists
    ('list 1 "a"', "[1 a]"),
    ("first (list 1 2 3)", "1"),
    ("last (list 1 2 3)", "3"),
    ("rest (list 1 2 3)", "[2 3]"),
    ("initial (list 1 2 3)", "[1 2]"),
    ("reverse (list 1 2 3)", "[3 2 1]"),
    ("uniq (list 1 1 2)", "[1 2]"),
    ("without (list 1 2 3) 2", "[1 3]"),
    ("has 2 (list 1 2)", "true"),
    ('compact (list 1 "" 0 2)', "[1 2]"),
    ("concat (list 1) (list 2 3)", "[1 2 3]"),
    ("append (list 1) 2", "[1 2]"),
    ("prepend (list 1) 0", "[0 1]"),
    ("slice (list 1 2 3) 1", "[2 3]"),
    ("slice (list 1 2 3) 1 2", "[2]"),
    # dicts
    ('dict "a" 1 "b"', "map[a:1 b:]"),
    ('get (dict "a" 1) "a"', "1"),
    ('get (dict "a" 1) "z"', ""),
    ('set (dict "a" 1) "b" 2', "map[a:1 b:2]"),
    ('unset (dict "a" 1 "b" 2) "a"', "map[b:2]"),
    ('hasKey (dict "a" 1) "a"', "true"),
    ('keys (dict "a" 1)', "[a]"),
    ('values (dict "a" 1)', "[1]"),
    ('pick (dict "a" 1 "b" 2 "c" 3) "a" "c"', "map[a:1 c:3]"),
    ('omit (dict "a" 1 "b" 2) "a"', "map[b:2]"),
    ('merge (dict "a" 1) (dict "a" 2 "b" 2)', "map[a:1 b:2]"),
    ('mergeOverwrite (dict "a" 1) (dict "a" 2)', "map[a:2]"),
    ('dig "a" "b" "def" (dict "a" (dict "b" 1))', "1"),
    ('dig "a" "x" "def" (dict "a" (dict "b" 1))', "def"),
    # regular expressions (RE2)
    ('regexMatch "^a.c$" "abc"', "true"),
    ('regexMatch "(" "abc"', "false"),
    ('regexFind "[0-9]+" "ab12cd34"', "12"),
    ('regexFindAll "[0-9]" "a1b2c3" 2', "[1 2]"),
    ('regexFindAll "[0-9]" "a1b2c3" -1', "[1 2 3]"),
    ('regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W"', "-W-xxW-"),
    ('regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W"', "---"),
    ('regexReplaceAll "(?P<k>\\\\w+)=" "a=1" "$k:"', "a:1"),
    ('regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}"', "-${1}-${1}-"),
    ('regexSplit "z+" "pizza" -1', "[pi a]"),
    # paths
    ('base "/a/b.txt"', "b.txt"),
    ('dir "/a/b.txt"', "/a"),
    ('ext "/a/b.txt"', ".txt"),
    ('clean "a//b/../c"', "a/c"),
]


@pytest.mark.parametrize(("expr", "out"), CASES)
def test_sprig_function(expr: str, out: str) -> None:
    assert go("{{ " + expr + " }}") == out


def test_default_on_missing_key_fails_under_esos_missingkey_error() -> None:
    assert "map has no entry for key" in go_error('{{ .nope | default "d" }}', {"a": "1"})


def test_default_on_missing_key_works_with_default_option() -> None:
    assert go('{{ .nope | default "d" }}', {}, missingkey="default") == "d"


def test_negative_indent_fails_like_strings_repeat() -> None:
    assert "error calling indent: strings: negative Repeat count" in go_error('{{ indent -1 "x" }}')


def test_division_by_zero_fails() -> None:
    assert "error calling div: runtime error: integer divide by zero" in go_error("{{ div 1 0 }}")


def test_fail_aborts_with_its_message() -> None:
    assert go_error('{{ fail "need a password" }}').endswith("error calling fail: need a password")


def test_bad_regex_in_replace_fails() -> None:
    assert "error calling regexReplaceAll: regexp: Compile" in go_error('{{ regexReplaceAll "(" "x" "y" }}')


def test_sprig_slice_shadows_builtin_and_rejects_strings() -> None:
    assert "list should be type of slice or array but string" in go_error('{{ slice "abc" 1 }}')


def test_get_requires_a_generic_map_not_esos_string_map() -> None:
    from secretsops.golang.template import string_map

    msg = go_error('{{ get . "a" }}', string_map({"a": b"1"}))
    assert "wrong type for value; expected map[string]interface {}; got map[string]string" in msg


def test_env_and_expandenv_are_removed_like_in_eso() -> None:
    assert 'function "env" not defined' in go_error('{{ env "HOME" }}')
    assert 'function "expandenv" not defined' in go_error('{{ expandenv "$HOME" }}')


def test_uuidv4_is_random_and_well_formed() -> None:
    a, b = go("{{ uuidv4 }}"), go("{{ uuidv4 }}")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", a)
    assert a != b


def test_now_formats_with_go_layouts() -> None:
    out = go('{{ now | date "2006-01-02T15:04:05Z07:00" }}')
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", out)


def test_date_of_unix_seconds() -> None:
    assert go('{{ date "2006-01-02 15:04" 0 }}') == "1970-01-01 00:00"


MORE_CASES = [
    ("addf 0.1 0.2", "0.3"),
    ("subf 1 0.9", "0.1"),
    ("mulf 1.1 3", "3.3"),
    ("divf 1 3", "0.3333333333333333"),
    ("add1f 1.5", "2.5"),
    ("maxf 1 2.5", "2.5"),
    ("minf 1 2.5", "1"),
    ('hexdec "6869"', "hi"),
    ('trimall "$" "$5$"', "5"),
    ('decryptAES "k" (encryptAES "k" "hello")', "hello"),
    ('htpasswd "u" "p" "sha"', "u:{SHA}UWuXg/ylF+7L0dBk2i0WUxCxl1k="),
    ('(urlParse "https://u:p@h.com:8443/a?q=1#f").hostname', "h.com"),
    ('(urlParse "https://u:p@h.com:8443/a?q=1#f").userinfo', "u:p"),
    ('urlJoin (dict "scheme" "https" "host" "h" "path" "/x y" "query" "a=1")', "https://h/x%20y?a=1"),
    ("duration 95", "1m35s"),
    ('duration "3661"', "1h1m1s"),
    ('durationRound "2h5m"', "2h"),
    ('toDate "2006-01-02" "2024-03-05" | date "02/01/2006"', "05/03/2024"),
    ('dateModify "-1.5h" (toDate "2006-01-02 15:04" "2024-03-05 10:00") | date "15:04"', "08:30"),
    ("len (randAlphaNum 12)", "12"),
    ("deepEqual (list 1) (list 1)", "true"),
    ("mustFirst (list 3 4)", "3"),
    ('osBase "/a/b"', "b"),
]


@pytest.mark.parametrize(("expr", "out"), MORE_CASES)
def test_more_sprig_functions(expr: str, out: str) -> None:
    assert go("{{ " + expr + " }}") == out


def test_decimal_division_by_zero_fails() -> None:
    assert "error calling divf: decimal division by 0" in go_error("{{ divf 1 0 }}")


def test_htpasswd_bcrypt_is_reported_unsupported() -> None:
    assert "bcrypt is not supported" in go_error('{{ htpasswd "u" "p" "bcrypt" }}')
