"""``KubeApiServer``: the in-process Kubernetes API test server (start/stop, context manager)."""

from __future__ import annotations

import os
import threading
from collections import deque
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import yaml

from .faults import Fault, Faults
from .handler import Handler
from .store import Store
from .tokens import DEFAULT_ISSUER, TokenIssuer

if TYPE_CHECKING:
    import kubernetes.client

LOOPBACK = "127.0.0.1"
CONTEXT = "kubeapi-test"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    kubeapi: KubeApiServer


class KubeApiServer:
    """A Kubernetes API server for tests: plain HTTP on 127.0.0.1, no auth, state in memory only.

    ``with KubeApiServer() as api: api.url``; ``port=0`` picks a free port.
    """

    def __init__(self, port: int = 0, host: str = LOOPBACK, issuer: str = DEFAULT_ISSUER) -> None:
        self.host, self._requested_port = host, port
        #: signs ServiceAccount tokens (TokenRequest) and checks them (TokenReview, /openid/v1/jwks)
        self.issuer = TokenIssuer(issuer)
        self.store = Store()
        self.faults = Faults()
        self.kubeconfig: Path | None = None
        self.requests: deque[tuple[str, str]] = deque(maxlen=10_000)
        self.stopping = False
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self, kubeconfig: Path | None = None) -> KubeApiServer:
        """Listen and serve; ``kubeconfig`` is written before the first request is answered.

        A client that waits for ``/healthz`` and then reads the kubeconfig must never find it
        missing or half written.
        """
        if self._httpd is not None:
            return self
        self.stopping = False
        self.store.reopen()
        httpd = _HTTPServer((self.host, self._requested_port), Handler)
        httpd.kubeapi = self
        self._httpd = httpd
        if kubeconfig is not None:
            self.write_kubeconfig(kubeconfig)
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"kubeapi:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping = True
        self.store.close()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd, self._thread = None, None

    def serve_forever(self) -> None:
        """Run in the foreground (the ``python -m`` entry point); stops on KeyboardInterrupt."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses and clients ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._requested_port
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def kubeconfig_dict(self, context: str = CONTEXT, namespace: str = "default") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": context, "user": {}}],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}
            ],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(self, path: Path, context: str = CONTEXT) -> Path:
        """Write a kubeconfig for this server (no credentials: the server has no auth) and remember it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(yaml.safe_dump(self.kubeconfig_dict(context), sort_keys=False))
        os.replace(partial, path)
        self.kubeconfig = path
        return path

    def api_client(self) -> kubernetes.client.ApiClient:
        """A ``kubernetes.client.ApiClient`` configured for this server (independent of any kubeconfig)."""
        import kubernetes.client

        config = kubernetes.client.Configuration()
        config.host = self.url
        config.verify_ssl = False
        return kubernetes.client.ApiClient(config)

    # -- test controls ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Wipe all objects, custom types, faults and the request log (default namespaces come back)."""
        self.faults.clear()
        self.requests.clear()
        self.store.reset()

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        *,
        retry_after: int | None = None,
        message: str = "",
    ) -> Fault:
        """Make the next ``times`` requests matching ``method`` (or ``*``) and ``path_regex`` fail."""
        return self.faults.add(method, path_regex, status, times, retry_after=retry_after, message=message)

    def record(self, method: str, path: str) -> None:
        self.requests.append((method, path))
