"""Secret → SealedSecret, shaped as kubeseal's NewSealedSecret/Seal shape it."""

from __future__ import annotations

import json

import pytest

from secretsops.errors import SealedError
from secretsops.sealed.output import render
from secretsops.sealed.scope import Scope
from secretsops.sealed.sealing import SealOptions, merge_into, seal_all, seal_secret
from secretsops.sealed.unsealing import Unsealer

from .conftest import secret


def test_sealed_secret_metadata_holds_only_name_namespace_and_scope(kp):
    obj = secret(metadata={"labels": {"app": "x"}, "annotations": {"note": "n"}}, stringData={"a": "b"})
    sealed = seal_secret(kp.public, obj, SealOptions(scope=Scope.NAMESPACE_WIDE))
    assert sealed["metadata"] == {
        "name": "db",
        "namespace": "shop",
        "creationTimestamp": None,
        "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"},
    }


def test_template_copies_type_labels_annotations_and_immutable(kp):
    obj = secret(
        type="kubernetes.io/basic-auth",
        immutable=True,
        stringData={"username": "u"},
        metadata={"labels": {"app": "x"}, "annotations": {"note": "n"}, "finalizers": ["f"]},
    )
    template = seal_secret(kp.public, obj, SealOptions())["spec"]["template"]
    assert template["type"] == "kubernetes.io/basic-auth"
    assert template["immutable"] is True
    assert template["metadata"] == {
        "name": "db",
        "namespace": "shop",
        "creationTimestamp": None,
        "labels": {"app": "x"},
        "annotations": {"note": "n"},
        "finalizers": ["f"],
    }


def test_last_applied_annotation_is_stripped_because_it_holds_plaintext(kp, canary):
    last = json.dumps({"stringData": {"a": canary}})
    obj = secret(
        stringData={"a": canary},
        metadata={"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last}},
    )
    text = render([seal_secret(kp.public, obj, SealOptions())], "yaml")
    assert canary not in text
    assert "last-applied" not in text


def test_server_fields_and_owner_references_are_dropped(kp):
    obj = secret(
        stringData={"a": "b"},
        metadata={
            "uid": "u1",
            "resourceVersion": "7",
            "generation": 3,
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "selfLink": "/x",
            "ownerReferences": [{"kind": "X", "name": "y", "uid": "z", "apiVersion": "v1"}],
        },
    )
    meta = seal_secret(kp.public, obj, SealOptions())["spec"]["template"]["metadata"]
    assert meta == {"name": "db", "namespace": "shop", "creationTimestamp": None}


def test_scope_flag_also_annotates_the_template(kp):
    sealed = seal_secret(kp.public, secret(stringData={"a": "b"}), SealOptions(scope=Scope.CLUSTER_WIDE))
    anno = sealed["spec"]["template"]["metadata"]["annotations"]
    assert anno == {"sealedsecrets.bitnami.com/cluster-wide": "true"}


def test_scope_comes_from_input_annotations_without_flag(kp):
    obj = secret(
        stringData={"a": "b"}, metadata={"annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"}}
    )
    sealed = seal_secret(kp.public, obj, SealOptions())
    assert sealed["metadata"]["annotations"] == {"sealedsecrets.bitnami.com/namespace-wide": "true"}


def test_missing_namespace_takes_the_default_namespace(kp):
    sealed = seal_secret(
        kp.public, secret(namespace=None, stringData={"a": "b"}), SealOptions(namespace="team")
    )
    assert sealed["metadata"]["namespace"] == "team"
    assert sealed["spec"]["template"]["metadata"]["namespace"] == "team"


def test_cluster_wide_secret_keeps_its_empty_namespace(kp):
    sealed = seal_secret(
        kp.public,
        secret(namespace=None, stringData={"a": "b"}),
        SealOptions(scope=Scope.CLUSTER_WIDE, namespace="team"),
    )
    assert "namespace" not in sealed["metadata"]


def test_explicit_namespace_that_contradicts_the_secret_is_an_error(kp):
    with pytest.raises(SealedError, match="namespace mismatch"):
        seal_secret(
            kp.public, secret(stringData={"a": "b"}), SealOptions(namespace="other", namespace_explicit=True)
        )


def test_name_flag_overrides_the_secret_name_and_binds_the_label(kp):
    sealed = seal_secret(kp.public, secret(stringData={"a": "b"}), SealOptions(name="renamed"))
    assert sealed["metadata"]["name"] == "renamed"
    assert Unsealer([kp.sealing_key()]).unseal(sealed)["metadata"]["name"] == "renamed"


def test_empty_data_is_refused_unless_allowed(kp):
    with pytest.raises(SealedError, match="allow-empty-data"):
        seal_secret(kp.public, secret(), SealOptions())
    sealed = seal_secret(kp.public, secret(), SealOptions(allow_empty_data=True))
    assert sealed["spec"]["encryptedData"] == {}


