"""The status subresource: /status writes change only status; main writes leave status alone."""

from __future__ import annotations

from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi


def _deployment() -> dict:
    return {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }


def test_status_patch_changes_only_status(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", _deployment())
    patched = apps.patch_namespaced_deployment_status(
        "web",
        "default",
        {"spec": {"replicas": 5}, "status": {"replicas": 1, "readyReplicas": 1, "observedGeneration": 1}},
    )
    assert patched.status.ready_replicas == 1 and patched.spec.replicas == 1
    assert patched.metadata.generation == 1


def test_main_resource_write_ignores_status(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", _deployment())
    apps.patch_namespaced_deployment_status("web", "default", {"status": {"replicas": 1, "readyReplicas": 1}})
    patched = apps.patch_namespaced_deployment("web", "default", {"status": {"readyReplicas": 9}})
    assert patched.status.ready_replicas == 1


def test_status_update_records_a_status_manager(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", _deployment())
    patched = apps.patch_namespaced_deployment_status(
        "web", "default", {"status": {"replicas": 1}}, field_manager="controller"
    )
    entry = next(e for e in patched.metadata.managed_fields if e.manager == "controller")
    assert entry.subresource == "status" and entry.fields_v1 == {"f:status": {"f:replicas": {}}}


def test_custom_resource_status_subresource(core: CoreV1Api, crd: str) -> None:
    custom = CustomObjectsApi(core.api_client)
    custom.create_namespaced_custom_object(
        "example.com",
        "v1",
        "default",
        "widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}},
    )
    patched = custom.patch_namespaced_custom_object_status(
        "example.com",
        "v1",
        "default",
        "widgets",
        "w",
        {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
    )
    assert patched["status"]["conditions"][0]["type"] == "Ready" and patched["spec"] == {"size": 1}


def test_scale_subresource_reads_and_writes_replicas(apps: AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", _deployment())
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.spec.replicas, scale.status.selector) == (1, "app=web")
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}})
    deployment = apps.read_namespaced_deployment("web", "default")
    assert deployment.spec.replicas == 4 and deployment.metadata.generation == 2
