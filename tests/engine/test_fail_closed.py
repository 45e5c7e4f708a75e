"""Atomic, fail-closed passes: the last good state stays; temporary errors are retried."""

from __future__ import annotations

import pytest

from secretsops.keysources.age import generate_identity


@pytest.mark.realkube
def test_failing_decrypt_applies_nothing_of_the_pass(harness) -> None:
    harness.write_app({"PASSWORD": "good"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"PASSWORD": "good"}, {"cm-a": "changed", "cm-new": "x"})
    other = generate_identity()[1]
    from secretsops.keysources.age import AgeKeySource
    from secretsops.keysources.base import KeyContext
    from secretsops.sops.api import EncryptOptions, encrypt_bytes

    harness.repo.write(
        "apps/db.env",
        encrypt_bytes(
            b"PASSWORD=bad\n",
            "dotenv",
            groups=[[AgeKeySource(other)]],
            options=EncryptOptions(),
            ctx=KeyContext(),
        ),
    )
    harness.repo.commit("encrypted for someone else")
    (res,) = eng.run_once()
    assert not res.ok and res.reason == "DecryptionFailed" and not res.temporary
    assert "secretGenerator entry" in res.error and "apps" in res.error
    assert harness.configmaps() == {"cm-a": "1"} and harness.secret() == {"PASSWORD": "good"}
    stalled = harness.condition("Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "DecryptionFailed"
    assert harness.condition("Ready")["status"] == "False"


@pytest.mark.realkube
def test_render_error_applies_nothing_and_names_the_file(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"A": "1"}, {"cm-a": "2"})
    harness.repo.write("apps/cm-a.yaml", "kind: [broken\n")
    harness.repo.commit()
    (res,) = eng.run_once()
    assert not res.ok and res.reason == "BuildFailed" and "apps" in res.error
    assert harness.configmaps() == {"cm-a": "1"}


