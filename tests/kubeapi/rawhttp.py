"""Plain HTTP calls to the test server, for requests the typed client cannot make.

``server`` is a URL (the in-memory server has no auth) or a server object: its ``url``, and when it has
them its admin ``token`` and ``ca_file`` (the real control plane, tests/realkube.py).
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from http.client import HTTPResponse
from typing import Any


def urlopen(
    server: Any,
    path: str,
    data: bytes | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """``urllib.request.urlopen`` of ``path`` on ``server``, authenticated when the server needs it."""
    url, ctx, auth = (server, None, {}) if isinstance(server, str) else _endpoint(server)
    req = urllib.request.Request(url + path, data=data, method=method, headers={**(headers or {}), **auth})
    response: HTTPResponse = urllib.request.urlopen(req, context=ctx)
    return response


def _endpoint(server: Any) -> tuple[str, ssl.SSLContext | None, dict[str, str]]:
    token, ca = getattr(server, "token", None), getattr(server, "ca_file", None)
    ctx = ssl.create_default_context(cafile=str(ca)) if ca else None
    return str(server.url), ctx, ({"Authorization": f"Bearer {token}"} if token else {})


def call(
    server: Any,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, Any]:
    """(status code, decoded JSON body, or the text of a plain-text one) — errors are returned, not raised."""
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    try:
        with urlopen(server, path, data, method, {"Content-Type": content_type, "Accept": accept}) as resp:
            return resp.status, _decode(resp.headers.get("Content-Type", ""), resp.read())
    except urllib.error.HTTPError as err:
        return err.code, _decode(err.headers.get("Content-Type", ""), err.read())


def _decode(content_type: str, body: bytes) -> Any:
    if content_type.startswith("text/plain"):
        return body.decode()
    return json.loads(body or b"null")
