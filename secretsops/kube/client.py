"""The one Kubernetes gateway: every call secretsops makes to an API server goes through here.

Raw REST calls through the official client's ``ApiClient`` (its kubeconfig, auth, TLS and proxy
handling), objects as plain dicts, our own discovery (the DynamicClient caches discovery in a
file under /tmp; we keep it in memory, per client). Nothing else in secretsops imports
``kubernetes`` (an import-linter contract says so), so error handling lives here once: an API
failure becomes a :class:`~secretsops.errors.KubeError` whose text names the call, the HTTP
status, the Status reason and the offending *field names*, never the server's message (which
may quote a value). Temporary failures (no answer, 409 on a server-side apply, 429, 5xx) are
retried with backoff before they are raised.

The surface is what controllers need as well as the engine: discovery, get/list (pages with
``continue``), watch (``resourceVersion``, bookmarks, 410 as :class:`WatchExpired`), create,
server-side apply, replace with optimistic concurrency, merge/JSON/strategic patches (also of
subresources), delete, every write with ``dryRun=All``, TokenRequest, the service proxy, and
impersonation (``as_user``: same connection, ``Impersonate-User``/``-Group`` headers).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from secretsops.errors import KubeError, KubeRejected, KubeUnavailable
from secretsops.kube.resources import WELL_KNOWN, Resource
from secretsops.kube.status import RETRIED_STATUSES, api_error
from secretsops.kube.watch import WatchStream
from secretsops.manifests import Obj, ObjectId

FIELD_MANAGER = "secretsops"
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}
PatchType = Literal["merge", "json", "strategic", "apply"]
#: Accept header for metadata-only lists and watches (``PartialObjectMetadata[List]``)
METADATA_ONLY = "application/json;as=PartialObjectMetadata"
METADATA_VERSION = ";g=meta.k8s.io;v=v1,application/json"


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


@dataclass(frozen=True)
class Impersonation:
    """Who the API server should act as (``Impersonate-*`` headers; needs the ``impersonate`` verb)."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""

    def add_to(self, headers: dict[str, Any]) -> Any:
        """The request's headers plus ours; one ``Impersonate-Group`` header per group, as the
        API server reads them (a comma-joined value would be one group)."""
        from urllib3 import HTTPHeaderDict

        out = HTTPHeaderDict(headers)
        out["Impersonate-User"] = self.user
        if self.uid:
            out["Impersonate-Uid"] = self.uid
        for group in self.groups:
            out.add("Impersonate-Group", group)
        return out


