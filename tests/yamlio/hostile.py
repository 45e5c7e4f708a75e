"""Hostile and malformed YAML/JSON inputs, shared by the reader's and the commands' tests."""

from __future__ import annotations

HEAD = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"


def alias_bomb() -> str:
    """Nine levels of nine aliases each: 9^10 nodes when expanded, a few hundred bytes as text."""
    lines = [HEAD + "stringData:", '  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def nested(levels: int) -> str:
    return HEAD + "data: " + "[" * levels + "]" * levels + "\n"


#: name -> (file name, text, what the one-line error must say)
CASES: dict[str, tuple[str, str, str]] = {
    "alias bomb": ("bomb.yaml", alias_bomb(), "limit max_alias_nodes"),
    "deep nesting": ("deep.yaml", nested(200), "limit max_depth"),
    "nesting beyond libyaml": ("deeper.yaml", nested(5000), "nested too deeply"),
    "self alias": ("self.yaml", HEAD + "data: &a\n  a: *a\n", "recursive alias"),
    "merge cycle": ("merge.yaml", HEAD + "data: &a\n  <<: *a\n", "recursive alias"),
    "!!float 'x'": ("float.yaml", HEAD + "data:\n  a: !!float 'x'\n", "!!float"),
    "!!int 'zz'": ("int.yaml", HEAD + "data:\n  a: !!int 'zz'\n", "!!int"),
    "!!timestamp 'notatime'": ("ts.yaml", HEAD + "data:\n  a: !!timestamp 'notatime'\n", "!!timestamp"),
    "5,000-digit JSON integer": (
        "big.json",
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": '
        + "7" * 5000
        + "}}\n",
        "",
    ),
}

#: the cases a reader limit refuses (the others are malformed values)
LIMIT_CASES = ("alias bomb", "deep nesting", "nesting beyond libyaml", "self alias", "merge cycle")
