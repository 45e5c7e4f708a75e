"""Restart-on-change: opted-in workloads carry HMAC fingerprints of the Secrets they use."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from secretsops.engine.rollout import (
    FINGERPRINTS,
    KEY_SECRET,
    annotate_rollouts,
    hmac_fingerprint,
    pass_hook,
    referenced_secrets,
    rollout_key,
)
from secretsops.kube import KubeClient
from tests.helpers import assert_no_canary, new_canary

FP = hmac_fingerprint(b"k" * 32)


def secret(name: str, ns: str = "apps", **values: str) -> dict[str, Any]:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "data": data}


def deployment(pod_spec: dict[str, Any], annotations: dict[str, str] | None = None, kind: str = "Deployment"):
    ann = {"secretsops.io/reload": "true"} if annotations is None else annotations
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web", "namespace": "apps", "annotations": ann},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}},
    }


def env_pod(secret_name: str = "db") -> dict[str, Any]:
    ref = {"secretKeyRef": {"name": secret_name, "key": "PASSWORD"}}
    return {"containers": [{"name": "app", "image": "app", "env": [{"name": "P", "valueFrom": ref}]}]}


def annotation(objs: list[dict[str, Any]], kind: str = "Deployment") -> str | None:
    obj = next(o for o in objs if o["kind"] == kind)
    return obj["spec"]["template"].get("metadata", {}).get("annotations", {}).get(FINGERPRINTS)


def test_opted_in_deployment_gets_the_fingerprint_of_the_secret_it_reads() -> None:
    out = annotate_rollouts([secret("db", PASSWORD="a"), deployment(env_pod())], FP)
    assert annotation(out) == f"db:{FP(secret('db', PASSWORD='a'))}"


def test_annotation_changes_when_a_value_changes() -> None:
    before = annotate_rollouts([secret("db", PASSWORD="a"), deployment(env_pod())], FP)
    after = annotate_rollouts([secret("db", PASSWORD="b"), deployment(env_pod())], FP)
    assert annotation(before) != annotation(after)


def test_annotation_does_not_change_when_only_secret_metadata_changes() -> None:
    relabelled = secret("db", PASSWORD="a")
    relabelled["metadata"]["labels"] = {"team": "x"}
    before = annotate_rollouts([secret("db", PASSWORD="a"), deployment(env_pod())], FP)
    after = annotate_rollouts([relabelled, deployment(env_pod())], FP)
    assert annotation(before) == annotation(after)


def test_stringdata_and_data_with_the_same_values_fingerprint_alike() -> None:
    as_string = {**secret("db"), "stringData": {"PASSWORD": "a"}}
    assert FP(as_string) == FP(secret("db", PASSWORD="a"))


def test_every_way_a_pod_uses_a_secret_is_found() -> None:
    pod = {
        "volumes": [
            {"name": "v1", "secret": {"secretName": "vol"}},
            {
                "name": "v2",
                "projected": {"sources": [{"secret": {"name": "proj"}}, {"configMap": {"name": "c"}}]},
            },
        ],
        "initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "init-env"}}]}],
        "containers": [
            {
                "name": "a",
                "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "keyref", "key": "k"}}}],
            },
            {"name": "b", "envFrom": [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "from"}}]},
        ],
    }
    assert referenced_secrets(pod) == {"vol", "proj", "init-env", "keyref", "from"}


def test_statefulsets_and_daemonsets_are_rolled_too() -> None:
    for kind in ("StatefulSet", "DaemonSet"):
        out = annotate_rollouts([secret("db", PASSWORD="a"), deployment(env_pod(), kind=kind)], FP)
        assert annotation(out, kind)


@pytest.mark.parametrize("key", ["reloader.stakater.com/auto", "secret.reloader.stakater.com/auto"])
def test_reloader_auto_annotations_are_accepted(key: str) -> None:
    out = annotate_rollouts([secret("db", PASSWORD="a"), deployment(env_pod(), {key: "true"})], FP)
    assert annotation(out)


def test_reloader_explicit_secret_list_adds_secrets_the_pod_does_not_reference() -> None:
    ann = {"secret.reloader.stakater.com/reload": "tls, db"}
    out = annotate_rollouts(
        [secret("db", PASSWORD="a"), secret("tls", crt="c"), deployment({"containers": []}, ann)], FP
    )
    assert [p.split(":")[0] for p in (annotation(out) or "").split(",")] == ["db", "tls"]


def test_workload_without_the_opt_in_is_returned_unchanged() -> None:
    dep = deployment(env_pod(), annotations={})
    desired = [secret("db", PASSWORD="a"), dep]
    out = annotate_rollouts(desired, FP)
    assert out[1] is dep and annotation(out) is None


def test_opt_in_set_to_false_is_not_an_opt_in() -> None:
    out = annotate_rollouts(
        [secret("db", PASSWORD="a"), deployment(env_pod(), {"secretsops.io/reload": "false"})], FP
    )
    assert annotation(out) is None


def test_secrets_not_declared_in_the_source_or_in_another_namespace_are_left_out() -> None:
    out = annotate_rollouts([secret("db", "other", PASSWORD="a"), deployment(env_pod())], FP)
    assert annotation(out) is None


def test_input_objects_are_not_modified() -> None:
    desired = [secret("db", PASSWORD="a"), deployment(env_pod())]
    snapshot = copy.deepcopy(desired)
    annotate_rollouts(desired, FP)
    assert desired == snapshot


def test_fingerprint_depends_on_the_key_so_it_is_not_a_plain_hash_of_the_value() -> None:
    s = secret("db", PASSWORD="a")
    assert hmac_fingerprint(b"1" * 32)(s) != hmac_fingerprint(b"2" * 32)(s)


def test_annotation_never_carries_the_value() -> None:
    canary = new_canary()
    out = annotate_rollouts([secret("db", PASSWORD=canary), deployment(env_pod())], FP)
    assert_no_canary(canary, repr(out[1]))
    assert_no_canary(base64.b64encode(canary.encode()).decode(), repr(out[1]))


@pytest.mark.realkube
def test_rollout_key_is_created_once_and_shared(kubeapi) -> None:
    kube = KubeClient(kubeapi.api_client())
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "secretsops-system"}})
    first = rollout_key(kube, "secretsops-system")
    again = rollout_key(KubeClient(kubeapi.api_client()), "secretsops-system")
    assert first == again and len(first) == 32


@pytest.mark.realkube
def test_dry_run_pass_creates_no_key_secret(kubeapi) -> None:
    kube = KubeClient(kubeapi.api_client())
    out = pass_hook([secret("db", PASSWORD="a"), deployment(env_pod())], kube, "secretsops-system", {}, True)
    assert annotation(out)
    assert kube.get("v1", "Namespace", "", "secretsops-system") is None
    assert kube.get("v1", "Secret", "secretsops-system", KEY_SECRET) is None


def test_pass_hook_reads_the_key_once_per_process(kubeapi) -> None:
    kube = KubeClient(kubeapi.api_client())
    cache: dict[str, Any] = {}
    desired = [secret("db", PASSWORD="a"), deployment(env_pod())]
    first = pass_hook(desired, kube, "secretsops-system", cache, False)
    kubeapi.requests.clear()
    second = pass_hook(desired, kube, "secretsops-system", cache, False)
    assert annotation(first) == annotation(second)
    assert not [r for r in kubeapi.requests if KEY_SECRET in r[1]]


# --- through the engine ----------------------------------------------------------------------------

APP = """apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: default, labels: {{rev: "{label}"}}}}
stringData: {{PASSWORD: "{password}"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: default}}
data: {{LEVEL: "{level}"}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  annotations: {{secretsops.io/reload: "true"}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: app
        envFrom: [{{configMapRef: {{name: settings}}}}]
        env:
        - name: PASSWORD
          valueFrom: {{secretKeyRef: {{name: db, key: PASSWORD}}}}
"""


def _engine_pass(kubeapi, repo) -> str:  # type: ignore[no-untyped-def]
    """One full pass by a fresh engine process-equivalent; the live rollout annotation."""
    import os

    from kubernetes import client

    from secretsops.engine.builder import build_engine
    from secretsops.engine.config import EngineSettings, SourceSpec

    eng = build_engine(
        [SourceSpec(name="app", url=str(repo))],
        EngineSettings(),
        KubeClient(kubeapi.api_client()),
        {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]},
    )
    try:
        (res,) = eng.run_once()
        assert res.ok, res.error
    finally:
        eng.close()
    dep = client.AppsV1Api(kubeapi.api_client()).read_namespaced_deployment("web", "default")
    return str(dep.spec.template.metadata.annotations[FINGERPRINTS])


@pytest.mark.realkube
def test_engine_rolls_a_workload_exactly_when_a_secret_it_uses_changes_value(kubeapi, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    repo.mkdir()

    def write(**kw: str) -> None:
        (repo / "app.yaml").write_text(APP.format(**{"label": "1", "password": "a", "level": "x", **kw}))

    write()
    first = _engine_pass(kubeapi, repo)
    assert first.startswith("db:")
    write(level="y")  # a ConfigMap change
    assert _engine_pass(kubeapi, repo) == first
    write(label="2")  # Secret metadata only
    assert _engine_pass(kubeapi, repo) == first
    write(password="b")  # the value
    changed = _engine_pass(kubeapi, repo)
    assert changed != first
    write(password="a")  # back (a revert): back to the first fingerprint, across engine restarts
    assert _engine_pass(kubeapi, repo) == first