def test_secret_without_name_is_refused(kp):
    with pytest.raises(SealedError, match="missing metadata.name"):
        seal_secret(kp.public, secret(name="", stringData={"a": "b"}), SealOptions())


def test_invalid_base64_in_data_names_the_key_not_the_value(kp):
    with pytest.raises(SealedError, match=r"data\.pw is not valid base64") as err:
        seal_secret(kp.public, secret(data={"pw": "not base64!!"}), SealOptions())
    assert "not base64!!" not in str(err.value)


def test_string_data_wins_over_data_for_the_same_key(kp):
    sealed = seal_secret(kp.public, secret(data={"a": "eA=="}, stringData={"a": "y"}), SealOptions())
    assert Unsealer([kp.sealing_key()]).unseal(sealed)["data"] == {"a": "eQ=="}


def test_non_secret_input_is_refused(kp):
    with pytest.raises(SealedError, match="expected a Secret"):
        seal_secret(
            kp.public, {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}, SealOptions()
        )


def test_no_secrets_at_all_is_an_error(kp):
    with pytest.raises(SealedError, match="no secrets found"):
        seal_all(kp.public, [], SealOptions())


def test_json_output_follows_go_field_order(kp):
    sealed = seal_secret(kp.public, secret(type="Opaque", stringData={"b": "1", "a": "2"}), SealOptions())
    text = render([sealed], "json")
    assert text.startswith(
        '{\n  "kind": "SealedSecret",\n  "apiVersion": "bitnami.com/v1alpha1",\n  "metadata"'
    )
    assert list(json.loads(text)["spec"]) == ["template", "encryptedData"]
    assert list(json.loads(text)["spec"]["encryptedData"]) == ["a", "b"]
    assert text.endswith("}\n")


def test_yaml_output_starts_each_document_with_separator_and_sorts_keys(kp):
    sealed = seal_secret(kp.public, secret(stringData={"a": "2"}), SealOptions(scope=Scope.CLUSTER_WIDE))
    text = render([sealed, sealed], "yaml")
    assert text.count("---\n") == 2
    assert text.startswith(
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  annotations:"
    )
    assert 'sealedsecrets.bitnami.com/cluster-wide: "true"' in text


def test_merge_into_adds_and_replaces_items_and_keeps_the_rest(kp):
    original = seal_secret(
        kp.public, secret(stringData={"a": "1", "b": "2"}, metadata={"labels": {"x": "1"}}), SealOptions()
    )
    update = seal_secret(
        kp.public, secret(stringData={"b": "3", "c": "4"}, metadata={"labels": {"y": "2"}}), SealOptions()
    )
    merged = merge_into(original, update)
    assert merged["spec"]["encryptedData"]["a"] == original["spec"]["encryptedData"]["a"]
    assert merged["spec"]["template"]["metadata"]["labels"] == {"x": "1", "y": "2"}
    data = Unsealer([kp.sealing_key()]).unseal(merged)["data"]
    assert data == {"a": "MQ==", "b": "Mw==", "c": "NA=="}


def test_base64_with_line_breaks_is_accepted_as_go_does(kp):
    sealed = seal_secret(kp.public, secret(data={"a": "aGVs\nbG8="}), SealOptions())
    assert Unsealer([kp.sealing_key()]).unseal(sealed)["data"] == {"a": "aGVsbG8="}


def test_unquoted_yaml_number_or_boolean_is_refused_as_kubeseal_does(kp):
    with pytest.raises(SealedError, match=r"stringData\.port must be a string, found int"):
        seal_secret(kp.public, secret(stringData={"port": 5432}), SealOptions())


@pytest.mark.parametrize(
    ("field", "body", "message"),
    [
        ("metadata", {"metadata": ["a"]}, "metadata must be a mapping"),
        ("annotations", {"metadata": {"name": "a", "annotations": ["x"]}}, "metadata.annotations must be"),
        ("labels", {"metadata": {"name": "a", "labels": {"n": 1}}}, "metadata.labels must be"),
        ("namespace", {"metadata": {"name": "a", "namespace": 5}}, "metadata.namespace must be a string"),
        ("type", {"metadata": {"name": "a"}, "type": ["x"]}, "type must be a string"),
        ("immutable", {"metadata": {"name": "a"}, "immutable": "yes"}, "immutable must be true or false"),
    ],
)
def test_wrongly_typed_secret_fields_are_refused_naming_the_field(kp, field, body, message):
    obj = {"apiVersion": "v1", "kind": "Secret", "stringData": {"a": "b"}, **body}
    with pytest.raises(SealedError, match=message):
        seal_secret(kp.public, obj, SealOptions())
