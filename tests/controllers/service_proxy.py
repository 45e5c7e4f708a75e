"""A loopback stand-in for ONE kube-apiserver feature: the service proxy to the sealing controller.

``kubeseal --validate`` and ``--re-encrypt`` reach the controller as
``POST /api/v1/namespaces/NS/services/http:NAME:PORT/proxy/v1/verify`` (client-go's
``ProxyGet``/``SubResource("proxy")`` with ``JoinSchemeNamePort``). The real API server sends such a
request only to an Endpoints address that is not loopback and belongs to a Pod, which a controller on
127.0.0.1 cannot be (see ``test_the_api_server_refuses_loopback_endpoints...``). This HTTP server sits
in front of the real kube-apiserver: requests for the proxy subresource of the one Service it stands
in for go to the controller's HTTP API, after the real API server has said (SelfSubjectAccessReview,
with the caller's own credentials) that the caller may use that subresource; every other request is
forwarded unchanged (TLS, the cluster's CA, the caller's token) so kubeseal's lookup of the Service
and its port is answered by the real API server. The proxy itself speaks HTTPS with the API server's
own certificate (127.0.0.1, signed by the cluster's CA, so the kubeconfig trusts it as is): client-go
reads a kubeconfig's user credentials only for a TLS server (clientcmd ``ClientConfig``: "only try to
read the auth information if we are secure"), so over plain HTTP kubeseal would arrive as
``system:anonymous``. Standard library only (http.server, http.client, ssl). Responses are buffered
(no watches), which is all kubeseal needs. Every request is recorded with where it went, so a test
can show that the controller was reached through the proxy and the Service came from the API server.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones this proxy sets itself.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
}
_PREFIX = "/api/v1/namespaces/"


@dataclass(frozen=True)
class Routed:
    """One request the proxy handled: where it went (``"controller"`` or ``"apiserver"``) and its answer."""

    method: str
    path: str
    to: str
    status: int


@dataclass
class ServiceProxy:
    """The cluster as a client sees it, except that ``namespace/service``'s proxy reaches ``backend``."""

    apiserver: str  # https://127.0.0.1:PORT of the real kube-apiserver
    ca_pem: bytes
    token: str
    namespace: str
    service: str
    ports: tuple[str, ...]  # the Service's port names (and numbers) the real proxy would accept
    backend: str  # http://127.0.0.1:PORT of the controller's HTTP API
    routed: list[Routed] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig whose server is this proxy (HTTPS on loopback) with the cluster's token."""
        ca = base64.b64encode(self.ca_pem).decode()
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "proxied", "cluster": {"server": self.url, "certificate-authority-data": ca}}
            ],
            "users": [{"name": "proxied", "user": {"token": self.token}}],
            "contexts": [{"name": "proxied", "context": {"cluster": "proxied", "user": "proxied"}}],
            "current-context": "proxied",
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        path.chmod(0o600)
        return path

    def record(self, entry: Routed) -> None:
        with self._lock:
            self.routed.append(entry)

    def to(self, where: str) -> list[Routed]:
        with self._lock:
            return [r for r in self.routed if r.to == where]

    # -- routing -----------------------------------------------------------------------------------
    def controller_path(self, raw_path: str) -> tuple[str, str] | None:
        """(the proxy segment as the API server names it, the rest) when ``raw_path`` is our Service's
        proxy subresource; None for every other request."""
        path, _, query = raw_path.partition("?")
        if not path.startswith(_PREFIX):
            return None
        parts = path[len(_PREFIX) :].split("/", 4)
        if len(parts) < 4 or parts[1] != "services" or parts[3] != "proxy":
            return None
        namespace, segment = urllib.parse.unquote(parts[0]), urllib.parse.unquote(parts[2])
        if namespace != self.namespace or not self._is_ours(segment):
            return None
        rest = "/" + (parts[4] if len(parts) == 5 else "")
        return segment, rest + (f"?{query}" if query else "")

    def _is_ours(self, segment: str) -> bool:
        # SplitSchemeNamePort: "name", "name:port" or "scheme:name:port"; our controller speaks http.
        fields = segment.split(":")
        if len(fields) == 1:
            scheme, name, port = "", fields[0], ""
        elif len(fields) == 2:
            scheme, name, port = "", fields[0], fields[1]
        elif len(fields) == 3:
            scheme, name, port = fields
        else:
            return False
        return name == self.service and scheme in ("", "http") and (port == "" or port in self.ports)

    def may_proxy(self, authorization: str, segment: str, method: str) -> bool:
        """What the API server's authorizer would say: ``create``/``get`` on ``services/proxy``."""
        verb = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch"}
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": self.namespace,
                    "verb": verb.get(method, "delete"),
                    "resource": "services",
                    "subresource": "proxy",
                    "name": segment,
                }
            },
        }
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        status, _, body = self.upstream(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            headers,
            json.dumps(review).encode(),
        )
        return status == 201 and bool(json.loads(body).get("status", {}).get("allowed"))

    # -- the two destinations ------------------------------------------------------------------------
    def upstream(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The request as it came, to the real kube-apiserver over TLS (its CA)."""
        parsed = urllib.parse.urlsplit(self.apiserver)
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode())
        conn = http.client.HTTPSConnection(parsed.hostname or "", parsed.port, context=ctx, timeout=30)
        return _exchange(conn, method, path, headers, body)

    def controller(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The request to the controller, without the caller's credentials (the API server drops them)."""
        parsed = urllib.parse.urlsplit(self.backend)
        conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=30)
        kept = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        return _exchange(conn, method, path, kept, body)


