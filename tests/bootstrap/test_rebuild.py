"""The rebuild, end to end on real API servers: cluster A lost, cluster B rebuilt from git + the backup.

One scenario (``tests/bootstrap/scenario.py``, run once for the module), as
docs/disaster-recovery.md tells it:

1. cluster A (its own etcd + kube-apiserver) is installed with ``bootstrap`` (first install: keys
   generated); the repository then gets a SOPS Secret encrypted to A's age key, a SealedSecret
   sealed with A's sealing key, and an ExternalSecret resolved from a real OpenBao through a
   SecretStore whose token Secret is SOPS-encrypted; a SealedSecret applied by hand (kubeseal
   style, not from the engine's path) is opened by ``secretsops controller --once``;
2. ``secretsops backup`` to a recovery age key; A's etcd is destroyed (the control plane stops and
   its memory-backed data directory is removed);
3. cluster B (fresh etcd + apiserver): ``bootstrap`` WITHOUT the backup refuses, naming every SOPS
   file and SealedSecret it cannot open, and writes nothing;
4. ``bootstrap --backup --identity --run-once`` on B, then the hand-applied SealedSecret and
   ``controller --once``: the same Secrets as on A, compared by fingerprint (a hash, never a value);
5. ``bootstrap`` again on B changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsops_devstack.services import Service
from tests.bootstrap.scenario import PASS_RECORDS, Rebuild, run_rebuild

pytestmark = pytest.mark.realkube


@pytest.fixture(scope="module")
def rebuild(tmp_path_factory: pytest.TempPathFactory, openbao: Service) -> Rebuild:
    return run_rebuild(Path(tmp_path_factory.mktemp("rebuild")), openbao)


def test_the_rebuilt_cluster_has_the_same_secrets_as_the_lost_one(rebuild: Rebuild) -> None:
    assert set(rebuild.secrets_a) >= {"db", "bao-token", "registry", "api", "manual"}
    assert rebuild.secrets_b == rebuild.secrets_a


def test_sealed_secrets_sealed_for_the_lost_cluster_still_open(rebuild: Rebuild) -> None:
    assert rebuild.controller_b is not None and rebuild.controller_b.returncode == 0, rebuild.controller_b
    assert rebuild.secrets_b["registry"] == rebuild.secrets_a["registry"]  # opened by the engine's pass
    assert rebuild.secrets_b["manual"] == rebuild.expected_manual  # opened by the controller


def test_the_controller_uses_the_restored_keys_and_creates_none(rebuild: Rebuild) -> None:
    assert rebuild.keys_in_backup
    assert rebuild.keys_b == rebuild.keys_in_backup


def test_external_secrets_are_resolved_on_the_rebuilt_cluster(rebuild: Rebuild) -> None:
    assert rebuild.secrets_b["api"] == rebuild.expected_api


def test_a_rebuild_without_the_backup_names_every_object_it_cannot_open(rebuild: Rebuild) -> None:
    refused = rebuild.refused
    assert refused is not None and refused.returncode != 0
    assert "3 protected object(s) in the repository cannot be opened" in refused.stderr
    assert "restore the keys with --backup FILE" in refused.stderr
    for line in (
        "SOPS file apps/db.yaml (Secret/apps/db)",
        "SOPS file apps/bao-token.yaml (Secret/apps/bao-token)",
        "SealedSecret apps/sealed.yaml (SealedSecret.bitnami.com/apps/registry)",
    ):
        assert line in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_rebuild_without_the_backup_applies_nothing(rebuild: Rebuild) -> None:
    assert rebuild.after_refusal == rebuild.before_refusal


def test_bootstrapping_again_changes_nothing(rebuild: Rebuild) -> None:
    assert rebuild.again is not None and rebuild.again.returncode == 0, rebuild.again.stderr
    assert "bootstrap: 0 change(s)" in rebuild.again.stdout
    assert rebuild.changed_by_again == []


def test_another_first_pass_rewrites_only_the_engines_record_of_the_pass(rebuild: Rebuild) -> None:
    assert rebuild.again_run_once is not None and rebuild.again_run_once.returncode == 0
    assert [p for p in rebuild.changed_by_again_run_once if not any(r in p for r in PASS_RECORDS)] == []


def test_no_secret_value_reaches_the_output(rebuild: Rebuild) -> None:
    text = "\n".join(rebuild.outputs)
    for canary in rebuild.canaries:
        assert canary not in text
