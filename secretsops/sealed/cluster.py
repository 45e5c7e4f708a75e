"""Talk to the Bitnami controller through the API server's service proxy (as kubeseal does)."""

from __future__ import annotations

import json

from secretsops.errors import KubeError, SealedError, UnsealError
from secretsops.kube import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.output import order_meta
from secretsops.sealed.sealing import API_VERSION, KIND


def port_name(kube: KubeClient, namespace: str, name: str) -> str:
    """The name of the controller Service's first port (kubeseal proxies to it by name)."""
    try:
        service = kube.get("v1", "Service", namespace, name)
    except KubeError as exc:
        if not exc.status:
            raise SealedError(f"cannot reach the Kubernetes API: {exc.message}") from None
        service, status = None, exc.status
    else:
        status = 404
    if service is None:
        raise SealedError(
            f"cannot get sealed secret service {namespace}/{name} (HTTP {status}). "
            "Please, use the flag --controller-name and --controller-namespace "
            "to set up the name and namespace of the sealed secrets controller"
        )
    ports = (service.get("spec") or {}).get("ports") or []
    return str(ports[0].get("name") or "") if ports else ""


class ProxyStatus(Exception):
    """A non-2xx answer from the API server or the controller behind it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def controller_request(
    kube: KubeClient, namespace: str, name: str, method: str, endpoint: str, *, body: Obj | None = None
) -> bytes:
    """One request to the controller through the API server's service proxy, as kubeseal sends it
    (the Service is read for its port name, then ``.../services/http:NAME:PORT/proxy/v1/ENDPOINT``)."""
    port = port_name(kube, namespace, name)
    try:
        return kube.proxy(
            namespace,
            name,
            port,
            f"v1/{endpoint}",
            method=method,
            body=body,
            accept="application/x-pem-file, application/json, */*",
        )
    except KubeError as exc:
        if not exc.status:
            raise SealedError(f"cannot reach the Kubernetes API: {exc.message}") from None
        raise ProxyStatus(exc.status) from None


def rotate_with_controller(kube: KubeClient, namespace: str, name: str, sealed: Obj) -> Obj:
    """kubeseal --re-encrypt: the controller re-seals with its newest key (``/v1/rotate``)."""
    try:
        body = controller_request(kube, namespace, name, "POST", "rotate", body=sealed)
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


def verify_with_controller(kube: KubeClient, namespace: str, name: str, sealed: Obj) -> None:
    """POST the SealedSecret to the controller's ``/v1/verify``; 409 means it does not open."""
    try:
        controller_request(kube, namespace, name, "POST", "verify", body=sealed)
    except ProxyStatus as exc:
        meta = sealed.get("metadata") or {}
        if exc.status == 409:
            raise UnsealError(f"unable to decrypt sealed secret: {meta.get('name')}") from None
        raise SealedError(f"cannot validate sealed secret: HTTP {exc.status}") from None
