"""``updatekeys`` without ``-y`` shows the key changes and asks "Is this okay? (y/n)", as sops does."""

from __future__ import annotations

import pytest
from pyrage import x25519

from tests.sops.conftest import SideBySide, sops_encrypt


@pytest.fixture
def files(sops_bin, age_key) -> dict[str, bytes]:
    enc = sops_encrypt(sops_bin, "s.yaml", b"a: 1\nb: two\n", age_key.recipient)
    other = x25519.Identity.generate().to_public()
    rule = f"creation_rules:\n  - age: {age_key.recipient},{other}\n".encode()
    return {"s.yaml": enc, ".sops.yaml": rule}


def _prompted(side_by_side: SideBySide, files: dict[str, bytes], answer: bytes):
    return side_by_side.both("updatekeys", "s.yaml", files=files, stdin=answer)


def test_answer_n_leaves_the_file_unchanged(side_by_side, files):
    theirs, mine = _prompted(side_by_side, files, b"n\n")
    assert theirs.code == mine.code == 0
    assert mine.proc.stdout == theirs.proc.stdout
    assert mine.proc.stdout.endswith(b"Is this okay? (y/n):")
    assert mine.file("s.yaml") == theirs.file("s.yaml") == files["s.yaml"]


def test_answer_y_updates_the_file(side_by_side, files):
    theirs, mine = _prompted(side_by_side, files, b"y\n")
    assert theirs.code == mine.code == 0
    assert mine.proc.stdout == theirs.proc.stdout
    assert mine.file("s.yaml") != files["s.yaml"] and theirs.file("s.yaml") != files["s.yaml"]


def test_another_answer_asks_again(side_by_side, files):
    theirs, mine = _prompted(side_by_side, files, b"maybe\ny\n")
    assert theirs.code == mine.code == 0
    assert mine.proc.stdout.count(b"Is this okay? (y/n):") == theirs.proc.stdout.count(b"Is this okay?") == 2


@pytest.mark.parametrize("answer", [b"", b"\n", b"maybe\n"])
def test_no_answer_is_an_error_and_changes_nothing(side_by_side, files, answer):
    theirs, mine = _prompted(side_by_side, files, answer)
    assert theirs.code == mine.code == 1
    assert mine.file("s.yaml") == files["s.yaml"]


def test_yes_flag_does_not_ask(side_by_side, files):
    theirs, mine = side_by_side.both("updatekeys", "-y", "s.yaml", files=files)
    assert theirs.code == mine.code == 0
    assert b"Is this okay" not in mine.proc.stdout
    assert mine.proc.stdout == theirs.proc.stdout
    assert mine.file("s.yaml") != files["s.yaml"]
