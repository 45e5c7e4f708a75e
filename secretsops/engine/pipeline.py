"""Decryptor options every caller of the pipeline shares (reconcile, render, the KRM function).

Objects produced from git are applied by us, Argo CD or kustomize, never by the Bitnami
controller: the SealedSecret is not in the cluster, so an ownerReference to it would have no
uid (the API rejects that) and would invite garbage collection. sealed-secrets' template data
is rendered with the full Go text/template engine, which ``secretsops.sealed`` may not import.
"""

from __future__ import annotations

from typing import Any

from secretsops.external.template.sealed_compat import sealed_template_renderer


def decrypt_options(**extra: Any) -> dict[str, Any]:
    return {
        "sealed_owner_references": "with-uid",
        "template_renderer": sealed_template_renderer,
        **extra,
    }
