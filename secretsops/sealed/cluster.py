"""Talk to the Bitnami controller through the API server's service proxy (as kubeseal does)."""

from __future__ import annotations

import json
from typing import Any

from secretsops.errors import SealedError, UnsealError
from secretsops.manifests import Obj


def port_name(core: Any, namespace: str, name: str) -> str:
    from kubernetes.client.exceptions import ApiException

    try:
        service = core.read_namespaced_service(name, namespace)
    except ApiException as exc:
        raise SealedError(
            f"cannot get sealed secret service {namespace}/{name} (HTTP {exc.status}). "
            "Please, use the flag --controller-name and --controller-namespace "
            "to set up the name and namespace of the sealed secrets controller"
        ) from None
    ports = (service.spec.ports or []) if service.spec else []
    return str(ports[0].name or "") if ports else ""


def verify_with_controller(api_client: Any, namespace: str, name: str, sealed: Obj) -> None:
    """POST the SealedSecret to the controller's ``/v1/verify``; 409 means it does not open."""
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException

    core = CoreV1Api(api_client)
    port = port_name(core, namespace, name)
    path = f"/api/v1/namespaces/{namespace}/services/http:{name}:{port}/proxy/v1/verify"
    try:
        api_client.call_api(
            path,
            "POST",
            body=json.loads(json.dumps(sealed)),
            header_params={"Content-Type": "application/json"},
            auth_settings=["BearerToken"],
            _preload_content=False,
        )
    except ApiException as exc:
        meta = sealed.get("metadata") or {}
        if exc.status == 409:
            raise UnsealError(f"unable to decrypt sealed secret: {meta.get('name')}") from None
        raise SealedError(f"cannot validate sealed secret: HTTP {exc.status}") from None
