"""``--input-type`` changes only how the input is read; the output format follows the file name
unless ``--output-type`` is given (sops' FormatForPathOrString)."""

from __future__ import annotations

import pytest

from tests.sops.conftest import same, sops_encrypt

JSON = b'{"a": "x", "b": [1, 2]}'
DOTENV = b"a=x\nb=2\n"


@pytest.mark.parametrize(
    ("name", "data", "input_type"),
    [
        ("d.txt", DOTENV, "dotenv"),  # .txt is binary by name: encrypted output is JSON
        ("j.env", b'{"a": "x", "b": "2"}', "json"),  # .env: encrypted output is dotenv
        ("y.json", b"a: x\nb: [1, 2]\n", "yaml"),
    ],
)
def test_encrypt_output_follows_the_file_name_not_the_input_type(side_by_side, name, data, input_type):
    theirs, mine = side_by_side.both("encrypt", "--input-type", input_type, name, files={name: data})
    assert theirs.code == mine.code == 0, (theirs.proc.stderr, mine.proc.stderr)
    # same layout: the first line of each output has the same shape
    first = [r.proc.stdout.split(b"ENC[")[0] for r in (theirs, mine)]
    assert first[0] == first[1]


def test_decrypt_with_input_type_writes_the_format_of_the_name(side_by_side, sops_bin, age_key):
    enc = sops_encrypt(sops_bin, "s.json", JSON, age_key.recipient)
    files = {"s.yaml": enc, "s.txt": enc}
    same(*side_by_side.both("decrypt", "--input-type", "json", "s.yaml", files=files))
    # a binary name cannot hold a structured tree: both refuse
    theirs, mine = side_by_side.both("decrypt", "--input-type", "json", "s.txt", files=files)
    assert theirs.code == mine.code != 0


@pytest.mark.parametrize("out", ["json", "yaml", "dotenv"])
def test_output_type_still_wins(side_by_side, sops_bin, age_key, out):
    enc = sops_encrypt(sops_bin, "s.json", b'{"a": "x", "b": "y"}', age_key.recipient)
    same(
        *side_by_side.both(
            "decrypt", "--input-type", "json", "--output-type", out, "s.txt", files={"s.txt": enc}
        )
    )
