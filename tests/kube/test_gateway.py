"""The one Kubernetes gateway (``secretsops.kube``): what it asks the API server and how failures read.

What the API does is tested against the real kube-apiserver (``realkube``); how failures are mapped
uses the test server's fault injection, or a loopback stand-in where the wire itself is the point.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from secretsops.errors import (
    KubeConflict,
    KubeForbidden,
    KubeRejected,
    KubeUnavailable,
    WatchExpired,
)
from secretsops.kube import Backoff, KubeClient, connect

NS = "default"


def cm(name: str = "app", **data: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS},
        "data": data,
    }


@pytest.fixture
def kube(kubeapi) -> KubeClient:  # type: ignore[no-untyped-def]
    sleeps: list[float] = []
    client = KubeClient(kubeapi.api_client(), backoff=Backoff(sleep=sleeps.append))
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


@pytest.mark.realkube
def test_a_missing_object_reads_as_none(kube: KubeClient) -> None:
    assert kube.get("v1", "ConfigMap", NS, "absent") is None


@pytest.mark.realkube
def test_apply_creates_and_get_reads_back_plain_dicts(kube: KubeClient) -> None:
    kube.apply(cm(a="1"))
    got = kube.get("v1", "ConfigMap", NS, "app")
    assert got is not None and got["data"] == {"a": "1"}


@pytest.mark.realkube
def test_dry_run_apply_leaves_nothing_behind(kube: KubeClient) -> None:
    answered = kube.apply(cm(a="1"), dry_run=True)
    assert answered["data"] == {"a": "1"}
    assert kube.get("v1", "ConfigMap", NS, "app") is None


@pytest.mark.realkube
def test_creating_an_existing_object_is_a_conflict_without_retries(kube: KubeClient) -> None:
    kube.create(cm())
    with pytest.raises(KubeConflict) as err:
        kube.create(cm())
    assert err.value.status == 409 and err.value.temporary
    assert kube.sleeps == []  # type: ignore[attr-defined]


@pytest.mark.realkube
def test_replace_with_a_stale_resource_version_is_a_conflict(kube: KubeClient) -> None:
    first = kube.create(cm(a="1"))
    kube.replace({**first, "data": {"a": "2"}})
    with pytest.raises(KubeConflict):
        kube.replace({**first, "data": {"a": "3"}})
    assert (kube.get("v1", "ConfigMap", NS, "app") or {})["data"] == {"a": "2"}


@pytest.mark.realkube
def test_merge_patch_changes_one_key_and_a_gone_object_patches_to_none(kube: KubeClient) -> None:
    kube.create(cm(a="1", b="2"))
    patched = kube.patch("v1", "ConfigMap", NS, "app", {"data": {"b": "3"}})
    assert patched is not None and patched["data"] == {"a": "1", "b": "3"}
    assert kube.patch("v1", "ConfigMap", NS, "gone", {"data": {"b": "3"}}) is None


@pytest.mark.realkube
def test_delete_says_whether_there_was_something_to_delete(kube: KubeClient) -> None:
    kube.create(cm())
    assert kube.delete("v1", "ConfigMap", NS, "app") is True
    assert kube.delete("v1", "ConfigMap", NS, "app") is False


@pytest.mark.realkube
def test_list_page_carries_the_resource_version_to_watch_from(kube: KubeClient) -> None:
    kube.create(cm("one"))
    page = kube.list_page("v1", "ConfigMap", NS)
    assert [o["metadata"]["name"] for o in page["items"]] == ["one"]
    assert page["metadata"]["resourceVersion"]


@pytest.mark.realkube
def test_watch_from_a_list_sees_what_is_created_after_it(kube: KubeClient) -> None:
    rv = kube.list_page("v1", "ConfigMap", NS)["metadata"]["resourceVersion"]
    kube.create(cm("later"))
    stream = kube.watch("v1", "ConfigMap", NS, resource_version=rv, timeout_seconds=5)
    try:
        event = next(e for e in stream if e["type"] != "BOOKMARK")
    finally:
        stream.close()
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "later"


def test_watch_from_an_expired_resource_version_says_list_again(kubeapi, kube: KubeClient) -> None:  # type: ignore[no-untyped-def]
    kubeapi.inject("GET", r"/api/v1/namespaces/default/configmaps", 410)
    with pytest.raises(WatchExpired):
        stream = kube.watch("v1", "ConfigMap", NS, resource_version="1", timeout_seconds=5)
        list(stream)


@pytest.mark.realkube
def test_token_request_for_a_service_account_and_none_for_a_missing_one(kube: KubeClient) -> None:
    kube.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": NS}})
    token = kube.create_token(NS, "app", ["vault"], 600)
    assert token and token.count(".") == 2  # a JWT
    assert kube.create_token(NS, "nobody", ["vault"], 600) is None


def test_a_rejected_write_names_object_status_and_fields_never_the_servers_message(
    kubeapi,
    kube: KubeClient,
    canary: str,  # type: ignore[no-untyped-def]
) -> None:
    kubeapi.inject("PATCH", r"/configmaps/app", 422, message=f"data.a: Invalid value: {canary!r}")
    with pytest.raises(KubeRejected) as err:
        kube.apply(cm(a=canary))
    text = str(err.value)
    assert text.startswith("ConfigMap/default/app: Kubernetes API answered 422")
    assert canary not in text and not err.value.temporary


def test_access_denied_is_forbidden_and_permanent(kubeapi, kube: KubeClient) -> None:  # type: ignore[no-untyped-def]
    kubeapi.inject("GET", r"/configmaps/app", 403)
    with pytest.raises(KubeForbidden) as err:
        kube.get("v1", "ConfigMap", NS, "app")
    assert err.value.status == 403 and not err.value.temporary


def test_server_errors_are_retried_with_backoff_then_succeed(kubeapi, kube: KubeClient) -> None:  # type: ignore[no-untyped-def]
    kubeapi.inject("GET", r"/configmaps/app", 503, times=2)
    assert kube.get("v1", "ConfigMap", NS, "app") is None
    assert len(kube.sleeps) == 2  # type: ignore[attr-defined]


def test_one_attempt_policy_does_not_retry(kubeapi, kube: KubeClient) -> None:  # type: ignore[no-untyped-def]
    kubeapi.inject("GET", r"/configmaps/app", 503)
    with pytest.raises(KubeUnavailable):
        kube.with_policy(attempts=1).get("v1", "ConfigMap", NS, "app")
    assert kube.sleeps == []  # type: ignore[attr-defined]


def test_an_unreachable_server_is_temporary_and_named_without_credentials(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from secretsops_devstack.services import free_port

    kubeconfig = tmp_path / "kubeconfig"
    server = f"http://127.0.0.1:{free_port()}"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters:\n- name: k\n  cluster:\n    server: {server.replace('//', '//user:pw@')}\n"
        "users:\n- name: u\n  user: {}\n"
        "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
    )
    kube = connect(str(kubeconfig)).with_policy(attempts=1, timeout=2)
    with pytest.raises(KubeUnavailable) as err:
        kube.get("v1", "Secret", NS, "db")
    assert err.value.temporary and f"Kubernetes API {server} unreachable" in str(err.value)
    assert "pw" not in str(err.value)


@pytest.mark.realkube
def test_an_impersonated_user_gets_that_users_rbac(kube: KubeClient) -> None:
    kube.create(cm())
    with pytest.raises(KubeForbidden) as err:
        kube.as_user("jane", ["developers"]).get("v1", "ConfigMap", NS, "app")
    assert err.value.status == 403
    assert kube.get("v1", "ConfigMap", NS, "app") is not None  # the client itself is unchanged


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[list[tuple[str, str]]]]]:
    """A loopback HTTP server answering ``{}`` and recording each request's headers."""
    seen: list[list[tuple[str, str]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(list(self.headers.items()))
            body = b'{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


def test_impersonation_sends_the_user_and_one_header_per_group(recording_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, seen = recording_server
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters:\n- name: k\n  cluster:\n    server: {url}\n"
        "users:\n- name: u\n  user: {}\n"
        "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
    )
    kube = connect(str(kubeconfig))
    kube.as_user("jane", ["dev", "ops"]).get("v1", "Secret", NS, "db")
    kube.get("v1", "Secret", NS, "db")
    tenant, own = seen
    assert ("Impersonate-User", "jane") in tenant
    assert [v for k, v in tenant if k == "Impersonate-Group"] == ["dev", "ops"]
    assert not [k for k, _ in own if k.startswith("Impersonate-")]


@pytest.mark.realkube
def test_served_version_picks_the_first_version_the_server_serves(kube: KubeClient) -> None:
    assert kube.served_version("coordination.k8s.io", ("v2", "v1"), "Lease") == "coordination.k8s.io/v1"
    assert kube.served_version("unserved.secretsops.invalid", ("v1", "v1beta1"), "Widget") is None
