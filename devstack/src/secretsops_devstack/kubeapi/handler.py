"""HTTP routing: turn apiserver-style requests into store calls and answers (JSON only, no auth)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import discovery, openapi, patches, protobuf, status, tables, tokens
from .resources import ResourceType
from .selectors import Requirement, labels_match, parse_field_selector, parse_label_selector
from .status import ApiError
from .store import PATCH_TYPES, Event, WriteOptions

if TYPE_CHECKING:
    from .server import KubeApiServer

MAX_BODY = 16 * 1024 * 1024
BODY_TYPES = ("application/json", "application/yaml")


def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale the apiserver derives from a workload."""
    meta = obj.get("metadata") or {}
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }


@dataclass
class Route:
    """A parsed resource URL."""

    rt: ResourceType
    namespace: str | None  # None: all namespaces (or cluster-scoped)
    name: str = ""
    subresource: str = ""
    watch_path: bool = False


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or [""])[-1].lower() in ("true", "1")


def _one(query: dict[str, list[str]], name: str, default: str = "") -> str:
    return (query.get(name) or [default])[-1]


class Handler(BaseHTTPRequestHandler):
    """One request. The owning :class:`KubeApiServer` is reached through ``self.server.kubeapi``."""

    protocol_version = "HTTP/1.1"
    #: one buffered write per response (headers and body together) and no Nagle: no 40 ms delayed-ACK stalls
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server_version = "secretsops-kubeapi"

    # -- plumbing ------------------------------------------------------------------------------------
    @property
    def api(self) -> KubeApiServer:
        return self.server.kubeapi  # type: ignore[attr-defined,no-any-return]

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def finish(self) -> None:
        """A client that hung up mid-response is normal for watches: nothing to report."""
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: request lines go to the server's request log, never to stderr."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        for warning in self._warnings:
            self.send_header("Warning", "299 - " + json.dumps(warning))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, err: ApiError) -> None:
        self._send(err.code, err.to_status(), err.headers)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch()

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        self._warnings: list[str] = []
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            body = self._body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
            self.api.record(self.command, self.path)
            fault = self.api.faults.take(self.command, path)
            if fault is not None:
                raise fault
            self._route(path, query, body)
        except ApiError as err:
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a server answers 500, never dies
            self._error(ApiError(500, "InternalError", f"Internal error occurred: {exc.__class__.__name__}"))

    # -- routing ------------------------------------------------------------------------------------
    def _route(self, path: str, query: dict[str, list[str]], body: bytes) -> None:
        store = self.api.store
        if path in ("/healthz", "/livez", "/readyz"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        if self.command == "GET":
            with store.cond:
                doc = self._discovery(path)
            if doc is not None:
                self._send(200, doc)
                return
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            self._plain_not_found()
            return
        with store.cond:
            served = group == "" or self._discovery(f"/apis/{group}/{version}") is not None
        if not served:  # kube-apiserver's mux answers a group/version it does not serve in plain text
            self._plain_not_found()
            return
        route = self._resource_route(group, version, rest)
        self._serve(route, query, body)

    def _plain_not_found(self) -> None:
        body = b"404 page not found\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _discovery(self, path: str) -> dict[str, Any] | None:
        catalog = self.api.store.catalog
        if path == "/version":
            return dict(discovery.VERSION)
        if path == "/api":
            return discovery.api_versions(f"127.0.0.1:{self.api.port}")
        if path == "/api/v1":
            return discovery.api_resource_list(catalog, "", "v1")
        if path == "/apis":
            return discovery.api_group_list(catalog)
        if path == "/.well-known/openid-configuration":
            return self.api.issuer.openid_configuration(self.api.url)
        if path == "/openid/v1/jwks":
            return self.api.issuer.jwks()
        if path == "/openapi/v3":
            return openapi.root(catalog)
        if path.startswith("/openapi/v3/"):
            gv = path[len("/openapi/v3/") :].split("/")
            if gv[:1] == ["api"] and len(gv) == 2:
                return openapi.group_version(catalog, "", gv[1])
            if gv[:1] == ["apis"] and len(gv) == 3:
                return openapi.group_version(catalog, gv[1], gv[2])
            return None
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "apis" and catalog.versions(parts[1]):
            return {"kind": "APIGroup", "apiVersion": "v1", **discovery.api_group(catalog, parts[1])}
        if len(parts) == 3 and parts[0] == "apis" and catalog.served(parts[1], parts[2]):
            return discovery.api_resource_list(catalog, parts[1], parts[2])
        return None

    def _resource_route(self, group: str, version: str, rest: list[str]) -> Route:
        store = self.api.store
        watch_path = bool(rest) and rest[0] == "watch"
        if watch_path:
            rest = rest[1:]
        namespace: str | None = None
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and (group, version) == ("", "v1")
            and rest[2] not in ("status", "finalize")
        ):
            namespace, rest = rest[1], rest[2:]
        elif len(rest) >= 3 and rest[0] == "namespaces" and group:
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise status.page_not_found()
        rt = store.resolve(group, version, rest[0])
        if rt is None:
            raise status.page_not_found()
        if namespace is not None and not rt.namespaced:
            raise status.page_not_found()
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if (
            sub
            and not (sub == "status" and rt.has_status)
            and not (sub == "finalize" and rt.kind == "Namespace")
            and not (sub == "token" and rt.kind == "ServiceAccount" and not rt.group)
            and not (sub == "scale" and rt.has_scale)
        ):
            raise status.page_not_found()
        if not rt.namespaced:
            namespace = ""
        return Route(rt, namespace, name, sub, watch_path)

    def _write_options(self, query: dict[str, list[str]], route: Route, apply: bool = False) -> WriteOptions:
        manager = _one(query, "fieldManager")
        if not manager and not apply:
            manager = (self.headers.get("User-Agent") or "unknown").split("/")[0]
        dry = query.get("dryRun") or []
        if any(d not in ("All",) for d in dry):
            raise status.bad_request(f"Invalid dry run value: {dry[0]}" if dry else "")
        validation = _one(query, "fieldValidation", "Warn") or "Warn"
        if validation not in ("Ignore", "Warn", "Strict"):
            raise status.bad_request(
                f'fieldValidation must be one of "Ignore", "Warn", or "Strict", got "{validation}"'
            )
        opts = WriteOptions(
            field_validation=validation,
            manager=manager,
            dry_run=bool(dry),
            force=_flag(query, "force"),
            subresource="status" if route.subresource == "status" else "",
        )
        self._warnings = opts.warnings  # the store appends; _send turns them into Warning headers
        return opts

    def _serve(self, route: Route, query: dict[str, list[str]], body: bytes) -> None:
        store, rt, method = self.api.store, route.rt, self.command
        ns = route.namespace or ""
        if not route.name:
            labels = parse_label_selector(_one(query, "labelSelector"))
            fields = parse_field_selector(_one(query, "fieldSelector"), rt.kind)
            if method == "GET" and (route.watch_path or _flag(query, "watch")):
                self._watch(route, query, labels, fields)
            elif method == "GET":
                limit = int(_one(query, "limit", "0") or 0)
                listed = store.list_objects(
                    rt,
                    route.namespace if rt.namespaced else None,
                    labels,
                    fields,
                    limit=limit,
                    cont=_one(query, "continue"),
                )
                self._send_maybe_table(listed["items"], listed["metadata"], rt, listed)
            elif method == "POST" and rt.kind == "TokenReview":
                review = tokens.token_review(self.api.issuer, self._json(body), store.service_account_uid)
                self._send(201, review)
            elif method == "POST":
                if rt.namespaced and route.namespace is None:
                    raise ApiError(
                        405,
                        "MethodNotAllowed",
                        "the server does not allow this method on the requested resource",
                        {},
                    )
                created = store.create(rt, ns, self._json(body), self._write_options(query, route))
                self._send(201, created)
            elif method == "DELETE" and "deletecollection" in rt.verbs:
                opts = self._json(body) if body else {}
                self._send(
                    200,
                    store.delete_collection(
                        rt,
                        route.namespace if rt.namespaced else None,
                        labels,
                        fields,
                        propagation=_one(query, "propagationPolicy")
                        or str(opts.get("propagationPolicy") or ""),
                        dry_run=bool(query.get("dryRun") or opts.get("dryRun")),
                    ),
                )
            else:
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    {},
                )
            return
        if route.namespace is None:
            raise status.page_not_found()
        if route.subresource == "scale":
            self._scale(route, query, body)
            return
        if route.subresource == "token":
            if method != "POST":
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    {},
                )
            account = store.get(rt, ns, route.name)
            self._send(201, tokens.token_request(self.api.issuer, ns, account, self._json(body)))
            return
        if method == "GET":
            obj = store.get(rt, ns, route.name)
            if route.subresource == "status" or not tables.wants_table(self.headers.get("Accept") or ""):
                self._send(200, obj)
            else:
                self._send_maybe_table(
                    [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")}, rt, obj
                )
        elif method == "PUT":
            opts = self._write_options(query, route)
            self._send(200, store.update(rt, ns, route.name, self._json(body), opts))
        elif method == "PATCH":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type not in PATCH_TYPES:
                raise status.unsupported_media_type(content_type, list(PATCH_TYPES))
            apply = content_type == PATCH_TYPES[3]
            opts = self._write_options(query, route, apply=apply)
            if apply:
                exists = self._exists(rt, ns, route.name)
                result = store.patch(rt, ns, route.name, content_type=content_type, raw=body, opts=opts)
                self._send(200 if exists else 201, result)
            else:
                self._send(
                    200, store.patch(rt, ns, route.name, content_type=content_type, raw=body, opts=opts)
                )
        elif method == "DELETE":
            opts_body = self._json(body) if body else {}
            pre = opts_body.get("preconditions") or {}
            propagation = _one(query, "propagationPolicy") or str(opts_body.get("propagationPolicy") or "")
            if not propagation and opts_body.get("orphanDependents") is True:
                propagation = "Orphan"
            dry = bool(query.get("dryRun") or opts_body.get("dryRun"))
            self._send(
                200, store.delete(rt, ns, route.name, propagation=propagation, preconditions=pre, dry_run=dry)
            )
        else:
            raise ApiError(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
            )

    def _scale(self, route: Route, query: dict[str, list[str]], body: bytes) -> None:
        """``/scale``: an autoscaling/v1 Scale view of ``spec.replicas``; writes go to the workload."""
        store, rt, ns = self.api.store, route.rt, route.namespace or ""
        current = scale_of(store.get(rt, ns, route.name))
        if self.command == "GET":
            self._send(200, current)
            return
        if self.command == "PUT":
            wanted = self._json(body)
        elif self.command == "PATCH":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            try:
                raw = json.loads(body.decode() or "null")
            except (ValueError, UnicodeDecodeError) as exc:
                raise status.bad_request(f"error decoding patch: {exc.__class__.__name__}") from exc
            if content_type == PATCH_TYPES[0]:
                wanted = patches.json_patch(current, raw)
            elif content_type in PATCH_TYPES[1:3]:
                wanted = patches.merge_patch(current, raw)
            else:
                raise status.unsupported_media_type(content_type, list(PATCH_TYPES[:3]))
        else:
            raise ApiError(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
            )
        if not isinstance(wanted, dict):
            raise status.bad_request("the object provided is unrecognized (must be of type Scale)")
        replicas = (wanted.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise status.invalid(
                "Scale",
                "autoscaling",
                route.name,
                [
                    status.Cause(
                        "FieldValueInvalid",
                        f"Invalid value: {replicas}: must be greater than or equal to 0",
                        "spec.replicas",
                    )
                ],
            )
        patch: dict[str, Any] = {"spec": {"replicas": replicas}}
        given_rv = (wanted.get("metadata") or {}).get("resourceVersion")
        if given_rv and given_rv != current["metadata"]["resourceVersion"]:
            raise status.modified_conflict(rt.plural, rt.group, route.name)
        opts = self._write_options(query, route)
        updated = store.patch(
            rt,
            ns,
            route.name,
            content_type=PATCH_TYPES[1],
            raw=json.dumps(patch).encode(),
            opts=WriteOptions(manager=opts.manager, dry_run=opts.dry_run),
        )
        self._send(200, scale_of(updated))

    def _exists(self, rt: ResourceType, ns: str, name: str) -> bool:
        try:
            self.api.store.get(rt, ns, name)
        except ApiError:
            return False
        return True

    def _json(self, body: bytes) -> Any:
        """Decode a JSON (or YAML) request body; other media types (protobuf) get 415 so clients fall back."""
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if body and content_type == protobuf.CONTENT_TYPE:
            try:
                return protobuf.decode(body)
            except protobuf.Unsupported as exc:
                raise status.unsupported_media_type(content_type, list(BODY_TYPES)) from exc
        if body and content_type not in BODY_TYPES:
            raise status.unsupported_media_type(content_type, list(BODY_TYPES))
        try:
            return json.loads(body.decode() or "null")
        except (ValueError, UnicodeDecodeError) as exc:
            import yaml

            try:
                return yaml.safe_load(body.decode())
            except (yaml.YAMLError, UnicodeDecodeError):
                raise status.bad_request(
                    f"the object provided could not be decoded: {exc.__class__.__name__}"
                ) from exc

    def _send_maybe_table(
        self, items: list[dict[str, Any]], meta: dict[str, Any], rt: ResourceType, plain: dict[str, Any]
    ) -> None:
        if tables.wants_table(self.headers.get("Accept") or ""):
            include = "Metadata"
            query = parse_qs(urlsplit(self.path).query)
            include = _one(query, "includeObject", include)
            objs = [{"apiVersion": rt.group_version, "kind": rt.kind, **i} for i in items]
            self._send(
                200,
                tables.table(
                    objs, meta, include, kind=(rt.group, rt.kind), printer_columns=self._printer_columns(rt)
                ),
            )
        else:
            self._send(200, plain)

    def _printer_columns(self, rt: ResourceType) -> list[dict[str, Any]] | None:
        """A custom resource's ``additionalPrinterColumns`` for the served version (None for built-ins)."""
        if rt.builtin:
            return None
        crd = self.api.store.crd_for(rt.group, rt.plural)
        for version in ((crd or {}).get("spec") or {}).get("versions") or []:
            if version.get("name") == rt.version:
                return list(version.get("additionalPrinterColumns") or []) or [
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
                ]
        return None

    # -- watch --------------------------------------------------------------------------------------
    def _watch(
        self,
        route: Route,
        query: dict[str, list[str]],
        labels: list[Requirement],
        fields: Callable[[dict[str, Any]], bool],
    ) -> None:
        store, rt = self.api.store, route.rt
        ns = route.namespace if rt.namespaced else None
        timeout = float(_one(query, "timeoutSeconds", "0") or 0) or 1800.0
        deadline = time.monotonic() + timeout
        rv = _one(query, "resourceVersion")

        def visible(obj: dict[str, Any]) -> bool:
            return labels_match(labels, obj) and fields(obj)

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()  # a watcher waits for the headers even when no event is due yet
        seen: set[tuple[str, str]] = set()
        if rv in ("", "0"):
            after, initial = store.snapshot_events(rt, ns)
            for event in initial:
                if visible(event.obj):
                    seen.add((event.namespace, event.obj["metadata"]["name"]))
                    self._chunk(self._event_line("ADDED", rt, event.obj))
        else:
            try:
                after = int(rv)
            except ValueError:
                self._chunk(self._error_line(status.bad_request(f"invalid resource version: {rv}")))
                self._end_chunks()
                return
            if store.too_old(after):
                self._chunk(
                    self._error_line(
                        status.gone(f"too old resource version: {after} ({store.resource_version})")
                    )
                )
                self._end_chunks()
                return
            seen = {
                (o["metadata"].get("namespace", ""), o["metadata"]["name"])
                for o in store.objects_at(rt, ns, after)
                if visible(o)
            }
        while time.monotonic() < deadline and not self.api.stopping and not self._client_gone():
            events = store.events_after(rt, ns, after, min(0.5, max(0.0, deadline - time.monotonic())))
            if events is None:
                self._chunk(self._error_line(status.gone(f"too old resource version: {after}")))
                break
            for event in events:
                after = max(after, event.rv)
                line = self._translate(event, rt, visible, seen)
                if line is not None:
                    self._chunk(line)
        self._end_chunks()

    def _client_gone(self) -> bool:
        """A watcher that hung up shows as a readable socket with nothing to read: end the stream."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def _translate(
        self,
        event: Event,
        rt: ResourceType,
        visible: Callable[[dict[str, Any]], bool],
        seen: set[tuple[str, str]],
    ) -> bytes | None:
        """Selector-filtered watches turn edges into ADDED/DELETED, like the apiserver's cacher."""
        key = (event.namespace, event.obj["metadata"]["name"])
        was, now = key in seen, visible(event.obj)
        kind = event.type
        if kind == "DELETED":
            seen.discard(key)
            return self._event_line("DELETED", rt, event.obj) if was or now else None
        if now:
            seen.add(key)
            return self._event_line("MODIFIED" if was else "ADDED", rt, event.obj)
        if was:
            seen.discard(key)
            return self._event_line("DELETED", rt, event.obj)
        return None

    def _event_line(self, kind: str, rt: ResourceType, obj: dict[str, Any]) -> bytes:
        rendered = self.api.store.render(rt, obj)
        return json.dumps({"type": kind, "object": rendered}, separators=(",", ":")).encode() + b"\n"

    @staticmethod
    def _error_line(err: ApiError) -> bytes:
        return (
            json.dumps({"type": "ERROR", "object": err.to_status()}, separators=(",", ":")).encode() + b"\n"
        )

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunks(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True
