"""SOPS files made by the real sops binary pass; partly decrypted, unencrypted or broken ones fail."""

from __future__ import annotations

import json
import re

from tests.helpers import assert_no_canary

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  user: app\n  password: {pw}\n"
RULES = (
    "creation_rules:\n"
    "  - path_regex: secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {recipient}\n"
    "  - path_regex: \\.enc\\.(json|env|ini|bin)$\n    age: {recipient}\n"
    "  - age: {recipient}\n"
)


def decrypt_one_value_by_hand(text: str, key: str, plaintext: str) -> str:
    return re.sub(rf"^(\s*{key}: )ENC\[[^\n]*$", lambda m: m.group(1) + plaintext, text, count=1, flags=re.M)


def with_rules(repo, age_key):
    repo.write(".sops.yaml", RULES.format(recipient=age_key.recipient))


def test_sops_encrypted_secret_passes(repo, sops_encrypt, canary, age_key):
    with_rules(repo, age_key)
    path = repo.write("secrets/db.yaml", SECRET.format(pw=canary))
    sops_encrypt(path, "--encrypted-regex", "^(data|stringData)$")
    res = repo.check()
    assert res.code == 0, res.out
    assert_no_canary(canary, repo.root)


def test_one_value_decrypted_by_hand_is_found_at_its_line(repo, sops_encrypt, canary, age_key):
    with_rules(repo, age_key)
    path = repo.write("secrets/db.yaml", SECRET.format(pw="x-initial-x"))
    sops_encrypt(path, "--encrypted-regex", "^(data|stringData)$")
    path.write_text(decrypt_one_value_by_hand(path.read_text(), "password", canary))
    res = repo.check_json()
    assert res.code == 1
    found = {(f["rule"], f["path"], f["line"], f["key"]) for f in res.json["findings"]}
    # one value, one finding: the Secret rule does not repeat it (its fix would not apply)
    assert found == {("sops-partially-decrypted", "secrets/db.yaml", 7, "stringData.password")}
    assert_no_canary(canary, res.out, res.err)


def test_file_a_creation_rule_covers_but_not_encrypted_is_found(repo, age_key, canary):
    with_rules(repo, age_key)
    repo.write("secrets/app.yaml", f"database:\n  password: {canary}\n")
    res = repo.check_json()
    assert ("sops-unencrypted", "secrets/app.yaml", 1) in res.rules_at()
    assert "secretsops encrypt -i secrets/app.yaml" in res.json["findings"][0]["fix"]
    assert_no_canary(canary, res.out)


def test_catch_all_rule_without_path_regex_covers_nothing(repo, age_key):
    with_rules(repo, age_key)
    repo.write("README.md", "# hello\n")
    repo.write("config/app.yaml", "replicas: 3\n")
    assert repo.check().code == 0


def test_rule_path_regex_is_relative_to_the_config_directory(repo, age_key):
    repo.write(
        "clusters/prod/.sops.yaml",
        f"creation_rules:\n  - path_regex: ^apps/.*\\.yaml$\n    age: {age_key.recipient}\n",
    )
    repo.write("clusters/prod/apps/db.yaml", "password: x1\n")
    repo.write("apps/db.yaml", "replicas: 1\n")
    assert repo.check_json().rules_at() == {("sops-unencrypted", "clusters/prod/apps/db.yaml", 1)}


def test_json_dotenv_ini_and_binary_sops_files_pass(repo, sops_encrypt, age_key, canary):
    with_rules(repo, age_key)
    for name, text in (
        ("a.enc.json", json.dumps({"token": canary, "nested": {"n": 1}})),
        ("b.enc.env", f"API_TOKEN={canary}\nPORT=8080\n"),
        ("c.enc.ini", f"[db]\npassword = {canary}\n"),
        ("d.enc.bin", canary + "\0binary"),
    ):
        sops_encrypt(repo.write(name, text))
    res = repo.check()
    assert res.code == 0, res.out
    assert_no_canary(canary, repo.root)


