"""Issue 11 row 6: no text a template computes reaches status, Events, logs or stderr.

A repo writer who may not read a Secret writes an ExternalSecret whose template fails with the
secret's value (or its base64, upper case, hex, a prefix) in the error. The engine, ``render``
and the controllers fail the ExternalSecret naming the template, the key and the function only.
Row 13 (Secrets that mint credentials) is tested here too, on the same set-up.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import hvac
import pytest
import yaml

from secretsops.engine.logs import JsonFormatter
from secretsops.kube import KubeClient
from secretsops.manifests import dump_yaml
from tests.controllers.conftest import install_crds
from tests.engine.test_decryptors import add_resources
from tests.security.template_attacks import LEAKING_TEMPLATES, assert_no_form
from tests.security.test_stores_from_api import fake_vault  # noqa: F401 - a fixture

ES_API = "external-secrets.io/v1"


def _store(url: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": ES_API,
        "kind": "SecretStore",
        "metadata": {"name": "bao", "namespace": namespace},
        "spec": {
            "provider": {
                "vault": {
                    "server": url,
                    "path": "secret",
                    "version": "v2",
                    "auth": {"tokenSecretRef": {"name": "bao-token", "key": "token"}},
                }
            }
        },
    }


def _token(token: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "bao-token", "namespace": namespace},
        "stringData": {"token": token},
    }


def _external_secret(path: str, template: dict[str, Any], namespace: str | None = "apps") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "leak"}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": ES_API,
        "kind": "ExternalSecret",
        "metadata": meta,
        "spec": {
            "secretStoreRef": {"name": "bao", "kind": "SecretStore"},
            "target": {"name": "leak", "template": template},
            "data": [{"secretKey": "password", "remoteRef": {"key": path, "property": "password"}}],
        },
    }


@pytest.fixture
def vault_path(openbao, canary: str) -> str:  # type: ignore[no-untyped-def]
    path = f"leaks/{uuid.uuid4().hex[:10]}"
    client = hvac.Client(url=openbao.url, token=openbao.token)
    client.secrets.kv.v2.create_or_update_secret(path=path, secret={"password": canary})
    return path


# --- the engine: status ConfigMap, Events, logs, stderr ----------------------------------------


def _engine_pass(harness, openbao, path: str, template: dict[str, Any]):  # type: ignore[no-untyped-def]
    """One pass of a source whose ExternalSecret uses ``template``; the store is in the cluster."""
    kube = KubeClient(harness.api.api_client())
    install_crds(kube)
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}})
    kube.create(_token(openbao.token, "apps"))
    kube.create(_store(openbao.url, "apps"))
    harness.write_app({"A": "1"})
    harness.repo.write("apps/leak.yaml", dump_yaml([_external_secret(path, template)]))
    add_resources(harness, "leak.yaml")
    harness.repo.commit()
    eng = harness.engine()
    (result,) = eng.run_once()
    return eng, result


@pytest.mark.parametrize("attack", sorted(LEAKING_TEMPLATES))
def test_the_engine_says_nothing_a_template_computed(
    harness,
    openbao,
    vault_path: str,
    canary: str,
    attack: str,
    caplog,
    capfd,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    eng, result = _engine_pass(harness, openbao, vault_path, LEAKING_TEMPLATES[attack])

    assert not result.ok
    assert harness.secret("leak") is None
    core = harness.core()
    configmaps = core.list_namespaced_config_map("secretsops-system").items
    status = json.dumps([c.to_dict() for c in configmaps], default=str)
    events = json.dumps(
        [e.to_dict() for ns in ("secretsops-system", "apps") for e in core.list_namespaced_event(ns).items],
        default=str,
    )
    formatter = JsonFormatter()
    logs = "\n".join(formatter.format(r) + repr(r.__dict__) for r in caplog.records)
    out, err = capfd.readouterr()
    assert "ExternalSecret" in status and "template" in status  # the failure is reported…
    assert_no_form(canary, status, events, logs, out, err, repr(result))  # …without the value


def test_the_engine_names_the_template_key_and_function(harness, openbao, vault_path: str) -> None:  # type: ignore[no-untyped-def]
    _engine_pass(harness, openbao, vault_path, LEAKING_TEMPLATES["fail-b64enc"])

    message = harness.condition("Ready")["message"]
    assert "unable to execute template at key dsn" in message
    assert "error calling fail: <message not shown: computed by the template>" in message


def test_a_label_computed_from_the_value_is_refused_before_the_api_server_echoes_it(
    harness, openbao, vault_path: str
) -> None:  # type: ignore[no-untyped-def]
    _engine_pass(harness, openbao, vault_path, LEAKING_TEMPLATES["label-value-from-the-value"])

    message = harness.condition("Ready")["message"]
    assert "template leak: produced a value for label 'leak' the API server would refuse" in message


# --- render: stdout and stderr of the real command (RE2 writes to fd 2, past Python) -----------


def _render_dir(tmp_path: Path, openbao, path: str, template: dict[str, Any]) -> Path:  # type: ignore[no-untyped-def]
    app = tmp_path / "app"
    app.mkdir()
    objs = [_store(openbao.url, "apps"), _token(openbao.token, "apps"), _external_secret(path, template)]
    (app / "all.yaml").write_text(dump_yaml(objs))
    return app


def _render(app: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "secretsops", "render", str(app)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("attack", sorted(LEAKING_TEMPLATES))
def test_render_prints_nothing_a_template_computed(
    tmp_path: Path,
    openbao,
    vault_path: str,
    canary: str,
    attack: str,  # type: ignore[no-untyped-def]
) -> None:
    proc = _render(_render_dir(tmp_path, openbao, vault_path, LEAKING_TEMPLATES[attack]))

    assert proc.returncode != 0
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert_no_form(canary, proc.stdout, proc.stderr)


def test_a_regexp_built_from_the_value_is_never_logged_by_re2(
    tmp_path: Path,
    openbao,
    vault_path: str,
    canary: str,  # type: ignore[no-untyped-def]
) -> None:
    """``regexMatch`` swallows the compile error (sprig does); RE2 must not print the pattern."""
    template = {"data": {"ok": '{{ regexMatch (printf "(%s" (upper .password)) "x" }}'}}

    proc = _render(_render_dir(tmp_path, openbao, vault_path, template))

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert_no_form(canary, proc.stderr)


def test_re2_writes_nothing_to_fd_2_for_a_bad_pattern_anywhere() -> None:
    """Every RE2 user goes through secretsops.golang.regexp: a child process shows what fd 2 gets."""
    code = (
        "from secretsops.golang import regexp\n"
        "from secretsops.golang.template import render\n"
        "from secretsops.sops.tree import CryptRules\n"
        "for p in ('CANARY-fd2(', '[CANARY-fd2'):\n"
        "    try:\n"
        "        regexp.compile(p)\n"
        "    except regexp.error:\n"
        "        pass\n"
        "render('{{ regexMatch .p \"x\" }}', {'p': 'CANARY-fd2('})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""


# --- row 13: Secrets that mint credentials --------------------------------------------------------

PRIVILEGED = {
    "service-account-token": {
        "type": "kubernetes.io/service-account-token",
        "metadata": {"annotations": {"kubernetes.io/service-account.name": "default"}},
    },
    "service-account-token-annotation-from-templateFrom": {
        "type": "kubernetes.io/service-account-token",
        "templateFrom": [{"target": "Annotations", "literal": "kubernetes.io/service-account.name: default"}],
    },
    "bootstrap-token": {"type": "bootstrap.kubernetes.io/token", "data": {"token-id": "abcdef"}},
}


@pytest.mark.parametrize("kind", sorted(PRIVILEGED))
def test_render_refuses_a_template_that_mints_credentials(
    tmp_path: Path,
    openbao,
    vault_path: str,
    kind: str,  # type: ignore[no-untyped-def]
) -> None:
    proc = _render(_render_dir(tmp_path, openbao, vault_path, PRIVILEGED[kind]))

    assert proc.returncode != 0 and proc.stdout == ""
    assert "is not allowed" in proc.stderr and "template.type=" in proc.stderr


@pytest.mark.parametrize("kind", sorted(PRIVILEGED))
def test_the_engine_refuses_a_template_that_mints_credentials(
    harness,
    openbao,
    vault_path: str,
    kind: str,  # type: ignore[no-untyped-def]
) -> None:
    _eng, result = _engine_pass(harness, openbao, vault_path, PRIVILEGED[kind])

    assert not result.ok
    assert harness.secret("leak") is None
    assert "is not allowed" in harness.condition("Ready")["message"]


def test_the_engine_fetches_nothing_for_a_refused_template(harness, fake_vault) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Refused as ESO's webhook refuses it: before the pass's prefetch asks the store anything."""
    kube = KubeClient(harness.api.api_client())
    install_crds(kube)
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}})
    kube.create(_token("fake-token", "apps"))
    kube.create(_store(fake_vault.url, "apps"))
    harness.write_app({"A": "1"})
    es = _external_secret("refused/path", PRIVILEGED["bootstrap-token"])
    es["spec"]["data"].append({"secretKey": "other", "remoteRef": {"key": "refused/other", "property": "x"}})
    harness.repo.write("apps/leak.yaml", dump_yaml([es]))
    add_resources(harness, "leak.yaml")
    harness.repo.commit()

    (result,) = harness.engine().run_once()

    assert not result.ok and "is not allowed" in harness.condition("Ready")["message"]
    assert b"refused/" not in fake_vault.received()  # (the pass prefetches 2+ paths at once)


