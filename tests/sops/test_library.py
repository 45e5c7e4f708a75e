"""Library API used by the engine and the merge driver."""

from __future__ import annotations

import yaml

from secretsops.decryptors.base import DecryptContext, run_decryptors
from secretsops.decryptors.sops import SopsDecryptor
from secretsops.keysources.age import AgeKeySource
from secretsops.keysources.base import KeyContext
from secretsops.manifests import SourcedObject
from secretsops.sops import api, rules


def _secret(recipient: str) -> bytes:
    src = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n"
    return api.encrypt_bytes(
        src,
        "yaml",
        groups=[[AgeKeySource(recipient)]],
        options=api.EncryptOptions(encrypted_regex="^(data|stringData)$"),
        ctx=KeyContext(),
    )


def test_decrypt_document_returns_the_plain_object_without_sops(age_key):
    doc = yaml.safe_load(_secret(age_key.recipient))
    assert api.is_encrypted_document(doc)
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    plain = api.decrypt_document(doc, ctx=ctx)
    assert plain["stringData"] == {"password": "hunter2"} and "sops" not in plain


def test_data_key_cache_makes_an_unchanged_file_cost_no_key_calls(age_key):
    doc = yaml.safe_load(_secret(age_key.recipient))
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    cache = api.DataKeyCache()
    api.decrypt_document(doc, ctx=ctx, cache=cache)
    api.decrypt_document(doc, ctx=ctx, cache=cache)
    assert ctx.calls == {"age": 1} and cache.hits == 1


def test_one_key_call_per_file_not_per_value(age_key):
    src = "".join(f"k{i}: v{i}\n" for i in range(200)).encode()
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    enc = api.encrypt_bytes(
        src, "yaml", groups=[[AgeKeySource(age_key.recipient)]], options=api.EncryptOptions(), ctx=ctx
    )
    api.decrypt_bytes(enc, "yaml", ctx=ctx)
    assert ctx.calls == {"age": 2}  # one wrap, one unwrap


def test_sops_decryptor_runs_in_the_pipeline(age_key):
    doc = yaml.safe_load(_secret(age_key.recipient))
    plain_cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    ctx = DecryptContext(keys=KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)}))
    out = run_decryptors(
        [SourcedObject(doc, "s.yaml"), SourcedObject(plain_cm, "c.yaml")], [SopsDecryptor()], ctx
    )
    assert out[0].obj["stringData"]["password"] == "hunter2" and out[1].obj == plain_cm


def test_reencrypt_keeps_unchanged_values_byte_identical(age_key):
    enc = _secret(age_key.recipient)
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    tree = api.decrypt_tree(api.load_encrypted(enc, "yaml"), ctx=ctx)
    again = api.reencrypt(tree)
    line = next(ln for ln in enc.decode().splitlines() if "password" in ln)
    assert line in again.decode()


def test_rule_for_uses_re2_and_first_match(tmp_path, age_key):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.prod\\.yaml$\n    age: {age_key.recipient}\n"
        "    encrypted_regex: ^data$\n  - path_regex: .*\n    age: " + age_key.recipient + "\n"
    )
    (tmp_path / "sub").mkdir()
    rule = rules.rule_for(tmp_path / "x.prod.yaml", cwd=tmp_path / "sub")
    assert rule is not None and rule.options.encrypted_regex == "^data$"
    other = rules.rule_for(tmp_path / "x.dev.yaml", cwd=tmp_path)
    assert other is not None and other.options.encrypted_regex == ""


def test_a_secret_is_protected_only_when_its_values_are_ciphertext(age_key):
    enc = yaml.safe_load(_secret(age_key.recipient))
    assert SopsDecryptor().is_protected(enc)
    leaky = api.encrypt_bytes(
        b"kind: Secret\nstringData:\n  password: hunter2\nother: x\n",
        "yaml",
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(encrypted_regex="^other$"),
        ctx=KeyContext(),
    )
    doc = yaml.safe_load(leaky)
    assert api.is_encrypted_document(doc) and not SopsDecryptor().is_protected(doc)
    assert not SopsDecryptor().is_protected({"kind": "Secret", "stringData": {"a": "b"}})


def test_decrypt_documents_reads_values_as_sops_does(age_key):
    src = (
        b"kind: Secret\nmetadata:\n  labels_unencrypted:\n    on: off\n    when: 2024-01-01\n"
        b"stringData:\n  pw: x\n"
    )
    enc = api.encrypt_bytes(
        src,
        "yaml",
        groups=[[AgeKeySource(age_key.recipient)]],
        options=api.EncryptOptions(),
        ctx=KeyContext(),
    )
    two = enc + b"---\nkind: ConfigMap\n"
    ctx = KeyContext.from_environ({"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    docs = api.decrypt_documents(two, ctx=ctx)
    assert docs[0]["stringData"] == {"pw": "x"} and docs[0]["metadata"]["labels_unencrypted"]["on"] == "off"
    assert docs[1] == {"kind": "ConfigMap"}
