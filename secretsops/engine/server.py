"""The engine's HTTP endpoints: probes, metrics, on-demand passes and the sealing certificate.

``GET /healthz``   200 while the loop iterates (a wedged loop fails the liveness probe).
``GET /readyz``    200 once a pass has succeeded, or on a standby replica that can read the Lease
                   (it could take over); 503 before that.
``GET /metrics``   Prometheus exposition of the engine's own registry (never the global one).
``POST /reconcile[?source=NAME][&full=true]``  run the next pass now (a git webhook): 202;
                   ``full`` re-renders and re-resolves even when git did not change.
``POST /refresh/NS/NAME``  re-resolve the ExternalSecret NS/NAME now (a full pass of the source
                   that produced its Secret, found by ESO's ``created-by`` label): 202, or 404.
``GET /v1/cert.pem``  the active sealing key's certificate (what ``kubeseal --fetch-cert`` reads),
                   404 when the cluster has no sealing key.

A standby replica answers the two POSTs with 503 naming the current leader, so a caller can
retry on another replica. Bodies are JSON and never carry a value.

The two POSTs make the engine spend key-service and API calls, so they are guarded (issue 11):
they are off (403) unless a webhook token was given (``--webhook-token-file``), and then need
``Authorization: Bearer TOKEN``, compared in constant time, *before* anything is looked up, so an
unauthenticated caller gets the same 401 whatever sources or ExternalSecrets exist. Accepted
requests coalesce: per target, at most one pass is asked for per source interval; a request
inside that window queues one deferred pass at the window's end (later ones join it).
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client.exposition import choose_encoder

from secretsops.engine.http_handler import JsonHandler, QuietServer
from secretsops.engine.status import SOURCE_LABEL
from secretsops.errors import SecretsOpsError

log = logging.getLogger("secretsops.engine.server")

DEFAULT_BIND = "0.0.0.0"  # noqa: S104 - in-cluster the kubelet and Prometheus connect from outside
DEFAULT_PORT = 8080
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
ESO_CREATED_BY = "reconcile.external-secrets.io/created-by"


@dataclass
class Runtime:
    """What the endpoints look at; built by :func:`start_server` from the running engine."""

    engine: Any  # secretsops.engine.loop.Engine
    is_leader: Callable[[], bool] = lambda: True
    leader_identity: Callable[[], str] = lambda: ""
    #: a standby is ready only while it can read the Lease (it could take over)
    standby_ok: Callable[[], bool] = lambda: True
    sealing_key_namespace: str = "kube-system"
    #: bearer token for POST /reconcile and /refresh; None turns both off
    webhook_token: bytes | None = None
    #: seconds between passes asked for from outside; None: the source's interval (benchmarks: 0)
    min_gap: float | None = None
    _ready: bool = False
    _asked_at: dict[str, float] = field(default_factory=dict)
    _deferred: dict[str, tuple[threading.Timer, bool]] = field(default_factory=dict)
    _ask_lock: threading.Lock = field(default_factory=threading.Lock)

    def authorized(self, header: str | None) -> bool:
        """Constant-time check of ``Authorization: Bearer TOKEN``; always False when off."""
        if self.webhook_token is None:
            return False
        scheme, _, given = (header or "").partition(" ")
        ok = hmac.compare_digest(given.strip().encode(), self.webhook_token)
        return ok and scheme.lower() == "bearer"

    def request_pass(self, source: str, *, full: bool) -> str:
        """Ask for a pass, coalesced: one per source interval; returns "requested" or "coalesced"."""
        gap = self._interval(source) if self.min_gap is None else self.min_gap
        now = time.monotonic()
        with self._ask_lock:
            last = self._asked_at.get(source)
            if last is None or now - last >= gap:
                self._asked_at[source] = now
                self.engine.ask(source, full=full)
                return "requested"
            pending = self._deferred.get(source)
            if pending is not None:
                timer, was_full = pending
                self._deferred[source] = (timer, was_full or full)
                return "coalesced"
            timer = threading.Timer(last + gap - now, self._fire_deferred, args=(source,))
            timer.daemon = True
            self._deferred[source] = (timer, full)
            timer.start()
            return "coalesced"

    def _fire_deferred(self, source: str) -> None:
        with self._ask_lock:
            pending = self._deferred.pop(source, None)
            if pending is None:
                return
            self._asked_at[source] = time.monotonic()
        self.engine.ask(source, full=pending[1])

    def _interval(self, source: str) -> float:
        specs = [rec.spec for rec in self.engine.reconcilers if not source or rec.spec.name == source]
        return min((float(s.interval) for s in specs), default=0.0)

    def cancel_deferred(self) -> None:
        with self._ask_lock:
            for timer, _ in self._deferred.values():
                timer.cancel()
            self._deferred.clear()

    def healthy(self) -> bool:
        return bool(self.engine.healthy())

    def ready(self) -> bool:
        """Latched after the first successful pass; a standby while it can read the Lease."""
        if not self._ready:
            self._ready = self._passes_succeeded() > 0
        if self.is_leader():
            return self._ready
        return self._ready or self.standby_ok()

    def _passes_succeeded(self) -> float:
        """Passes minus failed passes, from the engine's own metrics (no extra state in the loop)."""
        passes = failures = 0.0
        for metric in self.engine.deps.metrics.registry.collect():
            for sample in metric.samples:
                if sample.name == "secretsops_reconcile_duration_seconds_count":
                    passes += sample.value
                elif sample.name == "secretsops_reconcile_errors_total":
                    failures += sample.value
        return passes - failures

    def source_of_external_secret(self, namespace: str, name: str) -> str | None:
        """The source whose last pass produced the ExternalSecret's Secret (one labelled LIST)."""
        from secretsops.external.resolve import owner_label

        selector = f"{ESO_CREATED_BY}={owner_label(namespace, name)}"
        names = {rec.spec.name for rec in self.engine.reconcilers}
        for secret in self.engine.deps.kube.list_objects("v1", "Secret", namespace, selector):
            source = ((secret.get("metadata") or {}).get("labels") or {}).get(SOURCE_LABEL)
            if source in names:
                return str(source)
        return None

    def certificate(self) -> bytes | None:
        from secretsops.sealed.keypairs import cert_pem
        from secretsops.sealed.keyring import cluster_keys, newest_first

        keys = newest_first(cluster_keys(self.engine.deps.kube, self.sealing_key_namespace))
        for key in keys:
            if key.cert is not None:
                return bytes(cert_pem(key.cert))
        return None


