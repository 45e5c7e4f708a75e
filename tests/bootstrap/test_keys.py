"""Which keys a bootstrap writes, and where (no cluster: the keys are worked out in memory first)."""

from __future__ import annotations

import base64

import pytest

from secretsops.engine.backup_state import BACKED_UP_AT
from secretsops.engine.bootstrap.keys import from_backup, from_cluster_or_new
from secretsops.engine.bootstrap.manifests import SourceFlags, install_objects
from secretsops.engine.bootstrap.run import ordered
from secretsops.errors import InputError
from secretsops.sealed.keypairs import KEY_LABEL, generate_key, key_secret


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _decryption(namespace: str, name: str, **data: str) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"namespace": namespace, "name": name},
        "data": data,
    }


def _backup(*decryption: dict, keys: int = 1) -> dict:  # type: ignore[type-arg]
    sealing = [
        key_secret(*generate_key(2048), "old-namespace", name=f"sealed-secrets-key{i}") for i in range(keys)
    ]
    return {
        "createdAt": "2026-12-01T10:00:00Z",
        "sealingKeys": sealing,
        "decryptionSecrets": list(decryption),
    }


def _from(doc: dict):  # type: ignore[no-untyped-def, type-arg]
    return from_backup(
        doc,
        "backup.enc.yaml",
        kube=None,
        sealing_namespace="kube-system",
        engine_namespace="secretsops-system",
        decryption_name="sops-keys",
        key_size=2048,
    )


def test_restored_sealing_keys_keep_bitnamis_label_and_go_to_the_sealing_key_namespace() -> None:
    keys = _from(_backup(_decryption("flux-system", "sops-age", **{"identity.agekey": _b64("x")})))
    secret = keys.sealing_secrets[0]
    assert secret["metadata"]["namespace"] == "kube-system"
    assert secret["metadata"]["labels"] == {KEY_LABEL: "active"}
    assert secret["type"] == "kubernetes.io/tls"


def test_restored_sealing_keys_are_recorded_as_held_by_the_backup() -> None:
    keys = _from(_backup(_decryption("flux-system", "sops-age", **{"identity.agekey": _b64("x")})))
    assert keys.sealing_secrets[0]["metadata"]["annotations"][BACKED_UP_AT] == "2026-12-01T10:00:00Z"


def test_decryption_secrets_are_merged_into_the_one_the_deployment_reads() -> None:
    keys = _from(
        _backup(
            _decryption("flux-system", "sops-age", **{"identity.agekey": _b64("a")}),
            _decryption("flux-system", "sops-vault", **{"sops.vault-token": _b64("b")}),
        )
    )
    meta = keys.decryption_secret["metadata"]
    assert (meta["namespace"], meta["name"]) == ("secretsops-system", "sops-keys")
    assert sorted(keys.decryption_secret["data"]) == ["identity.agekey", "sops.vault-token"]
    assert keys.decryption_from == ["flux-system/sops-age", "flux-system/sops-vault"]


def test_two_decryption_secrets_holding_one_name_differently_are_refused_by_name() -> None:
    doc = _backup(
        _decryption("flux-system", "a", **{"identity.agekey": _b64("one")}),
        _decryption("flux-system", "b", **{"identity.agekey": _b64("two")}),
    )
    with pytest.raises(InputError) as err:
        _from(doc)
    assert str(err.value) == (
        "backup.enc.yaml: decryption Secrets flux-system/a and flux-system/b both hold 'identity.agekey' "
        "with different values: they cannot be merged into one decryption Secret"
    )


def test_a_first_install_creates_one_sealing_key_and_one_age_identity() -> None:
    keys = from_cluster_or_new(
        None,
        sealing_namespace="kube-system",
        engine_namespace="secretsops-system",
        decryption_name="sops-keys",
        key_size=2048,
    )
    assert (keys.sealing_origin, keys.decryption_origin) == ("generated", "generated")
    assert len(keys.sealing_keys()) == 1
    assert list(keys.decryption_secret["data"]) == ["identity.agekey"]
    assert "AGE-SECRET-KEY" not in "\n".join(keys.describe())


def test_keys_are_applied_after_the_crds_and_before_the_deployment() -> None:
    keys = from_cluster_or_new(
        None,
        sealing_namespace="kube-system",
        engine_namespace="secretsops-system",
        decryption_name="sops-keys",
        key_size=2048,
    )
    kinds = [o["kind"] for o in ordered(install_objects(SourceFlags("r").sources_yaml()), keys.to_write())]
    first_secret = kinds.index("Secret")
    assert kinds[0] == "Namespace"
    assert "CustomResourceDefinition" not in kinds[first_secret:]
    assert kinds[-1] == "Deployment" and "ClusterRole" in kinds[first_secret:]
