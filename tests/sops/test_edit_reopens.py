"""``edit`` with content that does not parse re-opens the editor on the user's own text."""

from __future__ import annotations

import pytest

from tests.sops.conftest import SideBySide, same, sops_encrypt

#: first run: add a line that does not parse; second run: the line must still be there, fix it
EDITOR = """#!/bin/sh
if [ ! -f "$PWD/.state" ]; then
  touch "$PWD/.state"; printf 'c: [unclosed\\n' >> "$1"
else
  grep -q 'c: \\[unclosed' "$1" || exit 3
  sed -i 's/c: \\[unclosed/c: closed/' "$1"
fi
"""


@pytest.fixture
def editor(tmp_path) -> str:
    path = tmp_path / "editor.sh"
    path.write_text(EDITOR)
    path.chmod(0o755)
    return str(path)


def _decrypt(side_by_side: SideBySide, ran) -> bytes:
    out = side_by_side.run("sops", ("decrypt", "s.yaml"), ran.cwd)
    assert out.code == 0, out.proc.stderr
    return out.proc.stdout


def test_invalid_edit_reopens_the_editor_keeping_the_text(side_by_side, sops_bin, age_key, editor):
    enc = sops_encrypt(sops_bin, "s.yaml", b"a: 1\nb: x\n", age_key.recipient)
    theirs, mine = side_by_side.both(
        "edit", "s.yaml", files={"s.yaml": enc}, stdin=b"\n", env={"EDITOR": editor}
    )
    same(theirs, mine)
    assert _decrypt(side_by_side, mine) == _decrypt(side_by_side, theirs) == b"a: 1\nb: x\nc: closed\n"
    assert b"invalid syntax" in mine.proc.stderr


def test_invalid_edit_with_nobody_to_answer_stops_without_writing(side_by_side, sops_bin, age_key, tmp_path):
    stubborn = tmp_path / "stubborn.sh"
    stubborn.write_text("#!/bin/sh\nprintf 'a: [\\n' > \"$1\"\n")
    stubborn.chmod(0o755)
    enc = sops_encrypt(sops_bin, "s.yaml", b"a: 1\n", age_key.recipient)
    _, d = side_by_side.dirs({"s.yaml": enc})
    mine = side_by_side.run("secretsops", ("edit", "s.yaml"), d, env={"EDITOR": str(stubborn)})
    assert mine.code != 0
    assert (d / "s.yaml").read_bytes() == enc