@pytest.mark.realkube
def test_last_good_state_recovers_with_the_next_good_commit(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.repo.write("apps/cm-a.yaml", "kind: [broken\n")
    harness.repo.commit()
    assert not eng.run_once()[0].ok
    harness.write_app({"A": "1"}, {"cm-a": "fixed"})
    harness.repo.commit()
    assert eng.run_once()[0].ok and harness.configmaps() == {"cm-a": "fixed"}
    assert harness.condition("Stalled")["status"] == "False"


@pytest.mark.realkube
def test_mass_prune_is_refused_until_a_person_confirms_the_commit(harness) -> None:
    harness.write_app({"A": "1"}, {f"cm-{i}": str(i) for i in range(6)})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.write_app({"A": "1"}, {"cm-0": "0"})
    head = harness.repo.commit("oops, deleted most of it")
    (res,) = eng.run_once()
    assert not res.ok and res.reason == "PruneGuardTripped" and not res.temporary
    assert len(harness.configmaps()) == 6
    assert f"secretsops.io/allow-mass-prune={head}" in harness.condition("Stalled")["message"]
    harness.core().patch_namespaced_config_map(
        "secretsops-status-apps",
        "secretsops-system",
        {"metadata": {"annotations": {"secretsops.io/allow-mass-prune": head}}},
    )
    (res,) = eng.run_once()
    assert res.ok and len(res.pruned) == 5 and harness.configmaps() == {"cm-0": "0"}


@pytest.mark.realkube
def test_render_that_yields_nothing_never_prunes_the_cluster_empty(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    harness.repo.write("apps/kustomization.yaml", "resources: []\n")
    harness.repo.commit()
    (res,) = eng.run_once()
    assert res.reason == "PruneGuardTripped" and harness.configmaps() == {"cm-a": "1"}


@pytest.mark.realkube
def test_allow_mass_prune_setting_confirms_one_pass(harness) -> None:
    harness.write_app({"A": "1"}, {f"cm-{i}": str(i) for i in range(4)})
    harness.repo.commit()
    eng = harness.engine()
    eng.engine.reconcilers[0].allow_mass_prune_once = True
    eng.run_once()
    assert not eng.engine.reconcilers[0].allow_mass_prune_once  # consumed by the first good pass


def test_conflicts_throttling_and_server_errors_are_retried(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine()
    harness.api.inject("PATCH", r"/configmaps/cm-a$", 409)
    harness.api.inject("PATCH", r"/secrets/db$", 429, retry_after=1)
    harness.api.inject("PATCH", r"/namespaces/apps$", 500)
    (res,) = eng.run_once()
    assert res.ok and harness.configmaps() == {"cm-a": "1"}
    assert len(harness.sleeps) == 3 and 1.0 in harness.sleeps


def test_persistent_outage_is_temporary_and_backs_off(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine(interval=600)
    harness.api.inject("PATCH", r"/configmaps/cm-a$", 503, times=4)
    (res,) = eng.run_once()
    assert not res.ok and res.temporary and "503" in res.error
    rec = eng.engine.reconcilers[0]
    assert rec.next_delay(res) < 10
    assert harness.condition("Reconciling")["status"] == "True"
    assert harness.condition("Stalled")["status"] == "False"
    (res,) = eng.run_once()
    assert res.ok


@pytest.mark.realkube
def test_git_unreachable_is_temporary_and_the_loop_lives_on(harness, tmp_path) -> None:
    harness.write_app({"A": "1"})
    harness.repo.commit()
    eng = harness.engine()
    eng.run_once()
    moved = tmp_path / "moved"
    harness.repo.path.rename(moved)
    (res,) = eng.run_once()
    assert not res.ok and res.temporary and res.reason == "ArtifactFailed"
    moved.rename(harness.repo.path)
    assert eng.run_once()[0].ok


@pytest.mark.realkube
def test_dry_run_writes_nothing(harness) -> None:
    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine(dry_run=True)
    (res,) = eng.run_once()
    assert res.ok and "ConfigMap/apps/cm-a" in [str(i) for i in res.applied]
    assert harness.core().list_namespaced_config_map("secretsops-system").items == []
    assert [n.metadata.name for n in harness.core().list_namespace().items if n.metadata.name == "apps"] == []


def test_the_loop_lives_on_through_failures_and_bugs(harness, monkeypatch) -> None:
    import threading
    import time

    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine(interval=0.05)
    rec = eng.engine.reconcilers[0]
    calls = {"n": 0}
    real = rec._full_pass

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("CANARY-in-a-bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(rec, "_full_pass", flaky)
    monkeypatch.setattr(rec, "next_delay", lambda result: 0.05)
    thread = threading.Thread(target=eng.engine.run_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not rec.applied_commit:
        time.sleep(0.05)
    eng.engine.stop.set()
    thread.join(timeout=10)
    assert rec.applied_commit and harness.configmaps() == {"cm-a": "1"}
    assert eng.engine.healthy()
    events = harness.core().list_namespaced_event("secretsops-system").items
    assert any(e.reason == "ReconciliationFailed" and "KeyError" in e.message for e in events)
    assert all("CANARY" not in (e.message or "") for e in events)


@pytest.mark.realkube
def test_serve_with_leader_election_reconciles_and_releases_the_lease_on_stop(harness) -> None:
    import threading
    import time

    harness.write_app({"A": "1"}, {"cm-a": "1"})
    harness.repo.commit()
    eng = harness.engine(leader_elect=True, interval=0.2)
    thread = threading.Thread(target=eng.serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not eng.engine.reconcilers[0].applied_commit:
        time.sleep(0.1)
    eng.engine.stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert harness.configmaps() == {"cm-a": "1"}


@pytest.mark.realkube
def test_rejected_object_is_a_permanent_error_naming_fields_not_values(harness) -> None:
    harness.write_app({"A": "1"})
    harness.repo.write(
        "apps/bad-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: bad, namespace: apps}\n"
        "stringData: {'bad key!': CANARY-rejected-value}\n",
    )
    import yaml

    k = harness.repo.path / "apps/kustomization.yaml"
    doc = yaml.safe_load(k.read_text())
    doc["resources"].append("bad-secret.yaml")
    k.write_text(yaml.safe_dump(doc))
    harness.repo.commit()
    (res,) = harness.engine().run_once()
    assert not res.ok and res.reason == "ApplyRejected" and not res.temporary
    assert "Secret/apps/bad" in res.error and "422" in res.error
    assert "CANARY" not in res.error and "CANARY" not in str(harness.status())
