"""Patterns of .sops.yaml matched with Python's re only where RE2 (Go's engine) agrees."""

from __future__ import annotations

import re

import pytest

from secretsops.check import goregex
from secretsops.golang import regexp

TEXTS = ["data", "stringData", "secrets/db.yaml", "secrets/x.yml", "apps/x", "PASSword", "a.env",
         "d/a.env", "aab", "aaab", "]", "a", "]x", "kind", "x.enc.yaml", "x.enc.yaml\n", "a$b", "",
         "a\nb", "\u00c4"]  # fmt: skip


@pytest.mark.parametrize(
    "pattern",
    [
        ".*",
        r"\.enc\.ya?ml$",
        "^(data|stringData)$",
        r"secrets/.*\.yaml$",
        "^apps/",
        "(?i)^pass",
        r"[^/]+\.env$",
        "a{2,3}b",
        "[]a]",
        "[^]a]x",
        "^(?:kind|apiVersion)$",
        r"\d+\w*\s?",
        "a$b",
    ],  # fmt: skip
)
def test_translated_patterns_match_exactly_what_re2_matches(pattern):
    ours, theirs = goregex.compile(pattern), regexp.compile(pattern)
    assert isinstance(ours, re.Pattern)
    for text in TEXTS:
        assert bool(ours.search(text)) == bool(theirs.search(text)), (pattern, text)


@pytest.mark.parametrize(
    "pattern", ["[[:alpha:]]+", r"\pL", "a{,2}", "(?s).", r"\Qa.b\E", "(?m)^a$", r"(a)\1"]
)
def test_constructs_the_engines_read_differently_stay_with_re2(pattern):
    try:
        compiled = goregex.compile(pattern)
    except goregex.error:
        return  # RE2 refuses it (back-references): so does check
    assert not isinstance(compiled, re.Pattern)


def test_what_re2_refuses_is_refused():
    with pytest.raises(goregex.error):
        goregex.compile("(unclosed")
