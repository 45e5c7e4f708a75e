"""sops' older global-flag command line: a script written for sops runs with only the name changed.

Every case runs the same arguments through the real sops 3.11 and through secretsops, each in its
own copy of the files, and compares exit codes, standard output and the files left behind.
"""

from __future__ import annotations

import json

import pytest

from tests.sops.conftest import SideBySide, same, sops_encrypt

PLAIN = b'{"a": "x", "n": {"k": [1, 2]}}'


@pytest.fixture
def enc(sops_bin, age_key) -> bytes:
    return sops_encrypt(sops_bin, "f.json", PLAIN, age_key.recipient)


def _plain(side_by_side: SideBySide, ran, name: str = "f.json") -> object:
    out = side_by_side.run("sops", ("decrypt", name), ran.cwd)
    assert out.code == 0, out.proc.stderr
    return json.loads(out.proc.stdout)


def test_dash_e_dash_i_with_age_encrypts_in_place(side_by_side, age_key):
    theirs, mine = side_by_side.both(
        "-e", "-i", "--age", age_key.recipient, "f.json", files={"f.json": PLAIN}
    )
    same(theirs, mine)
    assert b"ENC[AES256_GCM" in mine.file("f.json")
    assert _plain(side_by_side, mine) == _plain(side_by_side, theirs) == json.loads(PLAIN)


@pytest.mark.parametrize("form", [["--age={r}"], ["-a", "{r}"], ["-age", "{r}"]])
def test_go_flag_spellings_of_a_value_flag_are_accepted(side_by_side, age_key, form):
    args = [a.format(r=age_key.recipient) for a in form]
    theirs, mine = side_by_side.both("--encrypt", *args, "f.json", files={"f.json": PLAIN})
    assert theirs.code == mine.code == 0
    assert b"ENC[AES256_GCM" in mine.proc.stdout


def test_dash_d_prints_the_plaintext(side_by_side, enc):
    same(*side_by_side.both("-d", "f.json", files={"f.json": enc}))


def test_dash_d_dash_i_decrypts_in_place(side_by_side, enc):
    theirs, mine = side_by_side.both("-d", "-i", "f.json", files={"f.json": enc})
    same(theirs, mine)
    assert mine.file("f.json") == theirs.file("f.json")


@pytest.mark.parametrize("path", ['["a"]', '["n"]["k"][1]', '["n"]'])
def test_dash_d_extract(side_by_side, enc, path):
    same(*side_by_side.both("-d", "--extract", path, "f.json", files={"f.json": enc}))


def test_single_dash_long_flag_with_equals(side_by_side, enc):
    same(*side_by_side.both("-d", '-extract=["a"]', "f.json", files={"f.json": enc}))


@pytest.mark.parametrize("value", ['"y"', '{"deep": true}', "-5"])
def test_set_flag_writes_the_file_in_place(side_by_side, enc, value):
    theirs, mine = side_by_side.both("--set", f'["a"] {value}', "-i", "f.json", files={"f.json": enc})
    same(theirs, mine)
    assert _plain(side_by_side, mine) == _plain(side_by_side, theirs)
    assert _plain(side_by_side, mine)["a"] == json.loads(value)  # type: ignore[index]


def test_set_flag_without_a_value_is_an_invalid_set_format(side_by_side, enc):
    theirs, mine = side_by_side.both("--set", '["a"]', "f.json", files={"f.json": enc})
    assert theirs.code == mine.code != 0
    assert mine.file("f.json") == enc


def test_dash_r_rotates_in_place(side_by_side, enc):
    theirs, mine = side_by_side.both("-r", "-i", "f.json", files={"f.json": enc})
    same(theirs, mine)
    assert mine.file("f.json") != enc
    assert _plain(side_by_side, mine) == json.loads(PLAIN)


def test_dash_r_without_in_place_prints_the_rotated_file(side_by_side, enc):
    theirs, mine = side_by_side.both("-r", "f.json", files={"f.json": enc})
    assert theirs.code == mine.code == 0
    assert mine.file("f.json") == enc
    assert b'"mac": "ENC[' in mine.proc.stdout


