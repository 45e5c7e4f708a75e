"""ExternalSecrets re-resolve on refreshInterval without a git change; SealedSecrets get no dangling owner."""

from __future__ import annotations

import time

import hvac
import yaml

from secretsops.kube import KubeClient
from secretsops.sealed.keyring import cluster_keys, create_cluster_key
from secretsops.sealed.sealing import new_sealed_secret
from tests.controllers.conftest import install_crds
from tests.engine.test_decryptors import add_resources

STORE = """apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: bao
  namespace: apps
spec:
  provider:
    vault:
      server: {url}
      path: secret
      version: v2
      auth:
        tokenSecretRef:
          name: bao-token
          key: token
---
apiVersion: v1
kind: Secret
metadata:
  name: bao-token
  namespace: apps
stringData:
  token: {token}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: api
  namespace: apps
spec:
  refreshInterval: 1s
  secretStoreRef:
    name: bao
    kind: SecretStore
  target:
    name: api
  data:
  - secretKey: password
    remoteRef:
      key: refresh-test/api
      property: password
"""


def test_externalsecret_is_resolved_again_after_its_refresh_interval_without_a_commit(
    harness, openbao  # type: ignore[no-untyped-def]
) -> None:
    install_crds(KubeClient(harness.api.api_client()))  # the SecretStore in git is applied, then used
    bao = hvac.Client(url=openbao.url, token=openbao.token)
    bao.secrets.kv.v2.create_or_update_secret(path="refresh-test/api", secret={"password": "first"})
    harness.write_app({"A": "1"})
    harness.repo.write("apps/external.yaml", STORE.format(url=openbao.url, token=openbao.token))
    add_resources(harness, "external.yaml")
    harness.repo.commit()
    eng = harness.engine()
    (res,) = eng.run_once()
    assert res.ok, res.error
    assert harness.secret("api") == {"password": "first"}

    bao.secrets.kv.v2.create_or_update_secret(path="refresh-test/api", secret={"password": "second"})
    time.sleep(1.1)
    (res,) = eng.run_once()
    assert res.ok, res.error
    assert res.rendered
    assert harness.secret("api") == {"password": "second"}


def test_unsealed_secret_from_git_has_no_owner_reference_without_a_live_sealedsecret(harness) -> None:  # type: ignore[no-untyped-def]
    api = KubeClient(harness.api.api_client())
    create_cluster_key(api, "kube-system", key_size=2048)
    (key,) = cluster_keys(api, "kube-system")
    plain = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "sealed", "namespace": "apps"},
        "stringData": {"user": "app", "pw": "from-the-seal"},
    }
    sealed = new_sealed_secret(key.cert.public_key(), plain)
    sealed["spec"]["template"]["data"] = {"dsn": "{{ .user }}:{{ .pw | upper }}@db"}
    harness.write_app({"A": "1"})
    harness.repo.write("apps/sealed.yaml", yaml.safe_dump(sealed))
    add_resources(harness, "sealed.yaml")
    harness.repo.commit()
    (res,) = harness.engine().run_once()
    assert res.ok, res.error
    live = harness.core().read_namespaced_secret("sealed", "apps")
    assert not live.metadata.owner_references
    assert harness.secret("sealed")["dsn"] == "app:FROM-THE-SEAL@db"
