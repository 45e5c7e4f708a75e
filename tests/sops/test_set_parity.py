"""``set``/``unset`` as sops 3.11 does them: same exit code, same resulting plaintext."""

from __future__ import annotations

import json

import pytest

from tests.sops.conftest import SideBySide, sops_encrypt

PLAIN = b'{"a": "x", "array": [1], "nested": {"k": "v"}}'


def _decrypted(side_by_side: SideBySide, tool: str, cwd, name: str, *extra: str) -> bytes:
    ran = side_by_side.run(tool, ("decrypt", *extra, name), cwd)
    assert ran.code == 0, ran.proc.stderr
    return ran.proc.stdout


@pytest.fixture
def enc_json(sops_bin, age_key) -> bytes:
    return sops_encrypt(sops_bin, "f.json", PLAIN, age_key.recipient)


@pytest.mark.parametrize(
    ("index", "value", "expected"),
    [
        ('["array"][0]["hello"]', '"hello"', {"array": [{"hello": "hello"}]}),
        ('["array"][0][1]', "true", {"array": [[True]]}),
        ('["array"][3]', '"appended"', {"array": [1, "appended"]}),
        ('["a"]["deeper"]', "1", {"a": {"deeper": 1}}),
        ('["new"][0]["x"]', "null", {"new": [{"x": None}]}),
    ],
)
def test_set_through_a_scalar_replaces_it_like_sops(side_by_side, enc_json, index, value, expected):
    theirs, mine = side_by_side.both("set", "f.json", index, value, files={"f.json": enc_json})
    assert theirs.code == mine.code == 0
    ours = json.loads(_decrypted(side_by_side, "secretsops", mine.cwd, "f.json"))
    assert ours == json.loads(_decrypted(side_by_side, "sops", theirs.cwd, "f.json"))
    assert all(ours[k] == v for k, v in expected.items())


def test_set_with_output_type_rewrites_the_file_in_that_format(side_by_side, enc_json):
    theirs, mine = side_by_side.both(
        "set", "--output-type", "yaml", "f.json", '["a"]', '"z"', files={"f.json": enc_json}
    )
    assert theirs.code == mine.code == 0
    assert mine.file("f.json").startswith(b"a: ENC[") and theirs.file("f.json").startswith(b"a: ENC[")
    for tool, ran in (("sops", theirs), ("secretsops", mine)):
        plain = _decrypted(side_by_side, tool, ran.cwd, "f.json", "--input-type", "yaml")
        assert plain.startswith(b"{") and json.loads(plain)["a"] == "z"


def test_unset_with_output_type_rewrites_the_file_in_that_format(side_by_side, enc_json):
    theirs, mine = side_by_side.both(
        "unset", "--output-type", "yaml", "f.json", '["a"]', files={"f.json": enc_json}
    )
    assert theirs.code == mine.code == 0
    assert mine.file("f.json").startswith(b"array:") and theirs.file("f.json").startswith(b"array:")


@pytest.mark.parametrize(("index", "value"), [('["a"]', '"x"'), ('["nested"]', '{"k": "v"}')])
def test_set_idempotent_with_the_same_value_leaves_the_file_byte_identical(
    side_by_side, enc_json, index, value
):
    theirs, mine = side_by_side.both(
        "set", "--idempotent", "f.json", index, value, files={"f.json": enc_json}
    )
    assert theirs.code == mine.code == 0
    assert theirs.file("f.json") == mine.file("f.json") == enc_json


@pytest.mark.parametrize(
    ("index", "value"), [('["a"]', '"y"'), ('["array"][0]', '"1"'), ('["array"][0]', "1.5")]
)
def test_set_idempotent_with_another_value_writes_like_sops(side_by_side, enc_json, index, value):
    theirs, mine = side_by_side.both(
        "set", "--idempotent", "f.json", index, value, files={"f.json": enc_json}
    )
    assert theirs.code == mine.code == 0
    assert theirs.file("f.json") != enc_json and mine.file("f.json") != enc_json
    assert _decrypted(side_by_side, "secretsops", mine.cwd, "f.json") == _decrypted(
        side_by_side, "sops", theirs.cwd, "f.json"
    )


def test_value_file_and_value_stdin_together_are_refused(side_by_side, enc_json):
    theirs, mine = side_by_side.both(
        "set", "--value-file", "--value-stdin", "f.json", '["a"]', files={"f.json": enc_json}
    )
    assert theirs.code == mine.code == 1
    assert mine.file("f.json") == enc_json