def test_a_service_account_token_type_without_the_annotation_is_left_to_the_api_server(
    tmp_path: Path, openbao, vault_path: str
) -> None:  # type: ignore[no-untyped-def]
    """ESO's rule exactly: the type alone mints nothing (the API server requires the annotation)."""
    template = {"type": "kubernetes.io/service-account-token", "data": {"token": "{{ .password }}"}}

    proc = _render(_render_dir(tmp_path, openbao, vault_path, template))

    assert proc.returncode == 0, proc.stderr
    (secret,) = [d for d in yaml.safe_load_all(proc.stdout) if d and d["metadata"]["name"] == "leak"]
    assert secret["type"] == "kubernetes.io/service-account-token"


# --- sealed-secrets: spec.template.data is rendered by the same engine --------------------------


@pytest.mark.parametrize(
    "attack", ["fail-b64enc", "fail-upper", "fail-printf-hex", "fail-trunc", "regexp-from-the-value"]
)
def test_unseal_prints_nothing_a_sealed_template_computed(tmp_path: Path, canary: str, attack: str) -> None:
    from secretsops.sealed.keypairs import generate_key, private_key_pem
    from secretsops.sealed.sealing import SealOptions, seal_secret

    key, _cert = generate_key(2048)
    key_file = tmp_path / "sealing.key"
    key_file.write_bytes(private_key_pem(key))
    secret = {
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "stringData": {"password": canary},
    }
    sealed = seal_secret(key.public_key(), secret, SealOptions())
    sealed["spec"]["template"]["data"] = LEAKING_TEMPLATES[attack]["data"]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}

    proc = subprocess.run(
        [sys.executable, "-m", "secretsops", "unseal", "--private-key", str(key_file)],
        input=json.dumps(sealed),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )

    assert proc.returncode != 0 and proc.stdout == ""
    assert "dsn: template: dsn:1:" in proc.stderr
    assert_no_form(canary, proc.stdout, proc.stderr)