def _exchange(
    conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def _forbidden(segment: str, namespace: str, method: str) -> bytes:
    """The Status the API server answers when the authorizer says no (without the user's name)."""
    verb = "get" if method in ("GET", "HEAD") else "create"
    message = (
        f'services "{segment}" is forbidden: the caller cannot {verb} resource "services/proxy" '
        f'in API group "" in the namespace "{namespace}"'
    )
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": {"name": segment, "kind": "services"},
        "code": 403,
    }
    return json.dumps(status).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the routed list is the log."""

    def _body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        target = proxy.controller_path(self.path)
        if target is None:
            where = "apiserver"
            status, reply, data = proxy.upstream(self.command, self.path, headers, body)
        elif not proxy.may_proxy(self.headers.get("Authorization", ""), target[0], self.command):
            where = "refused"
            status, reply = 403, [("Content-Type", "application/json")]
            data = _forbidden(target[0], proxy.namespace, self.command)
        else:
            where = "controller"
            status, reply, data = proxy.controller(self.command, target[1], headers, body)
        proxy.record(Routed(self.command, self.path, where, status))
        self.send_response(status)
        for name, value in reply:
            if name.lower() not in _HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: ServiceProxy, tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy
        self.socket = tls.wrap_socket(self.socket, server_side=True)


@contextmanager
def service_proxy(
    kubeconfig: Path, service: dict[str, Any], backend: str, serving_pair: tuple[Path, Path]
) -> Iterator[ServiceProxy]:
    """Serve the cluster of ``kubeconfig`` on 127.0.0.1 with ``service``'s proxy reaching ``backend``,
    over TLS with ``serving_pair`` (the API server's certificate and key)."""
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    ports = tuple(
        str(v) for p in service["spec"]["ports"] for v in (p.get("name"), p.get("port")) if v is not None
    )
    proxy = ServiceProxy(
        apiserver=cluster["server"],
        ca_pem=base64.b64decode(cluster["certificate-authority-data"]),
        token=config["users"][0]["user"]["token"],
        namespace=service["metadata"]["namespace"],
        service=service["metadata"]["name"],
        ports=ports,
        backend=backend,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*serving_pair)
    server = _Server(proxy, tls)
    proxy.url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