@dataclass
class KubeClient:
    """What secretsops does with an API server. Create it at the edge (``secretsops.kube.connect``)."""

    api: Any  # kubernetes.client.ApiClient
    backoff: Backoff = field(default_factory=Backoff)
    timeout: float = 30.0
    impersonate: Impersonation | None = None
    _discovery: dict[str, dict[str, Resource]] = field(default_factory=dict)

    def as_user(self, user: str, groups: Iterable[str] = (), uid: str = "") -> KubeClient:
        """The same connection and discovery, every request impersonating ``user``.

        What a multi-tenant controller does to read a tenant's objects with the tenant's RBAC
        rather than its own (client-go's ``rest.ImpersonationConfig``).
        """
        return replace(self, impersonate=Impersonation(user, tuple(groups), uid))

    def with_policy(self, *, attempts: int | None = None, timeout: float | None = None) -> KubeClient:
        """The same connection and discovery with another retry count or per-request timeout
        (leader election: one attempt, bounded by the renew deadline)."""
        backoff = self.backoff if attempts is None else replace(self.backoff, attempts=attempts)
        return replace(self, backoff=backoff, timeout=self.timeout if timeout is None else timeout)

    def size_pool(self, connections: int) -> None:
        """Keep up to ``connections`` connections to the API server open for reuse.

        urllib3 holds one request per connection (client-go multiplexes them over one HTTP/2
        connection); past the pool's size (5 per CPU by default) every concurrent request opens and
        drops a TLS connection of its own. Callers running many threads (controllers: workers plus
        one watch per informer) size the pool for them; the pool is only ever grown.
        """
        from kubernetes.client import rest

        cfg = self.api.configuration
        if (cfg.connection_pool_maxsize or 0) >= connections:
            return
        cfg.connection_pool_maxsize = connections
        # the old pool is left to close its connections when dropped: requests in flight on it
        # (another thread's watch) finish undisturbed
        self.api.rest_client = rest.RESTClientObject(cfg)

    @property
    def server(self) -> str:
        """The API server's URL without userinfo, so an unreachable-cluster error says which one."""
        host = str(getattr(getattr(self.api, "configuration", None), "host", "") or "")
        return re.sub(r"//[^/@\s]*@", "//", host) if host else "(no host configured)"

    # --- discovery -------------------------------------------------------------------------
    def resource(self, api_version: str, kind: str, what: str = "") -> Resource:
        """Resolve apiVersion/kind to its REST path; rediscover once (CRDs applied this pass)."""
        known = WELL_KNOWN.get((api_version, kind))
        if known is not None:
            return known
        for refresh in (False, True):
            if refresh:
                self._discovery.pop(api_version, None)
            kinds = self._discover(api_version, what)
            if kind in kinds:
                return kinds[kind]
        raise KubeRejected(
            f"the API server does not serve {kind} in {api_version}", status=404, object=what or kind
        )

    def forget_discovery(self) -> None:
        self._discovery.clear()

    def served_version(self, group: str, versions: tuple[str, ...], kind: str) -> str | None:
        """The first of ``versions`` (e.g. v1, v1beta1) in which the API server serves ``kind``."""
        for version in versions:
            if kind in self._discover(f"{group}/{version}", f"{kind} discovery"):
                return f"{group}/{version}"
        return None

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

    # --- reads -----------------------------------------------------------------------------
    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        """The object, or None when it does not exist."""
        what = _what(kind, namespace, name)
        res = self.resource(api_version, kind, what)
        result: Obj | None = self.request("GET", res.path(namespace, name), what=what, missing_ok=True)
        return result

    def list_objects(
        self, api_version: str, kind: str, namespace: str = "", label_selector: str = ""
    ) -> list[Obj]:
        """Every item (one LIST request; ``list_page`` pages through large collections)."""
        doc = self.list_page(api_version, kind, namespace, label_selector=label_selector)
        return list(doc.get("items") or [])

    def list_page(
        self,
        api_version: str,
        kind: str,
        namespace: str = "",
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        metadata_only: bool = False,
    ) -> Obj:
        """One LIST answer as sent (``items``, ``metadata.resourceVersion``/``continue``); 410: expired.

        ``metadata_only``: items as ``PartialObjectMetadata`` (no data or spec; client-go's metadata
        informers): a controller that only needs names and owners of Secrets never receives values.
        """
        res = self.resource(api_version, kind)
        query = _query(labelSelector=label_selector, fieldSelector=field_selector, limit=limit or "")
        query += _query(**{"continue": continue_token})
        what = f"{kind} list" + (f" in namespace {namespace}" if namespace else "")
        accept = METADATA_ONLY + "List" + METADATA_VERSION if metadata_only else "application/json"
        doc: Obj = self.request("GET", res.path(namespace), query=query, what=what, accept=accept) or {}
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
        field_selector: str = "",
        bookmarks: bool = True,
        metadata_only: bool = False,
    ) -> WatchStream:
        """A watch from ``resource_version`` (with bookmarks); iterate it for events, ``close()`` ends it.

        The server ends the stream after ``timeout_seconds``; a 410 Gone (as HTTP status or as
        an ERROR event) raises :class:`WatchExpired`, meaning: list again.
        """
        res = self.resource(api_version, kind)
        query = _query(
            watch="true",
            resourceVersion=resource_version,
            allowWatchBookmarks="true" if bookmarks else "",
            timeoutSeconds=timeout_seconds,
            labelSelector=label_selector,
            fieldSelector=field_selector,
        )
        what = f"{kind} watch"
        try:
            status, raw, _headers, resp = self._call(
                "GET",
                res.path(namespace),
                query,
                timeout=(self.timeout, timeout_seconds + 30),
                stream=True,
                accept=METADATA_ONLY + METADATA_VERSION if metadata_only else "application/json",
            )
        except Exception as exc:  # noqa: BLE001 - urllib3 connection errors and friends
            raise self._unreachable(exc, what) from None
        if not 200 <= status < 300:
            raise api_error(status, raw, what)
        return WatchStream(resp, what)

    # --- writes ----------------------------------------------------------------------------
    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """POST; an existing object is a :class:`KubeConflict` (AlreadyExists), not retried."""
        meta = obj.get("metadata") or {}
        what = str(ObjectId.of(obj))
        res = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")), what)
        result: Obj = self.request(
            "POST",
            res.path(str(meta.get("namespace") or "")),
            query=_dry_run(dry_run),
            body=obj,
            what=what,
            final=frozenset({409}),
        )
        return result

    def apply(
        self, obj: Obj, *, force: bool = True, dry_run: bool = False, field_manager: str = FIELD_MANAGER
    ) -> Obj:
        """Server-side apply (``application/apply-patch+yaml``) as ``field_manager``."""
        oid = ObjectId.of(obj)
        meta = obj.get("metadata") or {}
        res = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")), str(oid))
        query = [
            ("fieldManager", field_manager),
            *(_query(force="true") if force else []),
            *_dry_run(dry_run),
        ]
        path = res.path(str(meta.get("namespace") or ""), str(meta.get("name")))
        result: Obj = self.request(
            "PATCH", path, query=query, body=obj, content_type=PATCH_TYPES["apply"], what=str(oid)
        )
        return result

    def replace(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """PUT the whole object; its ``metadata.resourceVersion`` makes a stale write a KubeConflict."""
        meta = obj.get("metadata") or {}
        what = str(ObjectId.of(obj))
        res = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")), what)
        path = res.path(str(meta.get("namespace") or ""), str(meta.get("name")))
        result: Obj = self.request(
            "PUT", path, query=_dry_run(dry_run), body=obj, what=what, final=frozenset({409})
        )
        return result

    def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = "merge",
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj | None:
        """A merge (RFC 7386), JSON (RFC 6902) or strategic merge patch; None when the object is gone."""
        what = _what(kind, namespace, name) + (f" {subresource}" if subresource else "")
        res = self.resource(api_version, kind, what)
        result: Obj | None = self.request(
            "PATCH",
            res.path(namespace, name, subresource),
            query=_dry_run(dry_run),
            body=patch,
            content_type=PATCH_TYPES[patch_type],
            what=what,
            missing_ok=True,
        )
        return result

    def patch_merge(self, api_version: str, kind: str, namespace: str, name: str, patch: Obj) -> Obj | None:
        """A JSON merge patch (RFC 7386) of the object; None when it is gone."""
        return self.patch(api_version, kind, namespace, name, patch)

    def patch_status(self, api_version: str, kind: str, namespace: str, name: str, status: Obj) -> Obj | None:
        """Merge-patch the ``status`` subresource; None when the object is gone."""
        return self.patch(api_version, kind, namespace, name, {"status": status}, subresource="status")

    def delete(
        self, api_version: str, kind: str, namespace: str, name: str, *, dry_run: bool = False
    ) -> bool:
        """Delete with background propagation; False when it was already gone."""
        what = _what(kind, namespace, name)
        res = self.resource(api_version, kind, what)
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if dry_run:
            body["dryRun"] = ["All"]  # type: ignore[assignment]
        done = self.request("DELETE", res.path(namespace, name), body=body, what=what, missing_ok=True)
        return done is not None

    # --- subresources ----------------------------------------------------------------------
    def create_token(
        self, namespace: str, service_account: str, audiences: Iterable[str] = (), seconds: int = 600
    ) -> str | None:
        """A short-lived ServiceAccount token (TokenRequest API); None when the account does not exist."""
        what = f"token for ServiceAccount {namespace}/{service_account}"
        spec: dict[str, Any] = {"expirationSeconds": seconds}
        if audiences:
            spec["audiences"] = list(audiences)
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
        res = WELL_KNOWN[("v1", "ServiceAccount")]
        got = self.request(
            "POST", res.path(namespace, service_account, "token"), body=body, what=what, missing_ok=True
        )
        if got is None:
            return None
        return str((got.get("status") or {}).get("token") or "")

    def proxy(
        self,
        namespace: str,
        service: str,
        port: str,
        path: str,
        *,
        method: str = "GET",
        body: Any = None,
        accept: str = "application/json",
        what: str = "",
    ) -> bytes:
        """One request to a Service through the API server's proxy, as client-go's ``ProxyGet`` sends it.

        The path is ``/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/PATH`` with ``:`` and
        ``/`` unescaped (the generated Python proxy calls would escape them). Any non-2xx answer,
        the API server's or the service's, is a KubeError with its status; not retried.
        """
        what = what or f"service {namespace}/{service}"
        full = f"/api/v1/namespaces/{namespace}/services/http:{service}:{port}/proxy/{path.lstrip('/')}"
        try:
            status, raw, _headers, _resp = self._call(
                method, full, [], body=body, timeout=self.timeout, accept=accept
            )
        except Exception as exc:  # noqa: BLE001 - connection problems of any kind
            raise self._unreachable(exc, what) from None
        if not 200 <= status < 300:
            raise api_error(status, raw, what)
        return raw

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
        retry: bool = True,
        timeout: float | None = None,
        accept: str = "application/json",
    ) -> Any:
        """One API call (JSON in, JSON out) with retries for temporary failures.

        ``final`` statuses are not retried (409 on create/replace means someone else won);
        ``retry=False`` makes one attempt only (leader election must not outlive its deadline).
        """
        last: KubeError | None = None
        attempts = self.backoff.attempts if retry else 1
        for attempt in range(attempts):
            try:
                status, raw, headers, _resp = self._call(
                    method,
                    path,
                    query or [],
                    body=body,
                    content_type=content_type,
                    timeout=timeout or self.timeout,
                    accept=accept,
                )
            except Exception as exc:  # noqa: BLE001 - urllib3 connection errors and friends
                last = self._unreachable(exc, what)
                if attempt + 1 < attempts:
                    self.backoff.sleep(self.backoff.delay(attempt))
                continue
            if 200 <= status < 300:
                return json.loads(raw) if raw else {}
            if status == 404 and missing_ok:
                return None
            if status in RETRIED_STATUSES and status not in final:
                last = api_error(status, raw, what)
                if attempt + 1 < attempts:
                    self.backoff.sleep(self.backoff.delay(attempt, _retry_after(headers)))
                continue
            raise api_error(status, raw, what)
        assert last is not None
        raise last

    def _unreachable(self, exc: Exception, what: str) -> KubeUnavailable:
        return KubeUnavailable(
            f"Kubernetes API {self.server} unreachable ({type(exc).__name__})", object=what
        )

    def _call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        *,
        body: Any = None,
        content_type: str = "application/json",
        timeout: Any = None,
        accept: str = "application/json",
        stream: bool = False,
    ) -> tuple[int, bytes, Any, Any]:
        """The raw exchange through the official client (auth, TLS, proxies from its config).

        Returns (status, body, headers, response); a streamed response is returned unread.
        """
        from kubernetes.client.exceptions import ApiException

        headers: dict[str, Any] = {"Accept": accept}
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
            if self.impersonate is not None:
                headers_ = self.impersonate.add_to(headers_)
            resp = self.api.call_api(
                method_, url, header_params=headers_, body=body_, post_params=post, _request_timeout=timeout
            )
        except ApiException as exc:
            if not exc.status:
                # the client's own failure before any answer (TLS): no status to report
                raise ConnectionError(str(exc.reason or "").split("\n", 1)[0]) from None
            raw = (exc.body or "").encode() if isinstance(exc.body, str) else (exc.body or b"")
            return int(exc.status), raw, exc.headers, None
        status = int(resp.status)
        if stream and 200 <= status < 300:
            return status, b"", resp.headers, resp.response  # read event by event by WatchStream
        return status, resp.read() or b"", resp.headers, resp


def _what(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _query(**params: Any) -> list[tuple[str, str]]:
    """Query parameters, leaving out empty ones."""
    return [(k, str(v)) for k, v in params.items() if v not in ("", None, False)]


def _dry_run(dry_run: bool) -> list[tuple[str, str]]:
    return [("dryRun", "All")] if dry_run else []


def _retry_after(headers: Any) -> float | None:
    headers = headers or {}
    try:
        value = headers.get("Retry-After")
        return float(value) if value else None
    except (TypeError, ValueError):
        return None