class _Handler(JsonHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802
        rt = self.server.runtime
        path = urlsplit(self.path).path
        try:
            if path == "/healthz":
                ok = rt.healthy()
                self._json(200 if ok else 503, {"status": "ok" if ok else "loop stalled"})
            elif path == "/readyz":
                ok = rt.ready()
                self._json(200 if ok else 503, {"status": "ok" if ok else "no successful pass yet"})
            elif path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                self._send(200, encoder(rt.engine.deps.metrics.registry), content_type)
            elif path == "/v1/cert.pem":
                cert = rt.certificate()
                if cert is None:
                    self._json(404, {"error": f"no sealing key in namespace {rt.sealing_key_namespace}"})
                else:
                    self._send(200, cert, "application/x-pem-file")
            else:
                self._json(404, {"error": "not found"})
        except SecretsOpsError as exc:
            self._json(503, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - a probe must answer; its text may quote input
            self._json(500, {"error": f"internal error ({type(exc).__name__})"})

    def do_POST(self) -> None:  # noqa: N802
        rt = self.server.runtime
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._json(400, {"error": "invalid Content-Length"})
            return
        if length > 0:
            self.rfile.read(min(length, 1 << 20))  # webhook payloads are ignored
        if rt.webhook_token is None:
            self._json(403, {"error": "webhooks are off (no --webhook-token-file)"})
            return
        if not rt.authorized(self.headers.get("Authorization")):
            self.send_response(401)
            body = b'{"error": "unauthorized"}\n'
            self.send_header("WWW-Authenticate", 'Bearer realm="secretsops"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        try:
            if url.path == "/reconcile":
                query = parse_qs(url.query)
                full = (query.get("full") or [""])[0].lower() in ("1", "true", "yes")
                self._reconcile(rt, (query.get("source") or [""])[0], full)
            elif url.path.startswith("/refresh/"):
                self._refresh(rt, url.path.removeprefix("/refresh/").strip("/"))
            else:
                self._json(404, {"error": "not found"})
        except SecretsOpsError as exc:
            self._json(503, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001
            self._json(500, {"error": f"internal error ({type(exc).__name__})"})

    def _standby(self, rt: Runtime) -> bool:
        if rt.is_leader():
            return False
        self._json(503, {"error": "standby replica: ask the leader", "leader": rt.leader_identity()})
        return True

    def _reconcile(self, rt: Runtime, source: str, full: bool) -> None:
        names = [rec.spec.name for rec in rt.engine.reconcilers]
        if source and source not in names:
            self._json(404, {"error": f"no source named {source!r}"})
            return
        if self._standby(rt):
            return
        outcome = rt.request_pass(source, full=full)
        self._json(202, {"status": f"reconcile {outcome}", "sources": [source] if source else names})

    def _refresh(self, rt: Runtime, ref: str) -> None:
        namespace, _, name = ref.partition("/")
        if not (_NAME.match(namespace) and _NAME.match(name)) or "/" in name:
            self._json(400, {"error": "expected /refresh/NAMESPACE/NAME"})
            return
        if self._standby(rt):
            return
        source = rt.source_of_external_secret(namespace, name)
        if source is None:
            self._json(
                404, {"error": f"ExternalSecret {namespace}/{name}: no Secret of it applied by this engine"}
            )
            return
        outcome = rt.request_pass(source, full=True)
        self._json(
            202, {"status": f"refresh {outcome}", "externalSecret": f"{namespace}/{name}", "source": source}
        )


class _Server(QuietServer):
    runtime: Runtime


@dataclass
class RuntimeServer:
    """A running endpoint server; ``close()`` stops it."""

    httpd: _Server
    thread: threading.Thread
    runtime: Runtime
    closed: bool = field(default=False)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.runtime.cancel_deferred()
            self.httpd.shutdown()
            self.httpd.server_close()


def serve_runtime(runtime: Runtime, host: str = DEFAULT_BIND, port: int = DEFAULT_PORT) -> RuntimeServer:
    """Serve ``runtime`` on host:port (port 0: a free one) in a daemon thread."""
    httpd = _Server((host, port), _Handler)
    httpd.runtime = runtime
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="secretsops-http", daemon=True
    )
    thread.start()
    return RuntimeServer(httpd, thread, runtime)


def start_server(engine: Any, settings: Any, elector: Any = None) -> RuntimeServer:
    """What the engine builder calls for ``--metrics-port``: endpoints for this engine."""
    runtime = Runtime(
        engine,
        is_leader=elector.is_leader if elector is not None else (lambda: True),
        leader_identity=elector.observed_holder if elector is not None else (lambda: ""),
        standby_ok=elector.in_contact if elector is not None else (lambda: True),
        sealing_key_namespace=settings.sealing_key_namespace,
        webhook_token=getattr(settings, "webhook_token", None),
    )
    host = str(getattr(settings, "bind_address", "") or DEFAULT_BIND)
    port = settings.metrics_port if settings.metrics_port is not None else DEFAULT_PORT
    return serve_runtime(runtime, host, int(port))
