"""A thin, typed layer over the official ``kubernetes`` ApiClient for what the engine needs.

Raw REST calls (``ApiClient.call_api``) plus our own discovery, because the DynamicClient
caches discovery documents in a file under /tmp and we keep the engine's footprint in memory.
API errors become ``SecretsOpsError``s whose text names the object, the HTTP status and the
offending *fields*, never the server's message (which may quote a value).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from secretsops.errors import ApplyError, ApplyRejected, SecretsOpsError
from secretsops.manifests import Obj, ObjectId

FIELD_MANAGER = "secretsops"
RETRIED_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Resource:
    group_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str = "", name: str = "") -> str:
        prefix = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        ns = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        tail = f"/{name}" if name else ""
        return f"{prefix}{ns}/{self.plural}{tail}"


@dataclass
class Backoff:
    """Per-request retry policy for temporary API errors (409 conflict, 429, 5xx, no connection)."""

    attempts: int = 4
    base: float = 0.2
    cap: float = 5.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        wait = min(self.cap, self.base * (2**attempt))
        return min(self.cap, max(wait, retry_after or 0.0))


@dataclass
class KubeClient:
    """What the engine does with the API: discover, get, apply, delete, list, events."""

    api: Any  # kubernetes.client.ApiClient
    backoff: Backoff = field(default_factory=Backoff)
    timeout: float = 30.0
    _discovery: dict[str, dict[str, Resource]] = field(default_factory=dict)

    # --- discovery -------------------------------------------------------------------------
    def resource(self, api_version: str, kind: str, what: str = "") -> Resource:
        """Resolve apiVersion/kind to its REST path; rediscover once (CRDs applied this pass)."""
        for refresh in (False, True):
            if refresh:
                self._discovery.pop(api_version, None)
            kinds = self._discover(api_version, what)
            if kind in kinds:
                return kinds[kind]
        raise ApplyRejected(f"{what or kind}: the API server does not serve {kind} in {api_version}")

    def forget_discovery(self) -> None:
        self._discovery.clear()

    def _discover(self, api_version: str, what: str) -> dict[str, Resource]:
        if api_version in self._discovery:
            return self._discovery[api_version]
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        doc = self.request("GET", path, what=what or api_version, missing_ok=True)
        kinds: dict[str, Resource] = {}
        for res in (doc or {}).get("resources", []):
            name = str(res.get("name", ""))
            if "/" in name:
                continue  # subresources
            kinds[str(res.get("kind"))] = Resource(
                api_version, str(res.get("kind")), name, bool(res.get("namespaced"))
            )
        if kinds:
            self._discovery[api_version] = kinds
        return kinds

    # --- objects ---------------------------------------------------------------------------
    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        res = self.resource(api_version, kind, f"{kind}/{namespace}/{name}")
        result: Obj | None = self.request(
            "GET", res.path(namespace, name), what=f"{kind}/{namespace}/{name}", missing_ok=True
        )
        return result

    def list_objects(
        self, api_version: str, kind: str, namespace: str = "", label_selector: str = ""
    ) -> list[Obj]:
        res = self.resource(api_version, kind)
        query = [("labelSelector", label_selector)] if label_selector else []
        doc = self.request("GET", res.path(namespace), query=query, what=f"{kind} list") or {}
        return list(doc.get("items") or [])

    def apply(self, obj: Obj, *, force: bool = True, dry_run: bool = False) -> Obj:
        """Server-side apply (``application/apply-patch+yaml``), field manager ``secretsops``."""
        oid = ObjectId.of(obj)
        meta = obj.get("metadata") or {}
        res = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")), str(oid))
        query: list[tuple[str, str]] = [("fieldManager", FIELD_MANAGER)]
        if force:
            query.append(("force", "true"))
        if dry_run:
            query.append(("dryRun", "All"))
        path = res.path(str(meta.get("namespace") or ""), str(meta.get("name")))
        result: Obj = self.request(
            "PATCH", path, query=query, body=obj, content_type="application/apply-patch+yaml", what=str(oid)
        )
        return result

    def delete(self, api_version: str, kind: str, namespace: str, name: str) -> bool:
        """Delete with background propagation; False when it was already gone."""
        res = self.resource(api_version, kind, f"{kind}/{namespace}/{name}")
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        done = self.request(
            "DELETE", res.path(namespace, name), body=body, what=f"{kind}/{namespace}/{name}", missing_ok=True
        )
        return done is not None

    def create(self, obj: Obj) -> Obj:
        meta = obj.get("metadata") or {}
        res = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")))
        result: Obj = self.request(
            "POST", res.path(str(meta.get("namespace") or "")), body=obj, what=str(ObjectId.of(obj))
        )
        return result

    # --- controllers: list+watch, updates with optimistic concurrency, status ------------------
    def list_page(
        self,
        api_version: str,
        kind: str,
        namespace: str = "",
        *,
        label_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> Obj:
        """One LIST answer as sent (``items``, ``metadata.resourceVersion``/``continue``); 410: expired."""
        res = self.resource(api_version, kind)
        query = [("labelSelector", label_selector)] if label_selector else []
        if limit:
            query.append(("limit", str(limit)))
        if continue_token:
            query.append(("continue", continue_token))
        try:
            doc: Obj = self.request("GET", res.path(namespace), query=query, what=f"{kind} list") or {}
        except ApplyRejected as exc:
            if "answered 410" in str(exc):
                raise WatchExpired(f"{kind} list: continue token expired") from None
            raise
        return doc

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str = "",
        *,
        resource_version: str,
        timeout_seconds: int = 300,
        label_selector: str = "",
    ) -> WatchStream:
        """A watch from ``resource_version`` with bookmarks; iterate it for event dicts, ``close()`` ends it.

        The server ends the stream after ``timeout_seconds``; a 410 Gone (as HTTP status or as
        an ERROR event) raises :class:`WatchExpired`, meaning: list again.
        """
        res = self.resource(api_version, kind)
        query = [
            ("watch", "true"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout_seconds)),
        ]
        if label_selector:
            query.append(("labelSelector", label_selector))
        what = f"{kind} watch"
        from kubernetes.client.exceptions import ApiException

        try:
            method_, url, headers_, body_, post = self.api.param_serialize(
                method="GET",
                resource_path=res.path(namespace),
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            resp = self.api.call_api(
                method_,
                url,
                header_params=headers_,
                body=body_,
                post_params=post,
                _request_timeout=(self.timeout, timeout_seconds + 30),
            )
        except ApiException as exc:
            raw = (exc.body or "").encode() if isinstance(exc.body, str) else (exc.body or b"")
            if exc.status == 410:
                raise WatchExpired(f"{what}: resourceVersion {resource_version} expired") from None
            raise _api_error(int(exc.status or 0), raw, what, ApplyError) from None
        except Exception as exc:  # noqa: BLE001 - urllib3 connection errors and friends
            raise ApplyError(
                f"{what}: Kubernetes API {self._server()} unreachable ({type(exc).__name__})"
            ) from None
        if not 200 <= int(resp.status) < 300:
            raw = resp.read() or b""
            if int(resp.status) == 410:
                raise WatchExpired(f"{what}: resourceVersion {resource_version} expired")
            raise _api_error(int(resp.status), raw, what, ApplyError)
        return WatchStream(resp.response, what)

    def replace(self, obj: Obj) -> Obj:
        """PUT the whole object; its ``metadata.resourceVersion`` makes a stale write fail with 409."""
        meta = obj.get("metadata") or {}
        res = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")), str(ObjectId.of(obj)))
        path = res.path(str(meta.get("namespace") or ""), str(meta.get("name")))
        result: Obj = self.request("PUT", path, body=obj, what=str(ObjectId.of(obj)), final=frozenset({409}))
        return result

    def patch_status(self, api_version: str, kind: str, namespace: str, name: str, status: Obj) -> Obj | None:
        """Merge-patch the ``status`` subresource; None when the object is gone."""
        res = self.resource(api_version, kind, f"{kind}/{namespace}/{name}")
        result: Obj | None = self.request(
            "PATCH",
            res.path(namespace, name) + "/status",
            body={"status": status},
            content_type="application/merge-patch+json",
            what=f"{kind}/{namespace}/{name} status",
            missing_ok=True,
        )
        return result

    def patch_merge(self, api_version: str, kind: str, namespace: str, name: str, patch: Obj) -> Obj | None:
        """A JSON merge patch (RFC 7386) of the object; None when it is gone."""
        res = self.resource(api_version, kind, f"{kind}/{namespace}/{name}")
        result: Obj | None = self.request(
            "PATCH",
            res.path(namespace, name),
            body=patch,
            content_type="application/merge-patch+json",
            what=f"{kind}/{namespace}/{name}",
            missing_ok=True,
        )
        return result

    def served_version(self, group: str, versions: tuple[str, ...], kind: str) -> str | None:
        """The first of ``versions`` (e.g. v1, v1beta1) in which the API server serves ``kind``."""
        for version in versions:
            if kind in self._discover(f"{group}/{version}", f"{kind} discovery"):
                return f"{group}/{version}"
        return None

    # --- transport -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        what: str = "",
        missing_ok: bool = False,
        final: frozenset[int] = frozenset(),
    ) -> Any:
        """One API call with retries for temporary failures; errors never quote the server."""
        last: SecretsOpsError | None = None
        for attempt in range(self.backoff.attempts):
            try:
                status, raw, headers = self._call(method, path, query or [], body, content_type)
            except Exception as exc:  # noqa: BLE001 - urllib3 connection errors and friends
                last = ApplyError(
                    f"{what}: Kubernetes API {self._server()} unreachable ({type(exc).__name__})"
                )
                self.backoff.sleep(self.backoff.delay(attempt))
                continue
            if 200 <= status < 300:
                return json.loads(raw) if raw else {}
            if status == 404 and missing_ok:
                return None
            if status in RETRIED_STATUSES and status not in final:
                last = _api_error(status, raw, what, ApplyError)
                self.backoff.sleep(self.backoff.delay(attempt, _retry_after(headers)))
                continue
            raise _api_error(status, raw, what, ApplyRejected)
        assert last is not None
        raise last

    def _server(self) -> str:
        """The API server's URL without userinfo, so an unreachable-cluster error says which one."""
        host = str(getattr(getattr(self.api, "configuration", None), "host", "") or "")
        return re.sub(r"//[^/@\s]*@", "//", host) if host else "(no host configured)"

    def _call(
        self, method: str, path: str, query: list[tuple[str, str]], body: Any, content_type: str
    ) -> tuple[int, bytes, Any]:
        """The raw exchange through the official client (auth, TLS, proxies from its config)."""
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            method_, url, headers_, body_, post = self.api.param_serialize(
                method=method,
                resource_path=path,
                query_params=query,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            resp = self.api.call_api(
                method_,
                url,
                header_params=headers_,
                body=body_,
                post_params=post,
                _request_timeout=self.timeout,
            )
            return int(resp.status), resp.read() or b"", resp.headers
        except ApiException as exc:
            return (
                int(exc.status or 0),
                (exc.body or "").encode() if isinstance(exc.body, str) else (exc.body or b""),
                exc.headers,
            )


class WatchExpired(ApplyError):
    """410 Gone: the resourceVersion is older than the server keeps; list again."""


@dataclass
class WatchStream:
    """The events of one watch request, read as they arrive (newline-delimited JSON)."""

    raw: Any  # urllib3.HTTPResponse, not preloaded
    what: str = "watch"
    _closed: bool = False

    def __iter__(self) -> Iterator[Obj]:
        buf = b""
        try:
            for chunk in self.raw.stream(65536, decode_content=True):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield self._event(line)
            if buf.strip():
                yield self._event(buf)
        except (WatchExpired, ApplyError):
            raise
        except Exception as exc:  # noqa: BLE001 - connection cut mid-stream: the caller watches again
            if not self._closed:
                raise ApplyError(f"{self.what}: stream broken ({type(exc).__name__})") from None
        finally:
            self.close()

    def _event(self, line: bytes) -> Obj:
        try:
            event = json.loads(line)
        except ValueError:
            raise ApplyError(f"{self.what}: the API server sent a line that is not JSON") from None
        if not isinstance(event, dict):
            raise ApplyError(f"{self.what}: the API server sent an event that is not an object")
        if event.get("type") == "ERROR":
            status = event.get("object") or {}
            if int(status.get("code") or 0) == 410:
                raise WatchExpired(f"{self.what}: resourceVersion expired")
            raise ApplyError(
                f"{self.what}: the API server ended the watch ({status.get('reason') or 'error'})"
            )
        return event

    def close(self) -> None:
        """End the stream, also from another thread (a reader blocked in recv returns)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.raw.shutdown()
        except Exception:  # noqa: BLE001, S110 - best effort: the socket may be gone already
            pass
        try:
            self.raw.release_conn()
        except Exception:  # noqa: BLE001, S110
            pass


def _retry_after(headers: Any) -> float | None:
    headers = headers or {}
    try:
        value = headers.get("Retry-After")
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


def _api_error(
    code: int, raw: bytes, what: str, cls: type[ApplyError] | type[ApplyRejected]
) -> SecretsOpsError:
    """HTTP status, reason and field names from the Status body; never its message."""
    reason = ""
    fields: list[str] = []
    try:
        status = json.loads(raw or b"{}")
        reason = str(status.get("reason") or "")
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("field"):
                fields.append(str(cause["field"]))
    except (TypeError, ValueError, AttributeError):
        pass
    detail = f" {reason}" if reason else ""
    where = f" (fields: {', '.join(sorted(set(fields)))})" if fields else ""
    return cls(f"{what}: Kubernetes API answered {code}{detail}{where}")
