"""Talk to the Bitnami controller through the API server's service proxy (as kubeseal does)."""

from __future__ import annotations

import json
from typing import Any

from secretsops.errors import SealedError, UnsealError
from secretsops.manifests import Obj
from secretsops.sealed.gofmt import order_meta
from secretsops.sealed.sealing import API_VERSION, KIND


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


class ProxyStatus(Exception):
    """A non-2xx answer from the API server or the controller behind it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def controller_request(
    api_client: Any, namespace: str, name: str, method: str, endpoint: str, *, body: Obj | None = None
) -> bytes:
    """One request to the controller through the API server's service proxy, as client-go sends it.

    The path is built like client-go's ``ProxyGet``/``Post().SubResource("proxy")``:
    ``/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/v1/ENDPOINT``, with ``:`` and ``/``
    unescaped (the generated Python proxy calls would escape them), PORT being the name of the
    Service's first port.
    """
    from kubernetes.client import CoreV1Api

    try:
        port = port_name(CoreV1Api(api_client), namespace, name)
    except SealedError:
        raise
    except Exception as exc:  # noqa: BLE001 - connection problems of any kind
        raise SealedError(f"cannot reach the Kubernetes API: {type(exc).__name__}") from None
    path = f"/api/v1/namespaces/{namespace}/services/http:{name}:{port}/proxy/v1/{endpoint}"
    headers = {"Accept": "application/x-pem-file, application/json, */*"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        method, url, headers, payload, post = api_client.param_serialize(
            method, path, header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        resp = api_client.call_api(method, url, header_params=headers, body=payload, post_params=post)
        data = resp.read()
    except Exception as exc:  # noqa: BLE001 - connection problems of any kind
        raise SealedError(f"cannot reach the Kubernetes API: {type(exc).__name__}") from None
    if not 200 <= int(resp.status) < 300:
        raise ProxyStatus(int(resp.status))
    return bytes(data or b"")


def rotate_with_controller(api_client: Any, namespace: str, name: str, sealed: Obj) -> Obj:
    """kubeseal --re-encrypt: the controller re-seals with its newest key (``/v1/rotate``)."""
    try:
        body = controller_request(api_client, namespace, name, "POST", "rotate", body=sealed)
    except ProxyStatus as exc:
        if exc.status == 409:
            raise UnsealError("unable to rotate secret") from None
        raise SealedError(f"cannot re-encrypt secret: HTTP {exc.status}") from None
    try:
        obj = json.loads(body)
    except ValueError:
        raise SealedError("cannot re-encrypt secret: the controller did not answer with JSON") from None
    if not isinstance(obj, dict):
        raise SealedError("cannot re-encrypt secret: the controller did not answer with a SealedSecret")
    meta = {
        k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("deletionTimestamp", "generation")
    }
    meta["creationTimestamp"] = None
    return {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "metadata": order_meta(meta),
        "spec": obj.get("spec") or {},
    }


def verify_with_controller(api_client: Any, namespace: str, name: str, sealed: Obj) -> None:
    """POST the SealedSecret to the controller's ``/v1/verify``; 409 means it does not open."""
    try:
        controller_request(api_client, namespace, name, "POST", "verify", body=sealed)
    except ProxyStatus as exc:
        meta = sealed.get("metadata") or {}
        if exc.status == 409:
            raise UnsealError(f"unable to decrypt sealed secret: {meta.get('name')}") from None
        raise SealedError(f"cannot validate sealed secret: HTTP {exc.status}") from None
