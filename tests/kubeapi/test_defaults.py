"""Defaulting like the apiserver's: live objects carry fields nobody applied."""

from __future__ import annotations

import ipaddress

from kubernetes.client import AppsV1Api, CoreV1Api

APPLY = "application/apply-patch+yaml"


def _deployment(image: str = "nginx:1.27") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def test_deployment_gets_the_apps_v1_defaults(apps: AppsV1Api) -> None:
    created = apps.create_namespaced_deployment("default", _deployment())
    spec = created.spec
    assert (spec.replicas, spec.revision_history_limit, spec.progress_deadline_seconds) == (1, 10, 600)
    assert spec.strategy.type == "RollingUpdate" and spec.strategy.rolling_update.max_surge == "25%"
    pod = spec.template.spec
    assert (pod.restart_policy, pod.dns_policy, pod.termination_grace_period_seconds) == (
        "Always",
        "ClusterFirst",
        30,
    )
    container = pod.containers[0]
    assert container.image_pull_policy == "IfNotPresent"
    assert container.termination_message_path == "/dev/termination-log"
    assert container.ports[0].protocol == "TCP"


def test_latest_or_untagged_images_are_pulled_always(apps: AppsV1Api) -> None:
    created = apps.create_namespaced_deployment("default", _deployment("registry:5000/team/app"))
    assert created.spec.template.spec.containers[0].image_pull_policy == "Always"


def test_defaulted_fields_are_not_owned_by_the_applier(apps: AppsV1Api) -> None:
    applied = apps.patch_namespaced_deployment(
        "web", "default", _deployment(), field_manager="m", _content_type=APPLY
    )
    assert applied.spec.revision_history_limit == 10
    assert "f:revisionHistoryLimit" not in applied.metadata.managed_fields[0].fields_v1["f:spec"]
    again = apps.patch_namespaced_deployment(
        "web", "default", _deployment(), field_manager="m", _content_type=APPLY
    )
    assert again.metadata.resource_version == applied.metadata.resource_version


def test_service_gets_a_cluster_ip_and_port_defaults(core: CoreV1Api) -> None:
    created = core.create_namespaced_service(
        "default",
        {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
    )
    assert created.spec.type == "ClusterIP"
    assert ipaddress.ip_address(created.spec.cluster_ip) in ipaddress.ip_network("10.96.0.0/12")
    assert created.spec.cluster_ips == [created.spec.cluster_ip]
    assert (created.spec.ports[0].protocol, created.spec.ports[0].target_port) == ("TCP", 80)
    patched = core.patch_namespaced_service("web", "default", {"metadata": {"labels": {"a": "b"}}})
    assert patched.spec.cluster_ip == created.spec.cluster_ip
