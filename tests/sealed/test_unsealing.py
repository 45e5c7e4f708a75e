"""SealedSecret → Secret as the controller's Unseal makes it, and why it fails when it does."""

from __future__ import annotations

import base64
import copy

import pytest
from kubesealpy import Sealer, SealingScope

from secretsops.errors import UnsealError
from secretsops.sealed.crypto import hybrid_encrypt
from secretsops.sealed.scope import Scope
from secretsops.sealed.sealing import SealOptions, seal_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory, re_encrypt
from tests.helpers import assert_no_canary

from .conftest import secret


def _sealed(kp, scope=Scope.STRICT, **extra):
    return seal_secret(
        kp.public, secret(**{"stringData": {"pw": "s3cret"}, **extra}), SealOptions(scope=scope)
    )


def test_secret_gets_template_metadata_type_and_owner_reference(kp):
    sealed = _sealed(kp, type="Opaque", metadata={"labels": {"app": "x"}})
    sealed["metadata"]["uid"] = "1234"
    out = Unsealer([kp.sealing_key()]).unseal(sealed)
    assert out["type"] == "Opaque"
    assert out["metadata"]["labels"] == {"app": "x"}
    assert out["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "bitnami.com/v1alpha1",
            "kind": "SealedSecret",
            "name": "db",
            "uid": "1234",
            "controller": True,
        }
    ]


def test_skip_set_owner_references_annotation_leaves_them_out(kp):
    sealed = _sealed(
        kp, metadata={"annotations": {"sealedsecrets.bitnami.com/skip-set-owner-references": "true"}}
    )
    assert "ownerReferences" not in Unsealer([kp.sealing_key()]).unseal(sealed)["metadata"]


def test_managed_and_patch_annotations_are_carried_to_the_secret(kp):
    anno = {"sealedsecrets.bitnami.com/managed": "true", "sealedsecrets.bitnami.com/patch": "true"}
    out = Unsealer([kp.sealing_key()]).unseal(_sealed(kp, metadata={"annotations": anno}))
    assert out["metadata"]["annotations"] == anno


def test_immutable_is_copied_from_the_template(kp):
    assert Unsealer([kp.sealing_key()]).unseal(_sealed(kp, immutable=True))["immutable"] is True


def test_name_and_namespace_come_from_the_sealed_secret_not_the_template(kp):
    sealed = _sealed(kp, scope=Scope.CLUSTER_WIDE)
    sealed["metadata"].update(name="copy", namespace="elsewhere")
    out = Unsealer([kp.sealing_key()]).unseal(sealed)
    assert (out["metadata"]["namespace"], out["metadata"]["name"]) == ("elsewhere", "copy")


def test_template_data_renders_over_decrypted_values(kp):
    sealed = _sealed(kp)
    sealed["spec"]["template"]["data"] = {"dsn": 'postgres://app:{{ .pw }}@db/{{ index . "pw" }}'}
    data = Unsealer([kp.sealing_key()]).unseal(sealed)["data"]
    assert base64.b64decode(data["dsn"]) == b"postgres://app:s3cret@db/s3cret"  # secretsops:ignore test value


def test_template_with_an_unknown_function_fails_closed_naming_key_and_function(kp):
    sealed = _sealed(kp)
    sealed["spec"]["template"]["data"] = {"x": "{{ .pw | pkcs12key }}"}  # ESO's, not in sprig
    with pytest.raises(UnsealError, match='x: template: x:1: function "pkcs12key" not defined') as err:
        Unsealer([kp.sealing_key()]).unseal(sealed)
    assert "s3cret" not in str(err.value)


def test_template_data_renders_with_sprig_functions(kp):
    sealed = _sealed(kp)
    sealed["spec"]["template"]["data"] = {"x": "{{ .pw | upper }}-{{ .missing }}"}
    out = Unsealer([kp.sealing_key()]).unseal(sealed)
    assert base64.b64decode(out["data"]["x"]) == b"S3CRET-<no value>"


def test_template_data_null_removes_the_key_like_the_controller(kp):
    sealed = _sealed(kp)
    sealed["spec"]["template"]["data"] = {"pw": None}
    out = Unsealer([kp.sealing_key()]).unseal(sealed)
    assert "pw" not in out["data"]


def test_value_moved_to_another_namespace_reports_what_it_was_sealed_for(kp):
    sealed = _sealed(kp)
    sealed["metadata"]["namespace"] = "payments"
    with pytest.raises(UnsealError, match="sealed strict for shop/db, found in payments/db"):
        Unsealer([kp.sealing_key()]).unseal(sealed)


