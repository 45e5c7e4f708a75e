"""The controller's HTTP API: the sealed-secrets controller's endpoints, probes and metrics.

``GET  /v1/cert.pem``  the newest sealing key's certificate (``kubeseal --fetch-cert``)
``POST /v1/verify``    200 when the SealedSecret in the body opens with our keys, 409 when not
                       (``kubeseal --validate``)
``POST /v1/rotate``    the SealedSecret re-sealed with the newest key, or 409 when it does not
                       open (``kubeseal --re-encrypt``)
``GET  /healthz``      200 while the process runs; ``/readyz`` 200 once the keyring is loaded
                       (or, without the sealed controller, at once)
``GET  /metrics``      Prometheus exposition of the controllers' registry

These are the paths kubeseal reaches through the API server's service proxy
(``/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/v1/...``). Bodies are limited to
1 MiB; answers never carry a value (a 409 says only that the object does not open).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.exposition import choose_encoder

from secretsops.engine.http_handler import JsonHandler, QuietServer
from secretsops.errors import SecretsOpsError
from secretsops.sealed.keypairs import cert_pem
from secretsops.sealed.sealing import new_sealed_secret
from secretsops.sealed.unsealing import Unsealer, UnsealMemory

log = logging.getLogger("secretsops.controllers.httpapi")

MAX_BODY = 1 << 20


@dataclass
class ApiRuntime:
    manager: Any  # secretsops.controllers.manager.Manager

    def __post_init__(self) -> None:
        self.memory = UnsealMemory()

    def ready(self) -> bool:
        keyring = self.manager.keyring
        return keyring is None or keyring.informer is None or keyring.informer.synced.is_set()

    def certificate(self) -> bytes | None:
        keyring = self.manager.keyring
        if keyring is None:
            return None
        for key in keyring.current():
            if key.cert is not None:
                return bytes(cert_pem(key.cert))
        return None

    def _unseal(self, sealed: dict[str, Any]) -> dict[str, Any] | None:
        keyring = self.manager.keyring
        keys = keyring.current() if keyring is not None else []
        if not keys:
            return None
        try:
            return Unsealer(keys, memory=self.memory).unseal(sealed, "request")
        except SecretsOpsError:
            return None

    def verify(self, sealed: dict[str, Any]) -> bool:
        return self._unseal(sealed) is not None

    def rotate(self, sealed: dict[str, Any]) -> dict[str, Any] | None:
        """Unseal, then seal the resulting Secret for the newest key (the controller's Rotate)."""
        secret = self._unseal(sealed)
        if secret is None:
            return None
        newest = self.manager.keyring.newest()
        return new_sealed_secret(newest.private_key.public_key(), secret, "request")


class _Handler(JsonHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802
        rt = self.server.runtime
        path = urlsplit(self.path).path
        try:
            if path == "/healthz":
                self._json(200, {"status": "ok"})
            elif path == "/readyz":
                ok = rt.ready()
                self._json(200 if ok else 503, {"status": "ok" if ok else "keyring not loaded yet"})
            elif path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                self._send(200, encoder(rt.manager.metrics.registry), content_type)
            elif path == "/v1/cert.pem":
                cert = rt.certificate()
                if cert is None:
                    self._json(404, {"error": "no sealing key"})
                else:
                    self._send(200, cert, "application/x-pem-file")
            else:
                self._json(404, {"error": "not found"})
        except Exception as exc:  # noqa: BLE001 - a probe must answer; its text may quote input
            self._json(500, {"error": f"internal error ({type(exc).__name__})"})

    def _body(self) -> dict[str, Any] | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._json(413 if length > MAX_BODY else 400, {"error": "body missing or too large"})
            return None
        try:
            doc = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or doc.get("kind") != "SealedSecret":
            self._json(400, {"error": "expected a SealedSecret as JSON"})
            return None
        return doc

    def do_POST(self) -> None:  # noqa: N802
        rt = self.server.runtime
        path = urlsplit(self.path).path
        if path not in ("/v1/verify", "/v1/rotate"):
            self._json(404, {"error": "not found"})
            return
        sealed = self._body()
        if sealed is None:
            return
        try:
            if path == "/v1/verify":
                if rt.verify(sealed):
                    self._json(200, {"status": "ok"})
                else:
                    self._json(409, {"error": "unable to decrypt sealed secret"})
            else:
                rotated = rt.rotate(sealed)
                if rotated is None:
                    self._json(409, {"error": "unable to rotate secret"})
                else:
                    self._send(200, json.dumps(rotated).encode())
        except SecretsOpsError as exc:
            self._json(409, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001
            self._json(500, {"error": f"internal error ({type(exc).__name__})"})


class _Server(QuietServer):
    runtime: ApiRuntime


@dataclass
class ApiServer:
    httpd: _Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(runtime: ApiRuntime, host: str, port: int) -> ApiServer:
    httpd = _Server((host, port), _Handler)
    httpd.runtime = runtime
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="secretsops-controller-http",
        daemon=True,
    )
    thread.start()
    return ApiServer(httpd, thread)
