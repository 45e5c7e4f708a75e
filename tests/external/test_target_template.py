"""``spec.target.template`` with engine v2, applied in ESO's order, against OpenBao data."""

from __future__ import annotations

import pytest

from secretsops.errors import TemplateError
from tests.external.manifests import external_secret, secret_values, token_secret, vault_store
from tests.helpers import assert_no_canary


@pytest.fixture
def creds(bao, uniq, canary) -> str:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/db", {"user": "app", "password": canary}, mount_point="secret"
    )
    return f"{uniq}/db"


def _es(key: str, template: dict, **kw) -> dict:
    return external_secret(
        data=[
            {"secretKey": "user", "remoteRef": {"key": key, "property": "user"}},
            {"secretKey": "password", "remoteRef": {"key": key, "property": "password"}},
        ],
        target={"name": "db-creds", "template": template},
        **kw,
    )


def _run(resolve, openbao, es, *extra):
    return resolve([vault_store(openbao.url), token_secret("vault-token", openbao.token), es, *extra])


def test_template_data_replaces_fetched_keys(openbao, resolve, creds, canary) -> None:
    es = _es(
        creds, {"engineVersion": "v2", "data": {"dsn": "postgres://{{ .user }}:{{ .password }}@db:5432/app"}}
    )
    [secret] = _run(resolve, openbao, es)
    assert secret_values(secret) == {"dsn": f"postgres://app:{canary}@db:5432/app"}


def test_merge_policy_keeps_fetched_keys_beside_templated_ones(openbao, resolve, creds, canary) -> None:
    es = _es(creds, {"mergePolicy": "Merge", "data": {"login": "{{ .user | upper }}"}})
    [secret] = _run(resolve, openbao, es)
    assert secret_values(secret) == {"user": "app", "password": canary, "login": "APP"}


def test_template_without_data_keeps_fetched_keys_and_sets_type_and_metadata(openbao, resolve, creds) -> None:
    es = _es(
        creds,
        {
            "type": "kubernetes.io/basic-auth",
            "metadata": {"labels": {"app": "db", "owner": "{{ .user }}"}, "annotations": {"note": "rotated"}},
        },
    )
    [secret] = _run(resolve, openbao, es)
    assert secret["type"] == "kubernetes.io/basic-auth"
    assert set(secret_values(secret)) == {"user", "password"}
    assert secret["metadata"]["labels"]["owner"] == "app" and secret["metadata"]["labels"]["app"] == "db"
    assert secret["metadata"]["annotations"]["note"] == "rotated"


def test_template_from_configmap_and_literal(openbao, resolve, creds) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "tpl", "namespace": "apps"},
        "data": {"config.yaml": "db:\n  user: {{ .user }}\n"},
    }
    es = _es(
        creds,
        {
            "templateFrom": [
                {"configMap": {"name": "tpl", "items": [{"key": "config.yaml"}]}},
                {"literal": "extra: '{{ .user }}-x'", "target": "Annotations"},
            ],
            "data": {"config.yaml": "overridden {{ .user }}"},
        },
    )
    [secret] = _run(resolve, openbao, es, cm)
    assert secret_values(secret) == {"config.yaml": "overridden app"}
    assert secret["metadata"]["annotations"]["extra"] == "app-x"


def test_template_delims_annotation_avoids_helm_escaping(openbao, resolve, creds) -> None:
    es = _es(
        creds,
        {"data": {"u": "[[ .user ]] {{ literal }}"}},
        annotations={"secretsops.io/template-delims": "[[ ]]"},
    )
    [secret] = _run(resolve, openbao, es)
    assert secret_values(secret) == {"u": "app {{ literal }}"}


def test_missing_template_key_fails_without_values(openbao, resolve, creds, canary) -> None:
    es = _es(creds, {"data": {"bad": "{{ .password }}{{ .nope }}"}})
    with pytest.raises(TemplateError) as err:
        _run(resolve, openbao, es)
    assert "ExternalSecret apps/app-db" in str(err.value) and "bad" in str(err.value)
    assert_no_canary(canary, str(err.value))


def test_rewrite_transform_renames_keys(bao, openbao, resolve, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/t", {"db_user": "u"}, mount_point="secret")
    es = external_secret(
        data_from=[
            {
                "extract": {"key": f"{uniq}/t"},
                "rewrite": [{"transform": {"template": "{{ .value | upper }}"}}],
            }
        ]
    )
    [secret] = _run(resolve, openbao, es)
    assert secret_values(secret) == {"DB_USER": "u"}


def test_keys_and_values_literal_keeps_scalars_as_text(openbao, resolve, creds) -> None:
    es = _es(creds, {"templateFrom": [{"literal": "port: 5432\nuser: {{ .user }}\n"}]})
    [secret] = _run(resolve, openbao, es)
    assert secret_values(secret) == {"port": "5432", "user": "app"}
