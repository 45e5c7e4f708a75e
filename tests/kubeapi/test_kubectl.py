"""The real kubectl works against the server through the fixture's kubeconfig."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest

from secretsops_devstack.kubeapi import KubeApiServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: default
  labels: {app: demo}
data:
  a: "1"
"""


def kubectl(server: KubeApiServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run kubectl; its discovery cache lives under the per-test HOME the hermetic fixture sets."""
    assert server.kubeconfig is not None
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(server.kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.inmemory  # the context name of our server's kubeconfig
def test_kubeconfig_uses_the_kubeapi_test_context(kubeapi: KubeApiServer) -> None:
    result = kubectl(kubeapi, "config", "current-context")
    assert result.stdout.strip() == "kubeapi-test"


def test_kubectl_api_resources_lists_builtins(kubeapi: KubeApiServer) -> None:
    result = kubectl(kubeapi, "api-resources", "-o", "name")
    assert result.returncode == 0, result.stderr
    names = set(result.stdout.split())
    assert {"secrets", "configmaps", "deployments.apps", "leases.coordination.k8s.io"} <= names


def test_kubectl_server_side_apply_then_get(kubeapi: KubeApiServer) -> None:
    applied = kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=MANIFEST)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == "configmap/demo serverside-applied"
    got = json.loads(
        kubectl(kubeapi, "get", "configmap", "demo", "-o", "json", "--show-managed-fields").stdout
    )
    assert got["data"] == {"a": "1"} and got["metadata"]["managedFields"][0]["manager"] == "kubectl"


def test_kubectl_apply_conflict_fails_without_force(kubeapi: KubeApiServer) -> None:
    kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=MANIFEST)
    changed = MANIFEST.replace('"1"', '"2"')
    result = kubectl(kubeapi, "apply", "--server-side", "--field-manager", "other", "-f", "-", stdin=changed)
    assert result.returncode != 0 and 'conflict with "kubectl": .data.a' in result.stderr
    forced = kubectl(
        kubeapi,
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=changed,
    )
    assert forced.returncode == 0, forced.stderr


def test_kubectl_get_prints_the_apiservers_columns(kubeapi: KubeApiServer) -> None:
    kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=MANIFEST)
    lines = kubectl(kubeapi, "get", "configmaps").stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"] and lines[1].split()[:2] == ["demo", "1"]
    kubectl(kubeapi, "create", "secret", "generic", "s", "--from-literal=a=b", "--from-literal=c=d")
    lines = kubectl(kubeapi, "get", "secret", "s").stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "DATA", "AGE"] and lines[1].split()[:3] == [
        "s",
        "Opaque",
        "2",
    ]


def test_kubectl_get_uses_crd_printer_columns(kubeapi: KubeApiServer) -> None:
    import copy

    import yaml

    from tests.kubeapi.conftest import WIDGET_CRD

    crd = copy.deepcopy(WIDGET_CRD)
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    assert kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(crd)).returncode == 0
    widget = (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: 7}\n"
    )
    assert kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=widget).returncode == 0
    lines = kubectl(kubeapi, "get", "widgets").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "AGE"] and lines[1].split()[:2] == ["w", "7"]


def test_kubectl_label_selector_and_delete(kubeapi: KubeApiServer) -> None:
    kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=MANIFEST)
    assert kubectl(kubeapi, "get", "cm", "-l", "app=demo", "-o", "name").stdout.strip() == "configmap/demo"
    deleted = kubectl(kubeapi, "delete", "configmap", "demo")
    assert deleted.returncode == 0 and 'configmap "demo" deleted' in deleted.stdout


def test_kubectl_create_from_file_and_label(kubeapi: KubeApiServer) -> None:
    created = kubectl(kubeapi, "create", "-f", "-", stdin=MANIFEST)
    assert created.returncode == 0, created.stderr
    labelled = kubectl(kubeapi, "label", "configmap", "demo", "tier=web")
    assert labelled.returncode == 0, labelled.stderr
    got = json.loads(kubectl(kubeapi, "get", "configmap", "demo", "-o", "json").stdout)
    assert got["metadata"]["labels"] == {"app": "demo", "tier": "web"}


def test_kubectl_server_side_apply_of_a_crd_and_its_custom_resource(kubeapi: KubeApiServer) -> None:
    import yaml

    from tests.kubeapi.conftest import WIDGET_CRD

    crd = kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(WIDGET_CRD))
    assert crd.returncode == 0, crd.stderr
    widget = (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: 2}\n"
    )
    applied = kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=widget)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == "widget.example.com/w serverside-applied"
    assert kubectl(kubeapi, "get", "wd", "-o", "name").stdout.strip() == "widget.example.com/w"


def test_kubectl_imperative_create_secret_sends_protobuf_and_works(kubeapi: KubeApiServer) -> None:
    created = kubectl(kubeapi, "create", "secret", "generic", "s1", "--from-literal=token=not-a-real-secret")
    assert created.returncode == 0, created.stderr
    secret = json.loads(kubectl(kubeapi, "get", "secret", "s1", "-o", "json").stdout)
    assert secret["type"] == "Opaque" and "generateName" not in secret["metadata"]
    assert base64.b64decode(secret["data"]["token"]) == b"not-a-real-secret"


def test_kubectl_imperative_create_namespace_configmap_serviceaccount(kubeapi: KubeApiServer) -> None:
    assert kubectl(kubeapi, "create", "namespace", "team").returncode == 0
    assert kubectl(kubeapi, "create", "configmap", "c", "-n", "team", "--from-literal=k=v").returncode == 0
    assert kubectl(kubeapi, "create", "serviceaccount", "bot", "-n", "team").returncode == 0
    got = json.loads(kubectl(kubeapi, "get", "configmap", "c", "-n", "team", "-o", "json").stdout)
    assert got["data"] == {"k": "v"} and got["metadata"]["namespace"] == "team"


def test_kubectl_wait_for_crd_established(kubeapi: KubeApiServer) -> None:
    import yaml

    from tests.kubeapi.conftest import WIDGET_CRD

    kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(WIDGET_CRD))
    waited = kubectl(
        kubeapi, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s"
    )
    assert waited.returncode == 0, waited.stderr
    assert "condition met" in waited.stdout


def test_kubectl_wait_for_delete_sees_the_watch_event(kubeapi: KubeApiServer) -> None:
    import threading
    import time

    kubectl(kubeapi, "create", "-f", "-", stdin=MANIFEST)

    def delete_soon() -> None:
        time.sleep(0.5)
        kubectl(kubeapi, "delete", "configmap", "demo")

    thread = threading.Thread(target=delete_soon)
    thread.start()
    waited = kubectl(kubeapi, "wait", "--for=delete", "configmap/demo", "--timeout=10s")
    thread.join()
    assert waited.returncode == 0, waited.stderr


def test_kubectl_scale_uses_the_scale_subresource(kubeapi: KubeApiServer) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    }
    assert kubectl(kubeapi, "apply", "--server-side", "-f", "-", stdin=json.dumps(deployment)).returncode == 0
    scaled = kubectl(kubeapi, "scale", "deployment", "web", "--replicas=3")
    assert scaled.returncode == 0, scaled.stderr
    got = json.loads(kubectl(kubeapi, "get", "deployment", "web", "-o", "json").stdout)
    assert got["spec"]["replicas"] == 3
