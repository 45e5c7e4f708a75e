"""Edge cases where secretsops once diverged from sops 3.11: same input, same output and exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_no_canary, new_canary


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    full = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **env}
    return subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, check=False)


@pytest.fixture
def both(sops_bin, tmp_path, age_key):
    """Run one command line through the real sops and through secretsops, in tmp_path."""
    env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file), "SOPS_AGE_RECIPIENTS": age_key.recipient}

    def run(*args: str) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
        theirs = _run([sops_bin, *args], tmp_path, env)
        mine = _run([sys.executable, "-m", "secretsops", *args], tmp_path, env)
        assert b"Traceback" not in mine.stderr
        return theirs, mine

    return run


def _same(theirs, mine) -> None:
    assert (mine.returncode, mine.stdout) == (theirs.returncode, theirs.stdout), (
        theirs.stderr.decode(errors="replace"),
        mine.stderr.decode(errors="replace"),
    )


def _sops_encrypted(both, tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    theirs, _ = both("encrypt", "--output", "enc." + name, name)
    assert theirs.returncode == 0, theirs.stderr
    return "enc." + name


def test_comment_only_yaml_document_decrypts_to_comment_and_empty_map(both, tmp_path):
    enc = _sops_encrypted(both, tmp_path, "m.yaml", b"# first\na: 1\n---\n# between\n---\nb: 2\n# end\n")
    _same(*both("decrypt", enc))


def test_non_utf8_binary_as_json_escapes_each_bad_byte_as_ufffd(both, tmp_path):
    enc = _sops_encrypted(both, tmp_path, "b.bin", b"a\x08b\x0c\x01<>&\xe2\x80\xa8 \xef\xbf\xbd \xc3\xff\n")
    _same(*both("decrypt", "--output-type", "json", enc))


def test_json_number_beyond_float64_is_refused_like_sops(both, tmp_path):
    (tmp_path / "n.json").write_bytes(b'{"a": 1e400}')
    theirs, mine = both("encrypt", "n.json")
    assert theirs.returncode == mine.returncode == 2
    assert mine.stdout == b""


@pytest.mark.parametrize("fmt", ["dotenv", "ini"])
def test_floats_in_dotenv_and_ini_use_go_G_format(both, tmp_path, fmt):
    enc = _sops_encrypted(
        both,
        tmp_path,
        "f.yaml",
        b"a: 1.5\nb: 1234567.0\nc: 1e21\nd: 0.00001\ne: 100.0\nf: -1.5e-7\ng: 123456.0\nh: 0.0001\n",
    )
    if fmt == "ini":  # INI needs sections
        enc = _sops_encrypted(both, tmp_path, "g.json", b'{"s": {"a": 1234567, "b": 1e-7, "c": 2.5}}')
    _same(*both("decrypt", "--output-type", fmt, enc))


SCALARS = b"a: secret\nb:\n  c: [1, 2]\n"


@pytest.mark.parametrize("version", ["4.0.0", "banana", "3.11"])
def test_metadata_version_is_checked_as_sops_checks_it(both, tmp_path, version):
    enc = _sops_encrypted(both, tmp_path, "v.yaml", SCALARS)
    p = tmp_path / enc
    p.write_text(p.read_text().replace("version: 3.11.0", f"version: {version}"))
    _same(*both("decrypt", enc))
    _same(*both("filestatus", enc))


@pytest.mark.parametrize(
    ("change", "by"),
    [
        ("    lastmodified:", "    key_groups: 7\n    lastmodified:"),
        ("    lastmodified:", "    shamir_threshold: abc\n    lastmodified:"),
        ("lastmodified: ", "lastmodified: 5\n    x: "),
    ],
)
def test_wrongly_typed_metadata_fails_decrypt_and_filestatus(both, tmp_path, change, by):
    enc = _sops_encrypted(both, tmp_path, "t.yaml", SCALARS)
    p = tmp_path / enc
    p.write_text(p.read_text().replace(change, by, 1))
    for cmd in ("decrypt", "filestatus"):
        theirs, mine = both(cmd, enc)
        assert theirs.returncode == mine.returncode == 1
        assert mine.stdout == b""
        assert len(mine.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("g.yaml", b":::\n\t- [\n"),
        ("d.yaml", b"a: 1\na: 2\n"),
        ("x.env", b"no equals\n"),
        ("x.ini", b"[sec\n"),
    ],
)
def test_filestatus_of_a_file_that_does_not_parse_is_an_error(both, tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    theirs, mine = both("filestatus", name)
    assert theirs.returncode == mine.returncode == 1
    assert mine.stdout == b""


def test_filestatus_of_plain_and_encrypted_files_matches_sops(both, tmp_path):
    (tmp_path / "p.yaml").write_bytes(SCALARS)
    _same(*both("filestatus", "p.yaml"))
    _same(*both("filestatus", _sops_encrypted(both, tmp_path, "e.yaml", SCALARS)))


def test_a_directory_given_to_filestatus_is_exit_1(both, tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    theirs, mine = both("filestatus", "dir.yaml")
    assert theirs.returncode == mine.returncode == 1


@pytest.mark.parametrize("cmd", ["encrypt", "decrypt"])
def test_duplicate_yaml_keys_are_refused_like_go_yaml(both, tmp_path, cmd):
    canary = new_canary()
    (tmp_path / "d.yaml").write_text(f"a: {canary}\nb: 1\na: 2\n")
    theirs, mine = both(cmd, "d.yaml")
    assert mine.returncode == theirs.returncode != 0
    assert_no_canary(canary, mine.stderr.decode())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.yaml", b""),
        ("w.yaml", b" \n\n"),
        ("c.yaml", b"# only a comment\n"),
        ("e.json", b""),
        ("w.json", b" \n"),
        ("e.env", b""),
        ("w.env", b" \n"),
        ("e.ini", b""),
    ],
)
def test_empty_and_blank_inputs_exit_as_in_sops(both, tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    theirs, mine = both("encrypt", name)
    assert mine.returncode == theirs.returncode


def test_yaml_integer_above_int64_fails_encrypt_with_23_and_decrypt_with_25(both, tmp_path):
    (tmp_path / "big.yaml").write_bytes(b"big: 9223372036854775808\n")
    theirs, mine = both("encrypt", "big.yaml")
    assert theirs.returncode == mine.returncode == 23
    enc = _sops_encrypted(both, tmp_path, "s.yaml", b"a: 1\nbig: x\n")
    p = tmp_path / enc
    p.write_text(re.sub(r"big: ENC\[.*\]", "big: 9223372036854775808", p.read_text()))
    theirs, mine = both("decrypt", enc)
    assert theirs.returncode == mine.returncode == 25


def test_no_key_anywhere_is_exit_1_as_in_sops(both, tmp_path, sops_bin):
    (tmp_path / "s.yaml").write_bytes(b"a: 1\n")
    env: dict[str, str] = {}
    theirs = _run([sops_bin, "encrypt", "s.yaml"], tmp_path, env)
    mine = _run([sys.executable, "-m", "secretsops", "encrypt", "s.yaml"], tmp_path, env)
    assert theirs.returncode == mine.returncode == 1


NESTED = b"lit: |\n  line1\n  line2\nnested:\n  - name: a\n    vals: [1, 2]\n  - name: b\nf5: .nan\n"


@pytest.mark.parametrize("out", ["yaml", "json"])
@pytest.mark.parametrize("path", ['["nested"][0]["vals"][1]', '["nested"][1]', '["lit"]', "[0]", "[1]"])
def test_extract_matches_sops_including_an_index_into_a_mapping(both, tmp_path, out, path):
    enc = _sops_encrypted(both, tmp_path, "x.yaml", NESTED)
    _same(*both("decrypt", "--output-type", out, "--extract", path, enc))


@pytest.mark.parametrize("path", ['["nope"]', '["nested"][9]', '["nested"][-1]', '["nested"]["x"]'])
def test_extract_of_a_path_sops_cannot_read_fails(both, tmp_path, path):
    enc = _sops_encrypted(both, tmp_path, "x.yaml", NESTED)
    theirs, mine = both("decrypt", "--extract", path, enc)
    assert theirs.returncode != 0 and mine.returncode == 1
    assert mine.stdout == b""


def test_extracting_nan_as_json_is_a_dump_error_like_sops(both, tmp_path):
    enc = _sops_encrypted(both, tmp_path, "x.yaml", NESTED)
    theirs, mine = both("decrypt", "--output-type", "json", "--extract", '["f5"]', enc)
    assert theirs.returncode == mine.returncode == 4


NESTED_SEQS = (
    b"l:\n  - - a: 1\n      b: [1, 2]\n      c:\n        d: [3]\n        t: |\n          x\n    - x\n"
    b"  - - - e: [5]\n        f: {g: [h]}\n"
)


@pytest.mark.parametrize("indent", [2, 3, 4, 5, 7])
def test_sequences_in_sequences_indent_as_go_yaml(both, tmp_path, indent):
    (tmp_path / ".sops.yaml").write_text(f"stores:\n  yaml:\n    indent: {indent}\n")
    enc = _sops_encrypted(both, tmp_path, "q.yaml", NESTED_SEQS)
    _same(*both("decrypt", enc))
    _same(*both("decrypt", "--extract", "[0]", enc))


@pytest.mark.parametrize("out", ["yaml", "json"])
def test_extracted_non_mapping_values_ignore_the_stores_indent_like_sops(both, tmp_path, out):
    (tmp_path / ".sops.yaml").write_text("stores:\n  yaml:\n    indent: 2\n  json:\n    indent: 3\n")
    enc = _sops_encrypted(both, tmp_path, "q.yaml", NESTED_SEQS)
    for path in ('["l"]', '["l"][0]', '["l"][0][0]'):
        _same(*both("decrypt", "--output-type", out, "--extract", path, enc))


def _types(text: str) -> list[str]:
    return re.findall(r"type:(\w+)\]", text.split("\nsops:", maxsplit=1)[0])


@pytest.mark.parametrize(
    ("index", "value"),
    [
        ('["n"]', "1"),
        ('["b"]["c"][0]', "7"),
        ('["m"]', '{"x": 2, "y": [1.5, 100000000000000000000000]}'),
        ('["a"]', "9223372036854775808"),
        ('["a"]', "-0"),
    ],
)
def test_set_stores_json_numbers_as_floats_like_sops(both, tmp_path, age_key, index, value):
    enc = _sops_encrypted(both, tmp_path, "s.yaml", b"a: x\nb:\n  c: [1, 2]\n")
    (tmp_path / "mine.yaml").write_bytes((tmp_path / enc).read_bytes())
    theirs = both("set", enc, index, value)[0]
    key_env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    mine = _run([sys.executable, "-m", "secretsops", "set", "mine.yaml", index, value], tmp_path, key_env)
    assert theirs.returncode == mine.returncode == 0
    assert _types((tmp_path / "mine.yaml").read_text()) == _types((tmp_path / enc).read_text())
    sops_reads_mine, sops_reads_theirs = both("decrypt", "mine.yaml")[0], both("decrypt", enc)[0]
    assert sops_reads_mine.returncode == 0
    assert sops_reads_mine.stdout == sops_reads_theirs.stdout


def test_set_value_beyond_float64_is_invalid_json_exit_7(both, tmp_path):
    enc = _sops_encrypted(both, tmp_path, "s.yaml", b"a: x\n")
    before = (tmp_path / enc).read_bytes()
    theirs, mine = both("set", enc, '["a"]', "1e400")
    assert theirs.returncode == 7 and mine.returncode == 7
    assert (tmp_path / enc).read_bytes() == before


@pytest.mark.parametrize(
    "args", [("set",), ("set", "s.yaml"), ("set", "s.yaml", '["a"]'), ("unset",), ("unset", "s.yaml")]
)
def test_set_and_unset_with_missing_arguments_exit_100(both, tmp_path, args):
    (tmp_path / "s.yaml").write_bytes(b"a: x\n")
    theirs, mine = both(*args)
    assert theirs.returncode == mine.returncode == 100


def _layout(text: str) -> str:
    text = re.sub(r"data:[^,]*,iv:[^,]*,tag:[^,]*,", "", text)
    text = re.sub(
        r"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----", "AGE", text, flags=re.S
    )
    return re.sub(r"\n +[A-Za-z0-9+/=]{20,}\n", "\n", text)


def test_updatekeys_keeps_the_files_shamir_threshold_and_the_stores_indent_like_sops(sops_bin, tmp_path):
    from pyrage import x25519

    ids = [x25519.Identity.generate() for _ in range(3)]
    (tmp_path / "keys.txt").write_text("".join(f"{i}\n" for i in ids))
    groups = "".join(f"      - age: [{i.to_public()}]\n" for i in ids)
    head = "stores:\n  yaml:\n    indent: 2\ncreation_rules:\n  - key_groups:\n"
    config = f"{head}{groups}    shamir_threshold: 2\n"
    (tmp_path / ".sops.yaml").write_text(config)
    (tmp_path / "s.yaml").write_text("a: 1\nb: [x, {d: e}]\n")
    env = {"SOPS_AGE_KEY_FILE": str(tmp_path / "keys.txt")}
    enc = _run([sops_bin, "encrypt", "s.yaml"], tmp_path, env).stdout
    (tmp_path / "theirs.yaml").write_bytes(enc)
    (tmp_path / "mine.yaml").write_bytes(enc)
    # one group fewer and another threshold: sops re-wraps for the keys and keeps threshold 2
    fewer = config.replace(f"      - age: [{ids[2].to_public()}]\n", "").replace(
        "threshold: 2", "threshold: 1"
    )
    (tmp_path / ".sops.yaml").write_text(fewer)
    assert _run([sops_bin, "updatekeys", "-y", "theirs.yaml"], tmp_path, env).returncode == 0
    mine = _run([sys.executable, "-m", "secretsops", "updatekeys", "-y", "mine.yaml"], tmp_path, env)
    assert mine.returncode == 0, mine.stderr
    assert _layout((tmp_path / "mine.yaml").read_text()) == _layout((tmp_path / "theirs.yaml").read_text())
    assert _run([sops_bin, "decrypt", "mine.yaml"], tmp_path, env).returncode == 0
    # a threshold change alone is not an update for sops 3.11
    (tmp_path / ".sops.yaml").write_text(config.replace("threshold: 2", "threshold: 3"))
    (tmp_path / "again.yaml").write_bytes(enc)
    assert (
        _run([sys.executable, "-m", "secretsops", "updatekeys", "-y", "again.yaml"], tmp_path, env).returncode
        == 0
    )
    assert (tmp_path / "again.yaml").read_bytes() == enc


LONG = " ".join(["word"] * 30)
AWKWARD_YAML = (
    f'"{LONG}: key": 1\n"{LONG}: map":\n  a: 1\n  "{LONG} inner": [1, 2]\n"{LONG}: list":\n  - x\n'
    '"multi\\u2028key": v\nl:\n  - "a\\u2028b"\n  - k: "c\\u2029d"\n    "e\\x85f": g\n'
    'm:\n  n:\n    o: "p\\u2028q"\nnbsp: "\\t tab\\u00a0nbsp"\ne: "\\u2028y"\n'
).encode()


@pytest.mark.parametrize("indent", [2, 4])
def test_long_keys_break_characters_and_nbsp_are_written_as_go_yaml_writes_them(both, tmp_path, indent):
    (tmp_path / ".sops.yaml").write_text(f"stores:\n  yaml:\n    indent: {indent}\n")
    enc = _sops_encrypted(both, tmp_path, "k.yaml", AWKWARD_YAML)
    _same(*both("decrypt", enc))


@pytest.mark.parametrize(
    "ini",
    [
        "[DEFAULT]\nd=1\n[s]\nk=v\n",
        "; c\n[DEFAULT]\nd=1\n[s]\nk=v\n",
        "[s]\nk=v\n[DEFAULT]\nd=1\n",
        "[DEFAULT]\n[s]\nk=v\n",
        "; c\n[DEFAULT]\n[s]\nk=v\n",
        "a=1\n[DEFAULT]\nb=2\n",
        "d=1\n[s]\nk=v\n",
    ],
)
def test_an_explicit_ini_default_section_keeps_its_header_like_sops(both, tmp_path, ini):
    enc = _sops_encrypted(both, tmp_path, "i.ini", ini.encode())
    _same(*both("decrypt", enc))
    mine = both("encrypt", "i.ini")[1]
    (tmp_path / "mine.ini").write_bytes(mine.stdout)
    sops_reads_mine, sops_reads_theirs = both("decrypt", "mine.ini")[0], both("decrypt", enc)[0]
    assert sops_reads_mine.stdout == sops_reads_theirs.stdout


def test_json_nested_too_deeply_is_a_one_line_input_error(both, tmp_path):
    (tmp_path / "deep.json").write_text('{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    _, mine = both("encrypt", "deep.json")
    assert mine.returncode == 2
    assert mine.stderr.decode().strip().splitlines() == [
        "secretsops: deep.json: JSON input is nested too deeply"
    ]


def test_two_crypt_rule_flags_conflict_with_exit_8_like_sops(both, tmp_path):
    (tmp_path / "s.yaml").write_bytes(SCALARS)
    theirs, mine = both("encrypt", "--encrypted-regex", "^a", "--unencrypted-suffix", "_x", "s.yaml")
    assert theirs.returncode == mine.returncode == 8


def test_an_invalid_encrypted_regex_fails_closed_with_one_line(both, tmp_path):
    # sops ignores the compile error and writes every value in the clear; secretsops refuses
    canary = new_canary()
    (tmp_path / "s.yaml").write_text(f"a: {canary}\n")
    _, mine = both("encrypt", "--encrypted-regex", "(", "s.yaml")
    assert mine.returncode == 1 and mine.stdout == b""
    assert mine.stderr.decode().strip().splitlines() == [
        "secretsops: invalid regular expression '(' (RE2 syntax)"
    ]
    assert_no_canary(canary, mine.stderr.decode())


@pytest.mark.parametrize(
    "config",
    [
        "creation_rules: [\n",
        'creation_rules:\n  - path_regex: "("\n',
        "creation_rules: 5\n",
        "foo: bar\n",
        "",
        "creation_rules: []\n",
        "creation_rules:\n",
        "stores:\n  yaml:\n    indent: 2\n",
    ],
)
def test_sops_yaml_without_rules_or_broken_exits_as_sops(both, tmp_path, config):
    (tmp_path / ".sops.yaml").write_text(config)
    (tmp_path / "a.yaml").write_bytes(SCALARS)
    theirs, mine = both("encrypt", "a.yaml")
    assert mine.returncode == theirs.returncode
    assert len(mine.stderr.decode().strip().splitlines()) <= 1


def test_yaml_nested_beyond_libyamls_limit_says_so_in_one_line(both, tmp_path):
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    _, mine = both("encrypt", "deep.yaml")
    assert mine.returncode == 2
    (line,) = mine.stderr.decode().strip().splitlines()
    assert "nested too deeply" in line


def test_nested_values_in_ini_output_are_written_as_gos_percent_v(both, tmp_path):
    data = (
        b'{"a": {"b": {"c": [true, false, null, "x y", 0.5, -1, 1e21, 1e20, 0.00001, 123456789.0],'
        b' "d": {}, "e": [], "f": {"g": "h"}}}}'
    )
    enc = _sops_encrypted(both, tmp_path, "n.json", data)
    _same(*both("decrypt", "--output-type", "ini", enc))


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_yaml_version_directive_is_accepted_only_as_go_yaml_accepts_it(both, tmp_path, version):
    (tmp_path / "t.yaml").write_text(f"%YAML {version}\n---\na: !!str 123\nb: x\n...\n")
    theirs, mine = both("encrypt", "t.yaml")
    assert mine.returncode == theirs.returncode


@pytest.mark.parametrize("fmt", ["dotenv", "ini"])
def test_timestamps_in_dotenv_and_ini_output_drop_fractional_seconds_like_sops(both, tmp_path, fmt):
    data = b"s:\n  a: 2001-12-14t21:59:43.10-05:00\n  b: 2024-01-01T10:00:00.123456789Z\n  c: 2024-01-01\n"
    enc = _sops_encrypted(both, tmp_path, "t.yaml", data)
    _same(*both("decrypt", "--output-type", fmt, enc))


@pytest.mark.parametrize("regex", ["ENC", "AES", r"ENC\[", "type:comment"])
def test_unencrypted_comment_regex_matching_sops_markers_is_refused_with_23(both, tmp_path, age_key, regex):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {age_key.recipient}\n    unencrypted_comment_regex: '{regex}'\n"
    )
    (tmp_path / "c.yaml").write_bytes(b"a: 1 # a comment\nb: x\n")
    theirs, mine = both("encrypt", "c.yaml")
    assert theirs.returncode == mine.returncode == 23
    assert mine.stdout == b""


def test_unencrypted_comment_regex_that_cannot_match_a_marker_encrypts(both, tmp_path, age_key):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {age_key.recipient}\n    unencrypted_comment_regex: '^sops:keep$'\n"
    )
    (tmp_path / "c.yaml").write_bytes(b"a: 1 # a comment\nb: x\n")
    theirs, mine = both("encrypt", "c.yaml")
    assert theirs.returncode == mine.returncode == 0


@pytest.mark.parametrize("line", ["    mac: ", "    version: "])
def test_filestatus_of_a_file_without_mac_or_version_is_not_encrypted(both, tmp_path, line):
    enc = _sops_encrypted(both, tmp_path, "m.yaml", SCALARS)
    p = tmp_path / enc
    p.write_text("".join(ln for ln in p.read_text().splitlines(True) if not ln.startswith(line)))
    _same(*both("filestatus", enc))
    assert both("filestatus", enc)[1].stdout == b'{"encrypted":false}\n'


def test_filestatus_without_a_file_is_no_file_specified(both):
    theirs, mine = both("filestatus")
    assert theirs.returncode == mine.returncode == 100
