"""Any input fails closed: a TemplateError with a one-line message, never another exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from secretsops.errors import TemplateError
from secretsops.golang.template import compile

PIECES = [
    "{{", "}}", "{{-", "-}}", " ", ".", ".a", ".b.c", "$", "$x", ":=", "=", "|", "(", ")", '"s"',
    "`r`", "'c'",
    "1", "-2", "1.5", "0x1F", "if", "else", "end", "range", "with", "define", "template", "block", "break",
    "continue", "nil", "true", "and", "or", "not", "len", "index", "printf", "upper", "default", "toJson",
    "fromJson", "b64dec", ",", "/*", "*/", "\n", "x", "eq", "list", "dict",
]

templates = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcx"), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(templates, data)
def test_random_templates_render_or_raise_template_error(text: str, value: object) -> None:
    try:
        out = compile(text, name="fuzz", missingkey="default").execute(value)
    except TemplateError as e:
        assert "internal error" not in str(e), str(e)
        assert str(e).startswith("template: fuzz")
    else:
        assert isinstance(out, str)
