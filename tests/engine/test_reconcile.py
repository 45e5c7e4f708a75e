"""End to end: real git repos, SOPS files, the Kubernetes API test server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.realkube  # runs against the real kube-apiserver (tests/realkube.py)


def test_first_pass_applies_everything_with_secret_values_decrypted(harness) -> None:
    harness.write_app({"PASSWORD": "s3cret", "USER": "admin"})
    head = harness.repo.commit()
    eng = harness.engine()
    (res,) = eng.run_once()
    assert res.ok, res.error
    assert harness.secret() == {"PASSWORD": "s3cret", "USER": "admin"}
    assert harness.configmaps() == {"cm-a": "1"}
    assert harness.condition()["status"] == "True"
    assert harness.status()["lastAppliedRevision"] == f"main@sha1:{head}"


def test_applied_objects_are_owned_by_the_secretsops_field_manager(harness) -> None:
    harness.write_app({"A": "1"})
    harness.repo.commit()
    assert harness.engine().run_once()[0].ok
    secret = harness.core().read_namespaced_secret("db", "apps")
    assert "secretsops" in {m.manager for m in secret.metadata.managed_fields}
    assert secret.metadata.labels["secretsops.io/source"] == "apps"


def test_changed_value_in_git_reaches_the_cluster(harness) -> None:
    harness.write_app({"PASSWORD": "one"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"PASSWORD": "two"})
    harness.repo.commit()
    assert eng.run_once()[0].ok
    assert harness.secret() == {"PASSWORD": "two"}


def test_key_removed_from_git_is_removed_from_the_cluster_secret(harness) -> None:
    harness.write_app({"KEEP": "1", "DROP": "2"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"KEEP": "1"})
    harness.repo.commit()
    assert eng.run_once()[0].ok
    assert harness.secret() == {"KEEP": "1"}


def test_object_removed_from_git_is_pruned(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1", "cm-b": "2", "cm-c": "3"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"A": "1"}, {"cm-a": "1", "cm-b": "2"})
    harness.repo.commit()
    (res,) = eng.run_once()
    assert res.ok and [str(p) for p in res.pruned] == ["ConfigMap/apps/cm-c"]
    assert harness.configmaps() == {"cm-a": "1", "cm-b": "2"}


def test_no_prune_keeps_objects_removed_from_git(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1", "cm-b": "2"})
    harness.repo.commit()
    eng = harness.engine(prune=False)
    eng.run_once()
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    assert eng.run_once()[0].ok
    assert harness.configmaps() == {"cm-a": "1", "cm-b": "2"}


@pytest.mark.parametrize("mark", ["secretsops.io/prune", "kustomize.toolkit.fluxcd.io/prune"])
def test_prune_opt_out_on_the_live_object_is_honoured(harness, mark: str) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1", "cm-b": "2", "cm-c": "3"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.core().patch_namespaced_config_map(
        "cm-c", "apps", {"metadata": {"annotations": {mark: "disabled"}}}
    )
    harness.write_app({"A": "1"}, {"cm-a": "1", "cm-b": "2"})
    harness.repo.commit()
    (res,) = eng.run_once()
    assert res.ok and not res.pruned
    assert "cm-c" in harness.configmaps()


def test_drift_is_healed_on_the_next_pass_without_key_service_calls(harness) -> None:
    harness.write_app({"PASSWORD": "good"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.core().patch_namespaced_secret("db", "apps", {"data": {"PASSWORD": "ZXZpbA=="}})
    rec = eng.engine.reconcilers[0]
    (res,) = eng.run_once()
    assert res.ok and res.healed and [str(d.id) for d in res.drifted] == ["Secret/apps/db"]
    assert [str(i) for i in res.applied] == ["Secret/apps/db"]  # only what drifted is re-applied
    assert harness.secret() == {"PASSWORD": "good"}
    assert rec.cache.data_keys is not None and rec.cache.data_keys.hits >= 1


def test_drift_is_only_reported_without_self_heal(harness) -> None:
    harness.write_app({"PASSWORD": "good"})
    harness.repo.commit()
    eng = harness.engine(self_heal=False)
    eng.run_once()
    harness.core().patch_namespaced_secret("db", "apps", {"data": {"PASSWORD": "ZXZpbA=="}})
    (res,) = eng.run_once()
    assert res.ok and not res.healed
    assert harness.secret() == {"PASSWORD": "evil"}
    status = harness.status()
    assert status["drifted"] and status["drifted"][0].startswith("Secret/apps/db: changed data.PASSWORD")
    assert "evil" not in str(status) and "ZXZpbA" not in str(status)
    assert harness.condition()["reason"] == "DriftDetected"


def test_deleted_object_counts_as_drift_and_comes_back(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.core().delete_namespaced_config_map("cm-a", "apps")
    (res,) = eng.run_once()
    assert res.healed and harness.configmaps() == {"cm-a": "1"}


def test_unchanged_revision_skips_render_and_decrypt(harness) -> None:
    harness.write_app({"A": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    kustomize_runs = sum("kustomize" in " ".join(argv) for argv, _ in harness.recorded.calls)
    (res,) = eng.run_once()
    assert res.ok and not res.rendered
    assert sum("kustomize" in " ".join(argv) for argv, _ in harness.recorded.calls) == kustomize_runs
    calls = eng.engine.deps.metrics.registry.get_sample_value(
        "secretsops_decrypt_calls_total", {"source": "apps", "key_source": "age"}
    )
    assert calls == 1.0  # the first pass only


def test_git_revert_restores_the_previous_state_including_secret_values(harness) -> None:
    harness.write_app({"PASSWORD": "v1"}, {"cm-a": "1", "cm-b": "2"})
    harness.repo.commit("v1")
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"PASSWORD": "v2", "NEW": "x"}, {"cm-a": "changed", "cm-b": "2", "cm-c": "3"})
    bad = harness.repo.commit("v2")
    eng.run_once()
    assert harness.secret() == {"PASSWORD": "v2", "NEW": "x"}
    harness.repo.revert(bad)
    assert eng.run_once()[0].ok
    assert harness.secret() == {"PASSWORD": "v1"}
    assert harness.configmaps() == {"cm-a": "1", "cm-b": "2"}


def _add_unnamespaced_configmap(harness) -> None:  # type: ignore[no-untyped-def]
    import yaml

    harness.repo.write("apps/nons.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-nons\n")
    k = harness.repo.path / "apps/kustomization.yaml"
    doc = yaml.safe_load(k.read_text())
    doc["resources"].append("nons.yaml")
    k.write_text(yaml.safe_dump(doc))


def test_namespaced_object_without_namespace_goes_to_default(harness) -> None:
    harness.write_app({"A": "1"})
    _add_unnamespaced_configmap(harness)
    harness.repo.commit()
    assert harness.engine().run_once()[0].ok
    assert harness.core().read_namespaced_config_map("cm-nons", "default").metadata.name == "cm-nons"


def test_target_namespace_moves_namespaced_objects_only(harness) -> None:
    harness.write_app({"A": "1"})
    _add_unnamespaced_configmap(harness)
    harness.repo.commit()
    (res,) = harness.engine(target_namespace="apps").run_once()
    assert res.ok, res.error
    assert "cm-nons" in harness.configmaps()
    assert "Namespace/apps" in [str(i) for i in res.applied]


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.io
spec:
  group: example.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"""


def test_crd_and_its_custom_resources_apply_in_one_pass(harness) -> None:
    import yaml

    harness.write_app({"A": "1"})
    harness.repo.write("apps/crd.yaml", CRD)
    harness.repo.write(
        "apps/widget.yaml",
        "apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w, namespace: apps}\nspec: {size: 3}\n",
    )
    k = harness.repo.path / "apps/kustomization.yaml"
    doc = yaml.safe_load(k.read_text())
    doc["resources"] = ["widget.yaml", *doc["resources"], "crd.yaml"]  # declared before its CRD
    k.write_text(yaml.safe_dump(doc))
    harness.repo.commit()
    eng = harness.engine()
    (res,) = eng.run_once()
    assert res.ok, res.error
    from kubernetes import client

    widget = client.CustomObjectsApi(harness.api.api_client()).get_namespaced_custom_object(
        "example.io", "v1", "apps", "widgets", "w"
    )
    assert widget["spec"] == {"size": 3}
    assert eng.run_once()[0].ok  # drift listing of the custom kind works too
