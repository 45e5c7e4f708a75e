"""Secrets an ExternalSecret may not produce: the ones that grant API access by existing.

A ``kubernetes.io/service-account-token`` Secret naming a ServiceAccount makes the token
controller mint a long-lived token for that account; a ``bootstrap.kubernetes.io/token`` Secret
is a credential the API server accepts. We write Secrets with the engine's rights, so anyone who
can write an ExternalSecret in git could mint credentials beyond their own RBAC. ESO refuses both
since 2.9: its admission webhook (``validatePrivilegedTemplate``) checks the template, and the
controller checks the rendered Secret again before writing it. We do the same, with ESO's words,
in ``render``, the engine and the ExternalSecret controller: one rule, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secretsops.errors import InputError

SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"
SERVICE_ACCOUNT_NAME = "kubernetes.io/service-account.name"
BOOTSTRAP_TOKEN = "bootstrap.kubernetes.io/token"


def check_template(template: Mapping[str, Any] | None) -> None:
    """ESO's webhook rule on ``spec.target.template``, before anything is fetched."""
    if not template:
        return
    secret_type = str(template.get("type") or "")
    if secret_type == SERVICE_ACCOUNT_TOKEN:
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        if SERVICE_ACCOUNT_NAME in annotations:
            raise InputError(
                f"spec.target.template: template.type={SERVICE_ACCOUNT_TOKEN!r} with annotation "
                f"{SERVICE_ACCOUNT_NAME!r} is not allowed (it would mint a ServiceAccount token)"
            )
        for item in template.get("templateFrom") or []:
            if str((item or {}).get("target") or "").lower() == "annotations":
                raise InputError(
                    f"spec.target.template: template.type={SERVICE_ACCOUNT_TOKEN!r} with templateFrom "
                    "target='Annotations' is not allowed (it could add the ServiceAccount annotation)"
                )
    elif secret_type == BOOTSTRAP_TOKEN:
        raise InputError(
            f"spec.target.template: template.type={BOOTSTRAP_TOKEN!r} is not allowed"
            " (it is a cluster credential)"
        )


def check_secret(secret: Mapping[str, Any]) -> None:
    """The rendered Secret, checked again before it is written (templated annotations included)."""
    secret_type = str(secret.get("type") or "")
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    if secret_type == SERVICE_ACCOUNT_TOKEN and SERVICE_ACCOUNT_NAME in annotations:
        raise InputError(
            f"spec.target.template: a Secret of type {SERVICE_ACCOUNT_TOKEN!r} with annotation "
            f"{SERVICE_ACCOUNT_NAME!r} is not allowed (it would mint a ServiceAccount token)"
        )
    if secret_type == BOOTSTRAP_TOKEN:
        raise InputError(
            f"spec.target.template: a Secret of type {BOOTSTRAP_TOKEN!r} is not allowed"
            " (it is a cluster credential)"
        )