def test_dotenv_value_decrypted_by_hand_is_found(repo, sops_encrypt, age_key, canary):
    with_rules(repo, age_key)
    path = repo.write("b.enc.env", "PORT=8080\nAPI_TOKEN=t0\n")
    sops_encrypt(path)
    path.write_text(re.sub(r"^API_TOKEN=.*$", f"API_TOKEN={canary}", path.read_text(), flags=re.M))
    res = repo.check_json()
    assert ("sops-partially-decrypted", "b.enc.env", 2) in res.rules_at()


def test_unencrypted_suffix_values_may_stay_plaintext(repo, sops_encrypt, age_key):
    path = repo.write("conf.yaml", "host_unencrypted: db.internal\npassword: p4ss\n")
    sops_encrypt(path)
    assert "host_unencrypted: db.internal" in path.read_text()
    assert repo.check().code == 0


def test_a_rule_stricter_than_the_files_metadata_finds_the_gap(repo, sops_encrypt, age_key, canary):
    with_rules(repo, age_key)
    path = repo.write("secrets/db.yaml", SECRET.format(pw="pw"))
    sops_encrypt(path, "--encrypted-regex", "^password$")  # stringData.user stays plaintext
    res = repo.check_json()
    assert ("sops-partially-decrypted", "secrets/db.yaml", 6) in res.rules_at()


def test_missing_mac_is_broken_metadata(repo, sops_encrypt, age_key):
    path = repo.write("conf.yaml", "password: p4ss\n")
    sops_encrypt(path)
    path.write_text(re.sub(r"^    mac: .*\n", "", path.read_text(), flags=re.M))
    res = repo.check_json()
    assert {(f["rule"], f["line"]) for f in res.json["findings"]} == {("sops-metadata-broken", 2)}


def test_metadata_without_any_key_stanza_is_broken(repo, sops_encrypt, age_key):
    path = repo.write("conf.yaml", "password: p4ss\n")
    sops_encrypt(path)
    text = path.read_text()
    start, end = text.index("    age:"), text.index("    lastmodified:")
    path.write_text(text[:start] + text[end:])
    assert repo.check_json().rules_at() == {("sops-metadata-broken", "conf.yaml", 2)}


def test_a_single_enc_value_without_metadata_does_not_pass(repo, sops_encrypt, age_key):
    path = repo.write("conf.yaml", "password: p4ss\n")
    sops_encrypt(path)
    enc_line = path.read_text().splitlines()[0]
    repo.write("fake.yaml", f"{enc_line}\nother: {'plain-value'}\n")
    assert ("sops-metadata-broken", "fake.yaml", 1) in repo.check_json().rules_at()


def test_ini_value_decrypted_by_hand_is_found(repo, sops_encrypt, age_key, canary):
    path = repo.write("c.ini", "[db]\nhost = db1\npassword = x\n")
    sops_encrypt(path)
    path.write_text(re.sub(r"^password\s*=.*$", f"password = {canary}", path.read_text(), flags=re.M))
    res = repo.check_json()
    assert res.rules_at() == {("sops-partially-decrypted", "c.ini", 3)}
    assert_no_canary(canary, res.out)


def test_comment_regex_files_are_judged_by_their_comments(repo, sops_bin, age_key, canary):
    import subprocess

    repo.write(
        ".sops.yaml",
        f"creation_rules:\n  - path_regex: enc-comment\\.yaml$\n    encrypted_comment_regex: 'sops:enc'\n"
        f"    age: {age_key.recipient}\n  - path_regex: keep-comment\\.yaml$\n"
        f"    unencrypted_comment_regex: 'keep'\n    age: {age_key.recipient}\n",
    )
    enc_path = repo.write(
        "enc-comment.yaml", "a: 1\n# sops:enc\nb: secret\nc:\n    # sops:enc\n    d: x\n    e: y\n"
    )
    keep_path = repo.write("keep-comment.yaml", "a: 1\n# keep\nb: visible\nc: hidden\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.root), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    for path in (enc_path, keep_path):
        subprocess.run(
            [sops_bin, "encrypt", "-i", str(path)], check=True, cwd=repo.root, env=env, capture_output=True
        )
    assert "b: visible" in keep_path.read_text() and "    e: " in enc_path.read_text()
    assert repo.check().code == 0
    enc_path.write_text(decrypt_one_value_by_hand(enc_path.read_text(), "d", canary))
    assert repo.check_json().rules_at() == {("sops-partially-decrypted", "enc-comment.yaml", 6)}
