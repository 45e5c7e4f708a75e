"""Key Secrets read from (and written to) a cluster: the Kubernetes API test server."""

from __future__ import annotations

import base64

import pytest
import yaml
from kubernetes.client import CoreV1Api

from secretsops.decryptors.base import (
    DecryptContext,
    DecryptFailed,
    DecryptOptions,
    SealedOptions,
    run_decryptors,
)
from secretsops.decryptors.sealed import SealedDecryptor
from secretsops.kube import KubeClient
from secretsops.manifests import SourcedObject
from secretsops.sealed.keypairs import KEY_LABEL, key_secret
from secretsops.sealed.sealing import SealOptions, seal_secret
from tests.helpers import assert_no_canary

from .conftest import secret

pytestmark = pytest.mark.realkube  # runs against the real kube-apiserver (tests/realkube.py)


def _store_key(api, kp, name=None, label="active", namespace="kube-system"):
    body = key_secret(kp.key, kp.cert, namespace, name=name)
    body["metadata"]["labels"] = {KEY_LABEL: label} if label else {}
    CoreV1Api(api).create_namespaced_secret(namespace, body)
    return body["metadata"]["name"]


def _item(kp, value="v"):
    return SourcedObject(seal_secret(kp.public, secret(stringData={"k": value}), SealOptions()), "db.yaml")


def test_decryptor_opens_with_the_controllers_active_key_secrets(kubeapi, keypairs, canary):
    api = kubeapi.api_client()
    for kp in keypairs[:2]:
        _store_key(api, kp)
    ctx = DecryptContext(kube=KubeClient(api))
    out = run_decryptors([_item(keypairs[1], canary)], [SealedDecryptor()], ctx)
    assert base64.b64decode(out[0].obj["data"]["k"]).decode() == canary


def test_key_secrets_in_another_namespace_are_found_when_configured(kubeapi, kp):
    api = kubeapi.api_client()
    CoreV1Api(api).create_namespace({"metadata": {"name": "sealed-secrets"}})
    _store_key(api, kp, namespace="sealed-secrets")
    ctx = DecryptContext(kube=KubeClient(api), sealing_key_namespace="sealed-secrets")
    assert run_decryptors([_item(kp)], [SealedDecryptor()], ctx)[0].obj["kind"] == "Secret"


def test_relabelled_compromised_key_is_not_used(kubeapi, kp):
    api = kubeapi.api_client()
    _store_key(api, kp, label="compromised")
    with pytest.raises(DecryptFailed, match="no sealing key"):
        run_decryptors([_item(kp)], [SealedDecryptor()], DecryptContext(kube=KubeClient(api)))


def test_legacy_key_secret_named_sealed_secrets_key_is_used(kubeapi, kp):
    api = kubeapi.api_client()
    _store_key(api, kp, name="sealed-secrets-key", label=None)
    assert (
        run_decryptors([_item(kp)], [SealedDecryptor()], DecryptContext(kube=KubeClient(api)))[0].obj["kind"]
        == "Secret"
    )


def test_keys_are_read_once_per_context_and_again_when_an_object_does_not_open(kubeapi, keypairs):
    api = kubeapi.api_client()
    _store_key(api, keypairs[0])
    ctx = DecryptContext(kube=KubeClient(api))
    run_decryptors([_item(keypairs[0])], [SealedDecryptor()], ctx)
    run_decryptors([_item(keypairs[0])], [SealedDecryptor()], ctx)
    assert ctx.calls["sealed.key_list"] == 1
    _store_key(api, keypairs[1])  # the controller renewed its key
    run_decryptors([_item(keypairs[1])], [SealedDecryptor()], ctx)
    assert ctx.calls["sealed.key_list"] == 2


def test_respect_live_refuses_a_foreign_secret_and_patches_an_annotated_one(kubeapi, kp):
    api = kubeapi.api_client()
    _store_key(api, kp)
    core = CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "shop"}})
    core.create_namespaced_secret("shop", {"metadata": {"name": "db"}, "data": {"other": "eA=="}})
    ctx = DecryptContext(
        kube=KubeClient(api), options=DecryptOptions(sealed=SealedOptions(respect_live=True))
    )
    with pytest.raises(DecryptFailed, match="already exists and is not managed by SealedSecret"):
        run_decryptors([_item(kp)], [SealedDecryptor()], ctx)
    live = core.read_namespaced_secret("db", "shop")
    live.metadata.annotations = {"sealedsecrets.bitnami.com/patch": "true"}
    core.replace_namespaced_secret("db", "shop", live)
    out = run_decryptors([_item(kp)], [SealedDecryptor()], ctx)[0].obj
    assert set(out["data"]) == {"k", "other"}


def test_cli_rotate_creates_an_active_key_secret_with_generate_name(kubeapi, run_cli):
    code, _, err = run_cli(
        "sealing-keys", "rotate", "--cluster", "--kubeconfig", str(kubeapi.kubeconfig), "--key-size", "2048"
    )
    assert code == 0, err
    items = (
        CoreV1Api(kubeapi.api_client())
        .list_namespaced_secret("kube-system", label_selector=f"{KEY_LABEL}=active")
        .items
    )
    assert len(items) == 1
    assert items[0].metadata.name.startswith("sealed-secrets-key") and items[0].type == "kubernetes.io/tls"


def test_cli_export_from_cluster_is_a_backup_unseal_accepts(kubeapi, run_cli, kp, tmp_path, canary):
    _store_key(kubeapi.api_client(), kp)
    code, out, _ = run_cli("sealing-keys", "export", "--cluster", "--kubeconfig", str(kubeapi.kubeconfig))
    assert code == 0 and yaml.safe_load(out)["kind"] == "List"
    backup = tmp_path / "backup.yaml"
    backup.write_bytes(out)
    sealed = seal_secret(kp.public, secret(stringData={"pw": canary}), SealOptions())
    code, out, err = run_cli("unseal", "--private-key", str(backup), stdin=yaml.safe_dump(sealed).encode())
    assert code == 0 and canary not in err
    assert base64.b64decode(yaml.safe_load(out)["data"]["pw"]).decode() == canary


def test_cli_unseal_from_cluster(kubeapi, run_cli, kp, canary):
    _store_key(kubeapi.api_client(), kp)
    sealed = seal_secret(kp.public, secret(stringData={"pw": canary}), SealOptions())
    code, out, err = run_cli(
        "unseal",
        "--from-cluster",
        "--kubeconfig",
        str(kubeapi.kubeconfig),
        stdin=yaml.safe_dump(sealed).encode(),
    )
    assert code == 0, err
    assert_no_canary(canary, err)


def test_retired_key_stops_opening_once_the_cached_keyring_expires(kubeapi, kp):
    api = kubeapi.api_client()
    name = _store_key(api, kp)
    ctx = DecryptContext(kube=KubeClient(api), options=DecryptOptions(sealed=SealedOptions(keyring_ttl=0)))
    run_decryptors([_item(kp)], [SealedDecryptor()], ctx)
    core = CoreV1Api(api)
    live = core.read_namespaced_secret(name, "kube-system")
    live.metadata.labels = {KEY_LABEL: "compromised"}
    core.replace_namespaced_secret(name, "kube-system", live)
    with pytest.raises(DecryptFailed, match="no sealing key"):
        run_decryptors([_item(kp)], [SealedDecryptor()], ctx)
