"""Whole manifests, written the way ESO users write them, resolved unchanged."""

from __future__ import annotations

from tests.external import eso_schema
from tests.external.manifests import docs, secret_values


def test_vault_backed_app_credentials(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/payments/db",
        {"username": "payments", "password": "hunter2", "connection": {"host": "db.internal", "port": 5432}},
        mount_point="secret",
    )
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/payments/api", {"STRIPE_KEY": "sk_test_1"}, mount_point="secret"
    )
    objs = docs(f"""
apiVersion: v1
kind: Secret
metadata:
  name: vault-token
  namespace: payments
stringData:
  token: {openbao.token}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: vault-backend
  namespace: payments
spec:
  provider:
    vault:
      server: "{openbao.url}"
      path: "secret"
      version: "v2"
      auth:
        tokenSecretRef:
          name: "vault-token"
          key: "token"
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: payments-db
  namespace: payments
  labels:
    app.kubernetes.io/name: payments
spec:
  refreshInterval: "15s"
  secretStoreRef:
    name: vault-backend
    kind: SecretStore
  target:
    name: payments-db-credentials
    creationPolicy: Owner
  data:
  - secretKey: DB_HOST
    remoteRef:
      key: {uniq}/payments/db
      property: connection.host
  - secretKey: DB_PORT
    remoteRef:
      key: {uniq}/payments/db
      property: connection.port
  - secretKey: DB_PASSWORD
    remoteRef:
      key: {uniq}/payments/db
      property: password
  dataFrom:
  - extract:
      key: {uniq}/payments/api
""")
    for obj in objs:
        eso_schema.validate(obj)
    [secret] = resolve(objs)
    assert secret["metadata"]["name"] == "payments-db-credentials"
    assert secret["metadata"]["labels"]["app.kubernetes.io/name"] == "payments"
    assert secret_values(secret) == {
        "DB_HOST": "db.internal",
        "DB_PORT": "5432",
        "DB_PASSWORD": "hunter2",
        "STRIPE_KEY": "sk_test_1",
    }
