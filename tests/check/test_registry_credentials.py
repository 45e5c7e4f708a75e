"""Registry logins (docker/podman config ``auths``) committed outside a Secret are found."""

from __future__ import annotations

import json

from tests.check.conftest import b64
from tests.helpers import assert_no_canary


def test_a_docker_config_json_with_an_auth_is_found(repo, canary):
    auth = b64(f"ci:{canary}")
    repo.write(".docker/config.json", json.dumps({"auths": {"ghcr.io": {"auth": auth}}}, indent=2) + "\n")
    res = repo.check_json()
    assert res.rules_at() == {("registry-credentials", ".docker/config.json", 4)}
    assert res.json["findings"][0]["key"] == "auths[ghcr.io].auth"
    assert_no_canary(canary, res.out)
    assert auth not in res.out


def test_registry_credentials_nested_in_a_values_file_are_found(repo, canary):
    repo.write(
        "charts/app/values.yaml",
        f"imageCredentials:\n  dockerconfig:\n    auths:\n      registry.example.org:\n"
        f"        username: ci\n        password: {canary}\n",
    )
    assert repo.check_json().rules_at() == {("registry-credentials", "charts/app/values.yaml", 6)}


def test_a_config_naming_only_a_credential_helper_passes(repo):
    repo.write(
        ".docker/config.json",
        json.dumps({"auths": {"ghcr.io": {}}, "credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}),
    )
    assert repo.check().code == 0


def test_a_dockerconfigjson_secret_is_reported_as_the_secret(repo, canary):
    config = b64(json.dumps({"auths": {"ghcr.io": {"auth": b64(f"ci:{canary}")}}}))
    repo.write(
        "deploy/regcred.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\n"
        f"data:\n  .dockerconfigjson: {config}\n",
    )
    assert {r for r, _p, _l in repo.check_json().rules_at()} == {"k8s-secret-plaintext"}
