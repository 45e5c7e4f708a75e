"""What is applied: canonical Secrets, namespaces and CRDs first, prune opt-outs."""

from __future__ import annotations

import pytest

from secretsops.engine.apply import apply_order, prepare, prune_protected
from secretsops.engine.status import SourceStatus, table
from secretsops.errors import RenderError
from secretsops.manifests import SourcedObject


def secret(**fields: object) -> SourcedObject:
    return SourcedObject(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, **fields}, "s.yaml"
    )


def test_string_data_is_folded_into_canonical_data() -> None:
    obj = prepare(secret(data={"a": "YQ==\n"}, stringData={"b": "bee", "a": "override"}))
    assert obj["data"] == {"a": "b3ZlcnJpZGU=", "b": "YmVl"} and "stringData" not in obj


def test_invalid_base64_names_the_key_and_file_not_the_value() -> None:
    with pytest.raises(RenderError, match=r"s\.yaml: Secret data key 'k' is not valid base64") as err:
        prepare(secret(data={"k": "not base64 CANARY!"}))
    assert "CANARY" not in str(err.value)


def test_target_namespace_applies_to_namespaced_objects_only() -> None:
    ns = SourcedObject({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
    cm = SourcedObject({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}})
    assert "namespace" not in prepare(ns, "t")["metadata"]
    assert prepare(cm, "t")["metadata"]["namespace"] == "t"


def test_server_owned_metadata_is_not_applied() -> None:
    obj = prepare(
        secret(metadata={"name": "s", "resourceVersion": "1", "uid": "u", "creationTimestamp": None})
    )
    assert obj["metadata"] == {"name": "s"}


def test_definitions_then_classes_then_the_rest_in_declared_order() -> None:
    """Flux's stages: Namespaces, CRDs and ClusterRoles, then ``*Class`` kinds, then the rest."""
    objs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "1"}},
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}},
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "c"},
        },
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "2"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}},
    ]
    assert [o["kind"] for o in apply_order(objs)] == [
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "PriorityClass",
        "ConfigMap",
        "Secret",
    ]


def test_a_kind_named_like_a_definition_in_another_group_is_not_one() -> None:
    assert (
        apply_order(
            [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "1"}},
                {"apiVersion": "example.io/v1", "kind": "Namespace", "metadata": {"name": "n"}},
            ]
        )[0]["kind"]
        == "ConfigMap"
    )


@pytest.mark.parametrize(
    "meta",
    [
        {"annotations": {"secretsops.io/prune": "disabled"}},
        {"labels": {"secretsops.io/prune": "disabled"}},
        {"annotations": {"kustomize.toolkit.fluxcd.io/prune": "disabled"}},
    ],
)
def test_prune_opt_outs(meta: dict) -> None:
    assert prune_protected({"metadata": meta})


def test_prune_is_allowed_without_an_opt_out() -> None:
    assert not prune_protected({"metadata": {"annotations": {"secretsops.io/prune": "enabled"}}})


def test_condition_transition_time_moves_only_when_status_changes() -> None:
    st = SourceStatus("a")
    st.ready("ReconciliationSucceeded", "one")
    first = st.condition("Ready").lastTransitionTime  # type: ignore[union-attr]
    st.conditions[0].lastTransitionTime = "2000-01-01T00:00:00Z"
    st.ready("ReconciliationSucceeded", "two")
    assert st.condition("Ready").lastTransitionTime == "2000-01-01T00:00:00Z"  # type: ignore[union-attr]
    st.failed("BuildFailed", "x.yaml: broken", stalled=True)
    assert st.condition("Ready").lastTransitionTime != "2000-01-01T00:00:00Z" and first  # type: ignore[union-attr]
    assert st.condition("Stalled").status == "True"  # type: ignore[union-attr]


def test_status_table_has_one_row_per_source() -> None:
    a, b = SourceStatus("a", lastAppliedRevision="main@sha1:1"), SourceStatus("b")
    a.ready("ReconciliationSucceeded", "Applied revision: main@sha1:1")
    b.failed("BuildFailed", "x.yaml: broken", stalled=True)
    lines = table([a, b]).splitlines()
    assert lines[1].split()[:4] == ["a", "True", "ReconciliationSucceeded", "main@sha1:1"]
    assert lines[2].split()[:4] == ["b", "False", "BuildFailed", "-"]