def test_value_sealed_namespace_wide_but_annotation_lost_is_explained(kp):
    sealed = _sealed(kp, scope=Scope.NAMESPACE_WIDE)
    del sealed["metadata"]["annotations"]
    with pytest.raises(UnsealError, match="sealed namespace-wide for namespace shop, found in shop/db"):
        Unsealer([kp.sealing_key()]).unseal(sealed)


def test_renamed_copy_names_the_original_from_the_template(kp):
    sealed = _sealed(kp)
    sealed["metadata"]["name"] = "db-copy"
    with pytest.raises(UnsealError, match="sealed strict for shop/db, found in shop/db-copy"):
        Unsealer([kp.sealing_key()]).unseal(sealed)


def test_foreign_key_is_reported_with_the_fingerprints_tried(keypairs):
    sealed = _sealed(keypairs[0])
    with pytest.raises(UnsealError, match="no key could decrypt secret: none of the 1 key"):
        Unsealer([keypairs[1].sealing_key()]).unseal(sealed)


def test_tampered_payload_is_reported_as_tampering(kp):
    sealed = _sealed(kp)
    blob = bytearray(base64.b64decode(sealed["spec"]["encryptedData"]["pw"]))
    blob[-1] ^= 1
    sealed["spec"]["encryptedData"]["pw"] = base64.b64encode(bytes(blob)).decode()
    with pytest.raises(UnsealError, match="tampered"):
        Unsealer([kp.sealing_key()]).unseal(sealed)


@pytest.mark.parametrize("garbage", ["%%%", "AQ==", base64.b64encode(b"\x00\x10" + b"x" * 40).decode()])
def test_garbage_ciphertext_is_a_one_line_error(kp, garbage):
    sealed = _sealed(kp)
    sealed["spec"]["encryptedData"]["pw"] = garbage
    with pytest.raises(UnsealError) as err:
        Unsealer([kp.sealing_key()]).unseal(sealed)
    assert "\n" not in str(err.value)
    assert "pw:" in str(err.value)


def test_failure_never_quotes_plaintext_of_values_that_did_open(kp, canary):
    sealed = seal_secret(kp.public, secret(stringData={"ok": canary, "bad": "x"}), SealOptions())
    sealed["spec"]["encryptedData"]["bad"] = "AQ=="
    with pytest.raises(UnsealError) as err:
        Unsealer([kp.sealing_key()]).unseal(sealed)
    assert_no_canary(canary, str(err.value))


def test_no_keys_at_all_is_an_unseal_error():
    with pytest.raises(UnsealError, match="no private key"):
        Unsealer([])


def test_remembered_key_is_tried_first_next_time(keypairs):
    ring = [kp.sealing_key() for kp in keypairs]
    sealed = _sealed(keypairs[2])
    memory = UnsealMemory()
    Unsealer(ring, memory=memory).unseal(sealed)
    first = memory.rsa_operations
    fresh = copy.deepcopy(sealed)
    fresh["spec"]["encryptedData"]["pw"] = base64.b64encode(
        hybrid_encrypt(keypairs[2].public, b"new", b"shop/db")
    ).decode()
    Unsealer(ring, memory=memory).unseal(fresh)
    assert first == 3
    assert memory.rsa_operations - first == 1


def test_session_keys_are_cached_so_reopening_costs_no_rsa(kp):
    memory = UnsealMemory()
    sealed = _sealed(kp)
    Unsealer([kp.sealing_key()], memory=memory).unseal(sealed)
    before = memory.rsa_operations
    Unsealer([kp.sealing_key()], memory=memory).unseal(sealed)
    assert memory.rsa_operations == before


def test_cached_session_key_does_not_open_once_its_key_is_removed(keypairs):
    memory = UnsealMemory()
    sealed = _sealed(keypairs[0])
    Unsealer([keypairs[0].sealing_key()], memory=memory).unseal(sealed)
    with pytest.raises(UnsealError):
        Unsealer([keypairs[1].sealing_key()], memory=memory).unseal(sealed)


def test_deprecated_v1_data_is_still_opened(kp):
    import json

    inner = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "data": {"a": "Yg=="},
        }
    ).encode()
    sealed = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"data": base64.b64encode(hybrid_encrypt(kp.public, inner, b"shop/db")).decode()},
    }
    assert Unsealer([kp.sealing_key()]).unseal(sealed)["data"] == {"a": "Yg=="}