def test_dash_d_with_output_writes_that_file(side_by_side, enc):
    theirs, mine = side_by_side.both("-d", "--output", "out.json", "f.json", files={"f.json": enc})
    same(theirs, mine)
    assert mine.file("out.json") == theirs.file("out.json")


def test_flags_after_the_file_are_ignored_as_in_sops(side_by_side, enc):
    theirs, mine = side_by_side.both("-d", "f.json", "--output", "out.json", files={"f.json": enc})
    same(theirs, mine)
    assert not (mine.cwd / "out.json").exists() and not (theirs.cwd / "out.json").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["-di", "f.json"],  # Go's flag package does not bundle short flags
        ["--no-such-flag", "f.json"],
        ["-d"],  # no file
        ["-d", "missing.json"],
        ["-e", "--indent", "two", "f.json"],
        ["-d", "-i", "--output", "x.json", "f.json"],
        ["-d", "--extract", '["nope"]', "f.json"],
    ],
)
def test_refusals_exit_with_sops_codes(side_by_side, enc, args):
    theirs, mine = side_by_side.both(*args, files={"f.json": enc})
    assert mine.code == theirs.code != 0
    assert mine.proc.stdout == b""
    assert mine.file("f.json") == enc


def test_a_subcommand_after_global_flags_runs_the_subcommand(side_by_side, enc):
    same(*side_by_side.both("--verbose", "decrypt", "f.json", files={"f.json": enc}))


def test_bare_file_opens_the_editor(side_by_side, enc, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i \'s/"x"/"edited"/\' "$1"\n')
    editor.chmod(0o755)
    theirs, mine = side_by_side.both("f.json", files={"f.json": enc}, env={"EDITOR": str(editor)})
    same(theirs, mine)
    assert _plain(side_by_side, mine) == _plain(side_by_side, theirs)
    assert _plain(side_by_side, mine)["a"] == "edited"  # type: ignore[index]


def test_a_name_that_is_no_command_and_no_file_opens_no_editor(side_by_side, tmp_path):
    marker = tmp_path / "editor-ran"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\ntouch "{marker}"\n')
    editor.chmod(0o755)
    _, d = side_by_side.dirs({})
    mine = side_by_side.run("secretsops", ("statu",), d, env={"EDITOR": str(editor)})
    assert mine.code == 2
    assert b"neither a command nor an existing file" in mine.proc.stderr
    assert not marker.exists() and not (d / "statu").exists()


@pytest.mark.parametrize("command", ["exec-env", "exec-file", "publish", "groups"])
def test_sops_commands_secretsops_lacks_are_refused_not_taken_for_files(side_by_side, enc, command):
    _, d = side_by_side.dirs({"f.json": enc})
    mine = side_by_side.run("secretsops", (command, "f.json", "true"), d)
    assert mine.code == 1
    assert f"'{command}' command is not available".encode() in mine.proc.stderr
    assert (d / "f.json").read_bytes() == enc


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--config", "conf/rules.yaml", "encrypt", "p.yaml"), {}),
        (("encrypt", "p.yaml"), {"SOPS_CONFIG": "conf/rules.yaml"}),
        (("-e", "p.yaml"), {"SOPS_CONFIG": "conf/rules.yaml"}),
    ],
)
def test_global_config_flag_and_sops_config_variable_reach_every_command(side_by_side, age_key, args, env):
    side_by_side.env.pop("SOPS_AGE_RECIPIENTS")
    files = {
        "p.yaml": b"a: 1\n",
        "conf/rules.yaml": f"creation_rules:\n  - age: {age_key.recipient}\n".encode(),
    }
    theirs, mine = side_by_side.both(*args, files=files, env=env)
    assert theirs.code == mine.code == 0, (theirs.proc.stderr, mine.proc.stderr)
    assert age_key.recipient.encode() in mine.proc.stdout
