"""Label and field selectors filter lists the way the apiserver does."""

from __future__ import annotations

import pytest
from kubernetes.client import ApiException, CoreV1Api


@pytest.fixture
def labelled(core: CoreV1Api) -> CoreV1Api:
    for name, labels in (
        ("a", {"app": "web", "tier": "front"}),
        ("b", {"app": "db"}),
        ("c", {"app": "cache", "tier": "back"}),
        ("d", {}),
    ):
        core.create_namespaced_config_map("default", {"metadata": {"name": name, "labels": labels}})
    return core


def _names(core: CoreV1Api, **kw: str) -> list[str]:
    return [i.metadata.name for i in core.list_namespaced_config_map("default", **kw).items]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a"]),
        ("app==web", ["a"]),
        ("app!=web", ["b", "c", "d"]),
        ("app in (web,db)", ["a", "b"]),
        ("app notin (web, db)", ["c", "d"]),
        ("tier", ["a", "c"]),
        ("!tier", ["b", "d"]),
        ("app,tier=back", ["c"]),
    ],
)
def test_label_selector(labelled: CoreV1Api, selector: str, expected: list[str]) -> None:
    assert _names(labelled, label_selector=selector) == expected


def test_malformed_label_selector_is_bad_request(labelled: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        _names(labelled, label_selector="app in web")
    assert err.value.status == 400


def test_field_selector_by_name(labelled: CoreV1Api) -> None:
    assert _names(labelled, field_selector="metadata.name=b") == ["b"]
    assert _names(labelled, field_selector="metadata.name!=b") == ["a", "c", "d"]


def test_field_selector_by_namespace_across_namespaces(core: CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "other"}})
    core.create_namespaced_config_map("other", {"metadata": {"name": "x"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "y"}})
    listed = core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=other")
    assert [i.metadata.name for i in listed.items] == ["x"]


def test_unsupported_field_selector_is_bad_request(labelled: CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        _names(labelled, field_selector="data.x=1")
    assert err.value.status == 400 and '\\"data.x\\" is not a known field selector' in err.value.body


def test_limit_and_continue_page_through_a_list(labelled: CoreV1Api) -> None:
    first = labelled.list_namespaced_config_map("default", limit=3)
    assert [i.metadata.name for i in first.items] == ["a", "b", "c"]
    assert first.metadata.remaining_item_count == 1
    rest = labelled.list_namespaced_config_map("default", limit=3, _continue=first.metadata._continue)
    assert [i.metadata.name for i in rest.items] == ["d"] and not rest.metadata._continue
