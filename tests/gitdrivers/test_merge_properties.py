"""Properties of the key-by-key three-way merge (plaintext trees, no crypto)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from secretsops.sops.git_drivers import merge_documents, same
from secretsops.sops.tree import Branch

keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
scalars = st.one_of(st.text(max_size=5), st.integers(-5, 5), st.booleans())


def branches(depth: int = 2) -> st.SearchStrategy[Branch]:
    value = scalars if depth == 0 else st.one_of(scalars, st.deferred(lambda: branches(depth - 1)))
    return st.dictionaries(keys, value, min_size=1, max_size=5).map(lambda d: Branch(d.items()))


def leaf_paths(b: Branch, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for k, v in b:
        if isinstance(v, Branch):
            out.extend(leaf_paths(v, (*prefix, k)))
        else:
            out.append((*prefix, k))
    return out


def set_path(b: Branch, path: tuple[str, ...], value: object) -> None:
    for i, (k, v) in enumerate(b):
        if k == path[0]:
            if len(path) == 1:
                b[i] = (k, value)
            else:
                set_path(v, path[1:], value)
            return


@st.composite
def disjoint_edits(draw: st.DrawFn) -> tuple[Branch, Branch, Branch, Branch]:
    base = draw(branches())
    paths = leaf_paths(base)
    chosen = draw(st.lists(st.sampled_from(paths), unique=True, max_size=len(paths)))
    split = draw(st.integers(0, len(chosen)))
    ours, theirs, expected = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    for n, path in enumerate(chosen):
        value = draw(scalars.filter(lambda v, p=path: not same(v, _get(base, p))))
        set_path(ours if n < split else theirs, path, value)
        set_path(expected, path, value)
    return base, ours, theirs, expected


def _get(b: Branch, path: tuple[str, ...]) -> object:
    v: object = b
    for p in path:
        v = v.get(p)  # type: ignore[attr-defined]
    return v


@settings(max_examples=80, deadline=None)
@given(disjoint_edits())
def test_edits_to_different_keys_always_merge_to_both_edits(case):
    base, ours, theirs, expected = case
    docs, conflicts = merge_documents([base], [ours], [theirs])
    assert conflicts == []
    assert same(docs[0], expected)


@settings(max_examples=80, deadline=None)
@given(branches(), branches(), branches())
def test_conflicts_do_not_depend_on_which_side_is_ours(base, ours, theirs):
    _, a = merge_documents([base], [ours], [theirs])
    _, b = merge_documents([base], [theirs], [ours])
    assert sorted(a) == sorted(b)


@settings(max_examples=50, deadline=None)
@given(branches(), branches())
def test_merging_with_an_unchanged_side_returns_the_other(base, changed):
    assert same(merge_documents([base], [base], [changed])[0][0], changed)
    assert same(merge_documents([base], [changed], [base])[0][0], changed)
