"""Interop with the real sops 3.11 binary, in both directions, for every store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from secretsops.cli.main import main
from secretsops.keysources.age import AgeKeySource
from secretsops.keysources.base import KeyContext
from secretsops.sops import api

SAMPLES = {
    "s.yaml": b'# top\na: hello  # eol\nb: 12\nc: 1.5\nd: true\ne: ""\nf: null\n'
    b"nested:\n  # inner\n  x: [1, two, false]\n"
    b"  y_unencrypted: keep\nlist:\n  - k: v\n  - plain\nmulti: |\n  line1\n  line2\n",
    "n.yaml": b"l:\n  - a: 1\n    m:\n      x: 1\n      y:\n        - p\n        - q: 2\n"
    b"          r:\n            s: t\n    n: [1, 2]\n  - - x\n    - - y\n      - z\n"
    b"top:\n  inner:\n    - w\nq: '12'\nf: 1000000.0\nsp: ' lead'\n"
    b"u: \xc3\xbc\nyes: 'yes'\nblock: |\n  one\n  two\n",
    "s.json": b'{"a": "b", "n": 1, "f": 2.5, "l": [1, {"z": true}], "o": {}, "html": "<&>"}',
    "s.env": b"A=1\n# comment\nB=hello world\nC=with\\nnewline\n",
    "s.ini": b"[sec]\nk = v\n; comment\nn = 2\n[other]\nx = y\n",
    "s.bin": b"binary\x00\x01\xffdata\n",
}
FMT = {"yaml": "yaml", "json": "json", "env": "dotenv", "ini": "ini", "bin": "binary"}


def _fmt(name: str) -> str:
    return FMT[name.rsplit(".", 1)[1]]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_files_sops_encrypts_decrypt_to_what_sops_decrypts(name, tmp_path, age_key, run_sops):
    (tmp_path / name).write_bytes(SAMPLES[name])
    enc = run_sops("encrypt", name, env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    mine = api.decrypt_bytes(enc, _fmt(name), ctx=ctx)
    (tmp_path / ("enc." + name)).write_bytes(enc)
    theirs = run_sops("decrypt", "enc." + name, env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}).stdout
    assert mine == theirs


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_files_secretsops_encrypts_are_decrypted_by_sops(name, tmp_path, age_key, run_sops):
    enc = api.encrypt_bytes(
        SAMPLES[name],
        _fmt(name),
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(),
        ctx=KeyContext(),
    )
    (tmp_path / ("enc." + name)).write_bytes(enc)
    (tmp_path / name).write_bytes(SAMPLES[name])
    theirs = run_sops("decrypt", "enc." + name, env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}).stdout
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    assert api.decrypt_bytes(enc, _fmt(name), ctx=ctx) == theirs


def test_multi_document_yaml_round_trips_with_sops(tmp_path, age_key, run_sops):
    (tmp_path / "m.yaml").write_bytes(b"a: 1\n---\nb: two\n---\nc: [x]\n")
    enc = run_sops("encrypt", "m.yaml", env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    docs = list(yaml.safe_load_all(api.decrypt_bytes(enc, "yaml", ctx=ctx)))
    assert docs == [{"a": 1}, {"b": "two"}, {"c": ["x"]}]
    mine = api.encrypt_bytes(
        b"a: 1\n---\nb: two\n",
        "yaml",
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(),
        ctx=KeyContext(),
    )
    (tmp_path / "mine.yaml").write_bytes(mine)
    out = run_sops("decrypt", "mine.yaml", env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}).stdout
    assert list(yaml.safe_load_all(out)) == [{"a": 1}, {"b": "two"}]


def test_shamir_key_groups_interoperate_both_ways(tmp_path, run_sops):
    from pyrage import x25519

    ids = [x25519.Identity.generate() for _ in range(3)]
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"
        + "".join(f"      - age:\n          - {i.to_public()}\n" for i in ids)
    )
    (tmp_path / "s.yaml").write_text("secret: value\n")
    enc = run_sops("encrypt", "s.yaml").stdout
    assert b"shamir_threshold: 2" in enc and b"key_groups:" in enc
    two = tmp_path / "two.txt"
    two.write_text(f"{ids[0]}\n{ids[2]}\n")
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(two)})
    assert api.decrypt_bytes(enc, "yaml", ctx=ctx) == b"secret: value\n"
    # and ours: made from the same rule, opened by sops with two of three identities
    from secretsops.sops import rules

    rule = rules.load_config(tmp_path / ".sops.yaml").rule_for(tmp_path / "s.yaml")
    mine = api.encrypt_bytes(
        b"secret: value\n", "yaml", groups=rule.key_groups, options=rule.options, ctx=KeyContext()
    )
    (tmp_path / "mine.yaml").write_bytes(mine)
    assert run_sops("decrypt", "mine.yaml", env={"SOPS_AGE_KEY_FILE": str(two)}).stdout == b"secret: value\n"


def test_one_identity_is_not_enough_for_a_threshold_of_two(tmp_path, run_sops):
    from pyrage import x25519

    ids = [x25519.Identity.generate() for _ in range(2)]
    groups = [[AgeKeySource(str(i.to_public()))] for i in ids]
    enc = api.encrypt_bytes(b"a: b\n", "yaml", groups=groups, options=api.EncryptOptions(), ctx=KeyContext())
    one = tmp_path / "one.txt"
    one.write_text(f"{ids[0]}\n")
    from secretsops.errors import NoKeyRetrieved

    with pytest.raises(NoKeyRetrieved, match="1 of 2"):
        api.decrypt_bytes(enc, "yaml", ctx=KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(one)}))


@pytest.mark.parametrize(
    "flag",
    [
        ["--encrypted-regex", "^(data|stringData)$"],
        ["--unencrypted-regex", "^(apiVersion|kind|name)$"],
        ["--encrypted-suffix", "_secret"],
        ["--unencrypted-suffix", "_plain"],
    ],
)
def test_crypt_rules_match_sops(flag, tmp_path, age_key, run_sops, monkeypatch):
    src = (
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n"
        b"data:\n  pw_secret: aGk=\nstringData:\n  t_plain: y\n"
    )
    (tmp_path / "k.yaml").write_bytes(src)
    theirs = run_sops("encrypt", *flag, "k.yaml", env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.key_file))
    out = tmp_path / "mine.yaml"
    assert main(["encrypt", "--age", age_key.recipient, *flag, "k.yaml", "--output", str(out)]) == 0

    def strip(b):
        return [
            ln.split(":", 1)[0] + (":ENC" if "ENC[" in ln else ln)
            for ln in b.decode().splitlines()
            if not ln.startswith("    ") and "sops" not in ln
        ]

    assert strip(out.read_bytes()) == strip(theirs)
    dec = run_sops("decrypt", "mine.yaml", env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}).stdout
    assert yaml.safe_load(dec) == yaml.safe_load(src)


def test_creation_rules_pick_the_first_matching_path_regex(tmp_path, age_key, run_sops, monkeypatch):
    from pyrage import x25519

    other = x25519.Identity.generate()
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: prod/.*\\.yaml$\n    age: {other.to_public()}\n"
        f"    encrypted_regex: ^password$\n  - age: {age_key.recipient}\n"
    )
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "a.yaml").write_text("user: u\npassword: p\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.yaml"
    assert main(["encrypt", "prod/a.yaml", "--output", str(out)]) == 0
    text = out.read_text()
    assert "user: u" in text and str(other.to_public()) in text and "encrypted_regex: ^password$" in text
    theirs = run_sops("encrypt", "prod/a.yaml").stdout.decode()
    assert str(other.to_public()) in theirs and "user: u" in theirs


def test_json_numbers_are_floats_like_sops(tmp_path, age_key, run_sops):
    enc = api.encrypt_bytes(
        b'{"n": 1}',
        "json",
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(),
        ctx=KeyContext(),
    )
    assert "type:float" in json.loads(enc)["n"]


def test_mac_only_encrypted_files_interoperate(tmp_path, age_key, run_sops):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {age_key.recipient}\n    encrypted_regex: ^data$\n"
        "    mac_only_encrypted: true\n"
    )
    (tmp_path / "k.yaml").write_text("kind: Secret\ndata:\n  pw: aGk=\n")
    enc = run_sops("encrypt", "k.yaml").stdout
    assert b"mac_only_encrypted: true" in enc
    # unencrypted values are outside the MAC: changing them must not break decryption
    enc = enc.replace(b"kind: Secret", b"kind: Other")
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    assert yaml.safe_load(api.decrypt_bytes(enc, "yaml", ctx=ctx)) == {
        "kind": "Other",
        "data": {"pw": "aGk="},
    }
    from secretsops.sops import rules

    rule = rules.load_config(tmp_path / ".sops.yaml").rule_for(tmp_path / "k.yaml")
    mine = api.encrypt_bytes(
        b"kind: Secret\ndata:\n  pw: aGk=\n",
        "yaml",
        groups=rule.key_groups,
        options=rule.options,
        ctx=KeyContext(),
    )
    (tmp_path / "mine.yaml").write_bytes(mine.replace(b"kind: Secret", b"kind: Other"))
    out = run_sops("decrypt", "mine.yaml", env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}).stdout
    assert yaml.safe_load(out)["data"] == {"pw": "aGk="}


def _layout(text: bytes) -> list[str]:
    """The file with every random part (ciphertext, IVs, tags, armor, dates) masked."""
    out = []
    for raw in text.decode().splitlines():
        stripped = raw.strip()
        if stripped and all(c.isalnum() or c in "+/=" for c in stripped):
            continue  # armored age payload
        masked = re.sub(r"data:[^,]*,iv:[^,]*,tag:[^,]*", "X", raw)
        masked = re.sub(r"age1[0-9a-z]+", "R", masked)
        masked = re.sub(r"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----", "A", masked)
        out.append(re.sub(r"\d{4}-\d\d-\d\dT[0-9:]+Z", "T", masked))
    return out


def test_encrypted_yaml_layout_matches_sops_including_key_groups(tmp_path, run_sops, monkeypatch):
    from pyrage import x25519

    r1, r2 = (str(x25519.Identity.generate().to_public()) for _ in range(2))
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: groups\n    shamir_threshold: 2\n    key_groups:\n"
        f"      - age: [{r1}]\n      - age: [{r2}]\n  - age: {r1},{r2}\n"
    )
    monkeypatch.chdir(tmp_path)
    for name in ("groups.yaml", "flat.yaml"):
        (tmp_path / name).write_bytes(SAMPLES["n.yaml"])
        theirs = run_sops("encrypt", name).stdout
        out = tmp_path / ("mine-" + name)
        assert main(["encrypt", name, "--output", str(out)]) == 0
        assert _layout(out.read_bytes()) == _layout(theirs)


@pytest.mark.parametrize(
    "rule", ["encrypted_comment_regex: sops:enc", "unencrypted_comment_regex: sops:plain"]
)
def test_comment_regex_rules_match_sops(rule, tmp_path, age_key, run_sops, monkeypatch):
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - age: {age_key.recipient}\n    {rule}\n")
    src = "a: 1\n# sops:enc\nb: secret\n# sops:plain\nc: open\nnested:\n  # sops:enc\n  d: x\n  e: y\n"
    (tmp_path / "f.yaml").write_text(src)
    theirs = run_sops("encrypt", "f.yaml").stdout
    monkeypatch.chdir(tmp_path)
    assert main(["encrypt", "f.yaml", "--output", "mine.yaml"]) == 0
    mine = (tmp_path / "mine.yaml").read_bytes()
    assert _layout(mine)[:10] == _layout(theirs)[:10]
    key_env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    ctx = KeyContext.from_environ(key_env)
    assert api.decrypt_bytes(theirs, "yaml", ctx=ctx) == run_sops("decrypt", "mine.yaml", env=key_env).stdout


@pytest.mark.parametrize("data", ["scalars.yaml", "anchors_tags.yaml", "comments.yaml", "strings.yaml"])
def test_scalar_styles_types_and_timestamps_match_sops_both_ways(data, tmp_path, age_key, run_sops):
    """Quoting, escapes, octal, floats, timestamps, anchors, merge keys, explicit tags, comments:
    decrypted output is byte-identical to sops', whichever tool encrypted."""
    src = (Path(__file__).parent / "data" / data).read_bytes()
    (tmp_path / "w.yaml").write_bytes(src)
    key_env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    theirs_enc = run_sops("encrypt", "w.yaml", env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout
    (tmp_path / "theirs.yaml").write_bytes(theirs_enc)
    expected = run_sops("decrypt", "theirs.yaml", env=key_env).stdout
    ctx = KeyContext.from_environ(key_env)
    assert api.decrypt_bytes(theirs_enc, "yaml", ctx=ctx) == expected
    mine = api.encrypt_bytes(
        src,
        "yaml",
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(),
        ctx=KeyContext(),
    )
    (tmp_path / "mine.yaml").write_bytes(mine)
    assert run_sops("decrypt", "mine.yaml", env=key_env).stdout == expected


@pytest.mark.parametrize("name", ["tricky.json", "tricky.env", "tricky.ini", "quoting.ini"])
def test_tricky_json_dotenv_ini_match_sops_both_ways(name, tmp_path, age_key, run_sops):
    src = (Path(__file__).parent / "data" / name).read_bytes()
    (tmp_path / name).write_bytes(src)
    fmt = _fmt(name)
    key_env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    theirs_enc = run_sops("encrypt", name, env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout
    (tmp_path / ("theirs." + name)).write_bytes(theirs_enc)
    expected = run_sops("decrypt", "theirs." + name, env=key_env).stdout
    assert api.decrypt_bytes(theirs_enc, fmt, ctx=KeyContext.from_environ(key_env)) == expected
    mine = api.encrypt_bytes(
        src, fmt, groups=[[AgeKeySource(age_key.recipient)]], options=api.EncryptOptions(), ctx=KeyContext()
    )
    (tmp_path / ("mine." + name)).write_bytes(mine)
    assert run_sops("decrypt", "mine." + name, env=key_env).stdout == expected


def test_metadata_as_other_sops_versions_write_it_is_read(tmp_path, age_key, run_sops):
    """Sorted keys (sops ≥ 3.12), empty key lists (≤ 3.8), another 3.x version, an unknown key kind."""
    (tmp_path / "s.yaml").write_text("a: secret\nb: 2\n")
    enc = yaml.safe_load(run_sops("encrypt", "s.yaml", env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout)
    md = enc["sops"]
    md.update({"kms": [], "gcp_kms": [], "azure_kv": [], "hc_vault": [], "pgp": [], "version": "3.7.3"})
    md["hckms"] = [{"key_id": "x", "enc": "y", "created_at": "2024-01-01T00:00:00Z"}]
    enc["sops"] = dict(sorted(md.items()))
    text = yaml.safe_dump(enc, sort_keys=False).encode()
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    assert yaml.safe_load(api.decrypt_bytes(text, "yaml", ctx=ctx)) == {"a": "secret", "b": 2}


def test_binary_files_with_and_without_crypt_rule_fields_are_read(tmp_path, age_key, run_sops):
    (tmp_path / "blob").write_bytes(b"\x00raw bytes\xff")
    enc = json.loads(run_sops("encrypt", "blob", env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout)
    assert "unencrypted_suffix" not in enc["sops"]
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    assert api.decrypt_bytes(json.dumps(enc).encode(), "binary", ctx=ctx) == b"\x00raw bytes\xff"
    enc["sops"]["unencrypted_suffix"] = "_unencrypted"  # what older sops wrote for binary files
    assert api.decrypt_bytes(json.dumps(enc).encode(), "binary", ctx=ctx) == b"\x00raw bytes\xff"


@pytest.mark.parametrize("indent", [1, 2, 3, 6])
def test_store_indentation_from_sops_yaml_matches_sops(indent, tmp_path, age_key, run_sops, monkeypatch):
    (tmp_path / ".sops.yaml").write_text(
        f"stores:\n  yaml:\n    indent: {indent}\n  json:\n    indent: {indent}\n"
        f"creation_rules:\n  - age: {age_key.recipient}\n"
    )
    key_env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.key_file))
    for name in ("n.yaml", "s.json"):
        (tmp_path / name).write_bytes(SAMPLES[name])
        theirs = run_sops("encrypt", name).stdout
        assert main(["encrypt", name, "--output", "mine." + name]) == 0
        assert _layout((tmp_path / ("mine." + name)).read_bytes()) == _layout(theirs)
        (tmp_path / ("theirs." + name)).write_bytes(theirs)
        expected = run_sops("decrypt", "theirs." + name, env=key_env).stdout
        assert main(["decrypt", "theirs." + name, "--output", "out." + name]) == 0
        assert (tmp_path / ("out." + name)).read_bytes() == expected


def test_comments_in_every_position_match_sops_both_ways(tmp_path, age_key, run_sops):
    src = (Path(__file__).parent / "data" / "comments.yaml").read_bytes()
    (tmp_path / "c.yaml").write_bytes(src)
    key_env = {"SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    theirs = run_sops("encrypt", "c.yaml", env={"SOPS_AGE_RECIPIENTS": age_key.recipient}).stdout
    assert theirs.count(b"type:comment") == src.count(b"#")
    (tmp_path / "theirs.yaml").write_bytes(theirs)
    expected = run_sops("decrypt", "theirs.yaml", env=key_env).stdout
    assert api.decrypt_bytes(theirs, "yaml", ctx=KeyContext.from_environ(key_env)) == expected
    mine = api.encrypt_bytes(
        src,
        "yaml",
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(),
        ctx=KeyContext(),
    )
    assert b"# " not in mine.split(b"sops:")[0]  # every comment encrypted
    (tmp_path / "mine.yaml").write_bytes(mine)
    assert run_sops("decrypt", "mine.yaml", env=key_env).stdout == expected


def test_the_installed_command_encrypts_for_sops(tmp_path, age_key, run_sops):
    import subprocess
    import sys

    (tmp_path / "s.env").write_text("TOKEN=abc\n")
    env = {"PATH": "/usr/bin:/bin", "SOPS_AGE_RECIPIENTS": age_key.recipient, "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "secretsops", "encrypt", "s.env"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "e.env").write_bytes(proc.stdout)
    out = run_sops("decrypt", "e.env", env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}).stdout
    assert out == b"TOKEN=abc\n"
