"""Leaks once missed: a broken document before a Secret, a JSON kubeconfig without clusters."""

from __future__ import annotations

import json

from tests.check.conftest import b64
from tests.helpers import assert_no_canary


def test_a_secret_after_a_document_that_does_not_parse_is_still_found(repo, canary):
    repo.write(
        "rendered.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: [unclosed\n---\n"
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\nstringData:\n  pw: {canary}\n",
    )
    res = repo.check_json()
    assert res.code == 1
    assert res.rules_at() == {("k8s-secret-plaintext", "rendered.yaml", 11)}
    assert_no_canary(canary, res.out, res.err)


def test_a_json_kubeconfig_without_a_yaml_name_or_clusters_is_found(repo, canary):
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [{"name": "u", "user": {"client-key-data": b64(canary)}}],
    }
    repo.write("ops/kubeconfig", json.dumps(config))
    res = repo.check_json()
    assert res.code == 1
    assert ("kubeconfig-credentials", "ops/kubeconfig", 1) in res.rules_at()
    assert_no_canary(canary, res.out, res.err)