def test_re_encrypt_moves_values_to_the_new_key_and_keeps_the_template(keypairs):
    old, new = keypairs[0], keypairs[1]
    sealed = _sealed(old, scope=Scope.NAMESPACE_WIDE)
    sealed["spec"]["template"]["data"] = {"dsn": "x={{ .pw }}"}
    moved = re_encrypt(sealed, Unsealer([old.sealing_key()]), new.public)
    assert moved["spec"]["template"] == sealed["spec"]["template"]
    out = Unsealer([new.sealing_key()]).unseal(moved)
    assert base64.b64decode(out["data"]["pw"]) == b"s3cret"
    with pytest.raises(UnsealError):
        Unsealer([old.sealing_key()]).unseal(moved)


def test_kubesealpy_namespace_wide_secret_opens_in_another_name(kp):
    sealed = Sealer(kp.public).seal("db", "shop", {"k": b"v"}, scope=SealingScope.NAMESPACE_WIDE)
    obj = sealed.model_dump(by_alias=True, exclude_none=True)
    obj["metadata"]["name"] = "other"
    assert Unsealer([kp.sealing_key()]).unseal(obj)["metadata"]["name"] == "other"


def test_warming_a_unit_leaves_only_aes_work_for_unseal(keypairs):
    ring = [kp.sealing_key() for kp in keypairs]
    objs = [_sealed(keypairs[1], metadata={"name": f"s{i}"}) for i in range(4)]
    unsealer = Unsealer(ring, memory=UnsealMemory())
    assert unsealer.warm(objs) == 4
    after_warm = unsealer.memory.rsa_operations
    for obj in objs:
        unsealer.unseal(obj)
    assert unsealer.memory.rsa_operations == after_warm
    assert unsealer.warm(objs) == 0


def test_value_shorter_than_its_length_prefix_is_too_short_not_bad_base64(kp):
    sealed = _sealed(kp)
    sealed["spec"]["encryptedData"]["pw"] = "AQA="  # valid base64: a 256-byte RSA length, nothing after
    with pytest.raises(UnsealError, match="pw: SealedSecret data is too short"):
        Unsealer([kp.sealing_key()]).unseal(sealed)


def test_metadata_that_is_not_a_mapping_is_a_clear_error(kp):
    sealed = _sealed(kp)
    sealed["metadata"] = ["db"]
    with pytest.raises(UnsealError, match="SealedSecret metadata must be a mapping"):
        Unsealer([kp.sealing_key()]).unseal(sealed)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (lambda s: s["metadata"].update(annotations=5), "metadata.annotations must be a mapping"),
        (lambda s: s["spec"].update(template="x"), "spec.template must be a mapping"),
        (lambda s: s["spec"]["template"].update(metadata=["a"]), "spec.template.metadata must be a mapping"),
        (
            lambda s: s["spec"]["template"]["metadata"].update(labels="a"),
            "spec.template.metadata.labels must be a mapping",
        ),
        (lambda s: s["spec"]["template"].update(data=["a"]), "spec.template.data must be a mapping"),
    ],
)
def test_malformed_maps_are_one_line_errors(kp, patch, message):
    sealed = _sealed(kp)
    patch(sealed)
    with pytest.raises(UnsealError, match=message):
        Unsealer([kp.sealing_key()]).unseal(sealed)


@pytest.mark.parametrize("spec", ["x", ["a"], 5, True])
def test_re_encrypting_a_spec_that_is_not_a_mapping_is_a_one_line_error(kp, spec):
    sealed = _sealed(kp)
    sealed["spec"] = spec
    with pytest.raises(UnsealError, match="has no spec"):
        re_encrypt(sealed, Unsealer([kp.sealing_key()]), kp.public)


def test_keys_failing_for_the_same_reason_are_reported_once(kp):
    sealed = _sealed(kp)
    sealed["metadata"]["namespace"] = "elsewhere"
    sealed["spec"]["encryptedData"]["other"] = sealed["spec"]["encryptedData"]["pw"]
    with pytest.raises(UnsealError) as err:
        Unsealer([kp.sealing_key()]).unseal(sealed)
    assert "other, pw: no key could decrypt secret: it was sealed strict for shop/db" in str(err.value)
    assert str(err.value).count("no key could decrypt") == 1
