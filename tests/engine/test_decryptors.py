"""The registry's decryptors inside a pass: SOPS manifests (Flux style) and SealedSecrets."""

from __future__ import annotations

import yaml

from secretsops.kube import KubeClient
from secretsops.sealed.keyring import cluster_keys, create_cluster_key
from secretsops.sealed.sealing import new_sealed_secret

SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: apps\n"
    "stringData:\n  token: {value}\n"
)


def add_resources(harness, *files: str) -> None:  # type: ignore[no-untyped-def]
    k = harness.repo.path / "apps/kustomization.yaml"
    doc = yaml.safe_load(k.read_text())
    doc["resources"] += list(files)
    k.write_text(yaml.safe_dump(doc))


def test_sops_encrypted_secret_manifest_is_applied_decrypted(harness) -> None:
    harness.write_app({"A": "1"})
    harness.repo.write("apps/api.yaml", harness.age.encrypt(SECRET.format(name="api", value="tok-1")))
    add_resources(harness, "api.yaml")
    harness.repo.commit()
    eng = harness.engine()
    (res,) = eng.run_once()
    assert res.ok, res.error
    assert harness.secret("api") == {"token": "tok-1"}
    assert "ENC[" not in str(harness.core().read_namespaced_secret("api", "apps").to_dict())


def test_sops_manifest_with_a_broken_mac_fails_the_pass(harness) -> None:
    harness.write_app({"A": "1"})
    enc = harness.age.encrypt(SECRET.format(name="api", value="tok-1")).decode()
    harness.repo.write("apps/api.yaml", enc.replace("name: api", "name: api2"))
    add_resources(harness, "api.yaml")
    harness.repo.commit()
    (res,) = harness.engine().run_once()
    assert not res.ok and res.reason == "DecryptionFailed" and "Secret/apps/api2" in res.error
    assert harness.secret("api2") is None and harness.secret("db") is None


def test_sealed_secret_is_unsealed_with_the_cluster_key(harness) -> None:
    api = KubeClient(harness.api.api_client())
    create_cluster_key(api, "kube-system", key_size=2048)
    (key,) = cluster_keys(api, "kube-system")
    plain = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "sealed", "namespace": "apps"},
        "stringData": {"pw": "from-the-seal"},
    }
    sealed = new_sealed_secret(key.cert.public_key(), plain)
    harness.write_app({"A": "1"})
    harness.repo.write("apps/sealed.yaml", yaml.safe_dump(sealed))
    add_resources(harness, "sealed.yaml")
    harness.repo.commit()
    (res,) = harness.engine().run_once()
    assert res.ok, res.error
    assert harness.secret("sealed") == {"pw": "from-the-seal"}
