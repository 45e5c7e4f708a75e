"""Issue 11 rows 6 and 13 in the ExternalSecret controller, on the real API server.

Row 6: a template failing with a secret's value (or a transform of it) leaves the Ready
condition, the Events and the logs without that text. Row 13: templates that would make the
controller mint a credential are refused as ESO refuses them, before anything is fetched.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from tests.controllers.conftest import Cluster, Vault, external_secret
from tests.security.template_attacks import LEAKING_TEMPLATES, assert_no_form

ES = "external-secrets.io/v1"


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A namespace of this test's own (the API server is shared by the session)."""
    name = f"leak-{uuid.uuid4().hex[:8]}"
    cluster.namespace(name)
    yield name
    cluster.kube.delete("v1", "Namespace", "", name)


def _ready(cluster: Cluster, ns: str) -> dict:
    live = cluster.get(ES, "ExternalSecret", ns, "leak") or {}
    return next(c for c in (live.get("status") or {}).get("conditions") or [] if c["type"] == "Ready")


@pytest.mark.parametrize("attack", sorted(LEAKING_TEMPLATES))
def test_the_controller_reports_a_failing_template_without_its_text(
    cluster: Cluster, vault: Vault, namespace: str, canary: str, attack: str, caplog, capfd  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    path = f"controllers/{uuid.uuid4().hex[:10]}"
    vault.put(path, password=canary)
    vault.store(cluster, namespace)
    es = external_secret(namespace, "leak", path, "password")
    es["spec"]["target"]["template"] = LEAKING_TEMPLATES[attack]
    cluster.create(es)

    assert cluster.once(controllers=("externalsecrets",)) == 1

    assert cluster.secret(namespace, "leak") is None
    ready = _ready(cluster, namespace)
    assert ready["reason"] == "SecretSyncedError" and "template" in ready["message"]
    events = json.dumps(cluster.kube.list_objects("v1", "Event", namespace))
    logs = "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records)
    out, err = capfd.readouterr()
    assert_no_form(canary, json.dumps(ready), events, logs, out, err)


@pytest.mark.parametrize(
    ("template", "words"),
    [
        (
            {"type": "bootstrap.kubernetes.io/token"},
            "template.type='bootstrap.kubernetes.io/token' is not allowed",
        ),
        (
            {
                "type": "kubernetes.io/service-account-token",
                "templateFrom": [
                    {"target": "Annotations", "literal": "kubernetes.io/service-account.name: default"}
                ],
            },
            "with templateFrom target='Annotations' is not allowed",
        ),
    ],
)
def test_the_controller_refuses_templates_that_mint_credentials_before_fetching(
    cluster: Cluster, vault: Vault, namespace: str, template: dict, words: str
) -> None:
    vault.store(cluster, namespace)
    es = external_secret(namespace, "leak", f"controllers/{uuid.uuid4().hex[:10]}", "password")
    es["spec"]["target"]["template"] = template
    cluster.create(es)

    assert cluster.once(controllers=("externalsecrets",)) == 1

    assert cluster.secret(namespace, "leak") is None
    message = _ready(cluster, namespace)["message"]
    assert words in message
    assert "does not exist" not in message  # refused before the (missing) remote key was read
