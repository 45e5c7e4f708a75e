"""The ``sealed`` decryptor in the pipeline: key files, memory in ctx.cache, fail closed."""

from __future__ import annotations

import base64

import pytest

from secretsops.decryptors.base import (
    DecryptContext,
    DecryptFailed,
    DecryptOptions,
    SealedOptions,
    run_decryptors,
)
from secretsops.decryptors.registry import load_decryptors
from secretsops.decryptors.sealed import SealedDecryptor
from secretsops.manifests import SourcedObject
from secretsops.sealed.sealing import SealOptions, seal_secret
from tests.helpers import assert_no_canary

from .conftest import secret


def _item(kp, value="v", name="db"):
    return SourcedObject(
        seal_secret(kp.public, secret(name=name, stringData={"k": value}), SealOptions()), "apps/db.yaml", 0
    )


def test_registered_under_the_decryptors_entry_point():
    assert [type(d) for d in load_decryptors(["sealed"])] == [SealedDecryptor]


def test_claims_and_protects_sealed_secrets_only(kp):
    dec = SealedDecryptor()
    assert dec.claims(_item(kp).obj) and dec.is_protected(_item(kp).obj)
    assert not dec.claims(secret(stringData={"a": "b"}))


def test_pipeline_turns_sealed_secret_into_secret_with_key_files(keypairs, canary):
    ctx = DecryptContext(sealing_key_files=[str(k.key_path) for k in keypairs])
    plain = SourcedObject({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    out = run_decryptors([_item(keypairs[1], canary), plain], [SealedDecryptor()], ctx)
    assert [o.obj["kind"] for o in out] == ["Secret", "ConfigMap"]
    assert base64.b64decode(out[0].obj["data"]["k"]).decode() == canary
    assert out[0].extra["decryptor"] == "sealed"


def test_opened_by_memory_lives_in_ctx_cache_and_saves_rsa_work(keypairs):
    ctx = DecryptContext(sealing_key_files=[str(k.key_path) for k in keypairs])
    run_decryptors([_item(keypairs[2])], [SealedDecryptor()], ctx)
    cold = ctx.calls["sealed.rsa"]
    run_decryptors([_item(keypairs[2], value="changed")], [SealedDecryptor()], ctx)
    assert cold == 3
    assert ctx.calls["sealed.rsa"] - cold == 1


def test_object_that_does_not_open_fails_the_unit_naming_file_and_object(keypairs, canary):
    ctx = DecryptContext(sealing_key_files=[str(keypairs[0].key_path)])
    with pytest.raises(DecryptFailed) as err:
        run_decryptors([_item(keypairs[1], canary)], [SealedDecryptor()], ctx)
    message = str(err.value)
    assert message.startswith("apps/db.yaml: SealedSecret.bitnami.com/shop/db:")
    assert "no key could decrypt secret" in message
    assert_no_canary(canary, message)


def test_no_keys_configured_is_a_clear_error(kp):
    with pytest.raises(DecryptFailed, match="no sealing key"):
        run_decryptors([_item(kp)], [SealedDecryptor()], DecryptContext())


def test_template_data_is_rendered_with_go_templates_and_sprig(kp):
    item = _item(kp, value="abc")
    item.obj["spec"]["template"]["data"] = {"up": "{{ .k | upper }}"}
    ctx = DecryptContext(sealing_key_files=[str(kp.key_path)])
    out = run_decryptors([item], [SealedDecryptor()], ctx)
    assert base64.b64decode(out[0].obj["data"]["up"]) == b"ABC"


@pytest.mark.parametrize(
    ("policy", "uid", "expected"),
    [("always", None, True), ("with-uid", None, False), ("with-uid", "u1", True), ("never", "u1", False)],
)
def test_owner_reference_policy(kp, policy, uid, expected):
    item = _item(kp)
    if uid:
        item.obj["metadata"]["uid"] = uid
    options = DecryptOptions(sealed=SealedOptions(owner_references=policy))
    ctx = DecryptContext(sealing_key_files=[str(kp.key_path)], options=options)
    out = run_decryptors([item], [SealedDecryptor()], ctx)
    assert ("ownerReferences" in out[0].obj["metadata"]) is expected


def test_plaintext_pasted_into_encrypted_data_is_not_protected(kp):
    item = _item(kp)
    dec = SealedDecryptor()
    assert dec.is_protected(item.obj)
    item.obj["spec"]["encryptedData"]["k"] = base64.b64encode(b"hunter2").decode()
    assert not dec.is_protected(item.obj)
    item.obj["spec"]["encryptedData"]["k"] = "hunter2"
    assert not dec.is_protected(item.obj)
