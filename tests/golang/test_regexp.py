"""``golang.regexp.matcher``: Python's ``re`` stands in for RE2 only where both give the same answer."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest
import re2

from secretsops.golang import regexp

ALPHABET = [
    "a",
    "b",
    "_",
    "-",
    ":",
    "/",
    " ",
    ".",
    "^",
    "$",
    "|",
    "(",
    ")",
    "*",
    "+",
    "?",
    r"\.",
    r"\-",
    r"\/",
]
TEXTS = "ab_-:/ .\n$^"


def _re2(pattern: str) -> object | None:
    try:
        return re2.compile(pattern, options=regexp.quiet_options())
    except re2.error:
        return None


def _ours(pattern: str) -> object | None:
    try:
        return regexp.matcher(pattern)
    except regexp.error:
        return None


def test_random_portable_patterns_compile_and_search_as_re2_does() -> None:
    rnd = random.Random(20261202)
    portable = 0
    for _ in range(20000):
        pattern = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(1, 8)))
        if not regexp._PORTABLE.fullmatch(pattern):
            continue
        portable += 1
        ref, ours = _re2(pattern), _ours(pattern)
        assert (ref is None) == (ours is None), pattern
        if ref is None or ours is None:
            continue
        for _ in range(12):
            text = "".join(rnd.choice(TEXTS) for _ in range(rnd.randint(0, 6)))
            assert bool(ref.search(text)) == bool(ours.search(text)), (pattern, text)  # type: ignore[attr-defined]
    assert portable > 1000


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("^(data|stringData)$", "data", True),
        ("^(data|stringData)$", "data\n", False),  # Go's $ is the end of the text, not before a last newline
        (r"^db\.password$", "db.password", True),
        ("_unencrypted$", "user_unencrypted", True),
    ],
)
def test_sops_usual_patterns_are_answered_by_re_with_go_semantics(
    pattern: str, text: str, found: bool
) -> None:
    rx = regexp.matcher(pattern)
    assert isinstance(rx, re.Pattern)
    assert bool(rx.search(text)) is found


@pytest.mark.parametrize("pattern", [r"^\d+$", "(?i)data", "[a-z]+", "a{2}", "a*+", r"\w", r".*\.enc\.yaml$"])
def test_patterns_outside_the_portable_subset_go_to_re2(pattern: str) -> None:
    assert not isinstance(_ours(pattern), re.Pattern)


@pytest.mark.parametrize("pattern", ["^(a|aa)+$", "^(a*)*b$", ".*.*.*.*.*.*x", "a?a?a?a?a?aaaaa"])
def test_a_pattern_that_makes_re_backtrack_is_left_to_re2(pattern: str) -> None:
    """Crypt rules come from files and ``.sops.yaml`` (a less-trusted writer): on a long key that
    almost matches, ``re`` takes exponential or polynomial time, RE2 linear. Any quantifier goes to RE2."""
    rx = regexp.matcher(pattern)
    assert not isinstance(rx, re.Pattern)
    rx.search("a" * 100_000 + "!")  # returns (RE2); with re the first two would not in any lifetime


def test_digits_class_keeps_re2_ascii_meaning() -> None:
    assert regexp.matcher(r"^\d$").search("٣") is None  # Arabic-Indic three: \d in re, not in RE2


def test_an_invalid_pattern_raises_re2_error() -> None:
    with pytest.raises(regexp.error):
        regexp.matcher("(data")


def test_importing_the_module_does_not_load_re2() -> None:
    code = "\n".join(
        [
            "import sys",
            "from secretsops.golang import regexp",
            "regexp.matcher('^a$')",
            "print('re2' in sys.modules)",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout == "False\n"
