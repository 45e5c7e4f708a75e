"""INI files as every sops 3.x release writes them decrypt.

sops up to 3.12.x (and again 3.13.2) writes multi-line metadata values such as age's ``enc`` with
escaped newlines (``\\n``) on one line. sops 3.13.0 and 3.13.1 serialise INI metadata through the
common metadata code without that escaping, so go-ini writes those values as ``\"\"\"``-quoted
multi-line strings, with the section's keys sorted by name. The files below are produced in that
exact shape from a file the real sops 3.11 wrote (see ``as_written_by_sops_3_13_1``);
``data/sops-3.13.1-layout.ini`` is one such file kept in the repository, encrypted for an age
recipient whose identity was thrown away (no key is committed), so only its reading is tested.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.sops.conftest import same, sops_encrypt

FIXTURE = (Path(__file__).parent / "data" / "sops-3.13.1-layout.ini").read_bytes()

PLAIN = b"[db]\nuser = app\npassword = s3cret\n\n[api]\ntoken = abc\n"


def as_written_by_sops_3_13_1(text: str) -> str:
    """Rewrite the ``[sops]`` section of a sops 3.11 INI file the way sops 3.13.0/3.13.1 write it:
    keys sorted by name and aligned on ``=`` (go-ini), newlines not escaped, so every value
    holding one is a ``\"\"\"``-quoted multi-line string."""
    head, sep, section = text.partition("[sops]\n")
    assert sep, "no [sops] section"
    pairs = [
        (k.strip(), "3.13.1" if k.strip() == "version" else v.strip().replace("\\n", "\n"))
        for k, _, v in (line.partition("=") for line in section.splitlines() if line.strip())
    ]
    width = max(len(k) for k, _ in pairs)
    lines = [f"{k.ljust(width)} = " + (f'"""{v}"""' if "\n" in v else v) for k, v in sorted(pairs)]
    return head + sep + "\n".join(lines) + "\n"


@pytest.fixture
def v3131(sops_bin, age_key) -> bytes:
    text = as_written_by_sops_3_13_1(sops_encrypt(sops_bin, "s.ini", PLAIN, age_key.recipient).decode())
    assert re.search(r'age__list_0__map_enc\s+= """-----BEGIN AGE ENCRYPTED FILE-----\n', text)
    assert '\n-----END AGE ENCRYPTED FILE-----\n"""\n' in text
    return text.encode()


def test_a_sops_3_13_1_ini_file_decrypts_like_sops(side_by_side, v3131):
    theirs, mine = side_by_side.both("decrypt", "s.ini", files={"s.ini": v3131})
    same(theirs, mine)
    assert b"password = s3cret" in mine.proc.stdout


def test_a_sops_3_13_1_ini_file_is_reported_encrypted(side_by_side, v3131):
    same(*side_by_side.both("filestatus", "s.ini", files={"s.ini": v3131}))


def test_a_sops_3_13_1_ini_file_rewritten_by_secretsops_opens_in_sops(side_by_side, v3131):
    _, mine = side_by_side.both("set", "s.ini", '["api"]["token"]', '"new"', files={"s.ini": v3131})
    assert mine.code == 0, mine.proc.stderr
    assert b'"""' not in mine.file("s.ini")  # written as sops 3.11/3.12/3.13.2 read it
    check = side_by_side.run("sops", ("decrypt", "s.ini"), mine.cwd)
    assert check.code == 0 and b"token = new" in check.proc.stdout


def test_a_sops_3_11_ini_file_still_decrypts(side_by_side, sops_bin, age_key):
    enc = sops_encrypt(sops_bin, "s.ini", PLAIN, age_key.recipient)
    same(*side_by_side.both("decrypt", "s.ini", files={"s.ini": enc}))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('[s]\nk = """one\ntwo\n"""\n', "one\ntwo\n"),
        ('[s]\nk = """\nbody\n""" ; note\n', "\nbody\n"),
        ("[s]\nk = `a\nb`\n", "a\nb"),
        ('[s]\nk = """same line"""\n', "same line"),
    ],
)
def test_go_ini_multi_line_values_parse(text, value):
    from secretsops.sops.formats.ini import parse_ini

    section = dict(parse_ini(text.encode()))["s"]
    assert section[0] == ("k", value)


def test_an_unclosed_multi_line_value_is_a_clear_error():
    from secretsops.errors import InvalidFormat
    from secretsops.sops.formats.ini import parse_ini

    with pytest.raises(InvalidFormat, match="never closed"):
        parse_ini(b'[s]\nk = """open\nno end\n')


def test_the_kept_sops_3_13_1_fixture_has_that_layout():
    text = FIXTURE.decode()
    assert 'age__list_0__map_enc       = """-----BEGIN AGE ENCRYPTED FILE-----\n' in text
    assert "\nversion                    = 3.13.1\n" in text


def test_the_kept_sops_3_13_1_fixture_reads_as_sops_reads_it(side_by_side):
    files = {"s.ini": FIXTURE}
    same(*side_by_side.both("filestatus", "s.ini", files=files))
    theirs, mine = side_by_side.both("decrypt", "s.ini", files=files)
    assert theirs.code == mine.code == 128  # parsed; only the (discarded) identity is missing


def test_the_kept_fixtures_metadata_is_read_whole():
    from secretsops.sops.api import load_encrypted

    ef = load_encrypted(FIXTURE, "ini", where="s.ini")
    (key,) = ef.metadata.all_keys()
    assert key.identifier.startswith("age1")
    assert key.enc.startswith("-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert key.enc.endswith("\n-----END AGE ENCRYPTED FILE-----\n")
    assert ef.metadata.version == "3.13.1"
