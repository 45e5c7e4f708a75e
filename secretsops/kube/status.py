"""API failures mapped once: HTTP status to a ``KubeError`` class, with reason and field names.

The Status body's ``message`` is never used: the server may quote a value in it. Temporary:
no answer, 409 (someone else wrote first), 410 (list again), 429 and 5xx; permanent: the rest,
401/403 as ``KubeForbidden``.
"""

from __future__ import annotations

import json

from secretsops.errors import (
    KubeConflict,
    KubeError,
    KubeForbidden,
    KubeRejected,
    KubeUnavailable,
    WatchExpired,
)

#: retried by ``KubeClient.request`` (unless the caller lists them in ``final``)
RETRIED_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


def api_error(code: int, raw: bytes, what: str) -> KubeError:
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
    return status_error(code, reason, fields, what, "answered")


def status_error(code: int, reason: str, fields: list[str], what: str, verb: str) -> KubeError:
    cls: type[KubeError]
    if code == 410:
        cls = WatchExpired
    elif code in (401, 403):
        cls = KubeForbidden
    elif code == 409:
        cls = KubeConflict
    elif code in RETRIED_STATUSES or code == 0:
        cls = KubeUnavailable
    else:
        cls = KubeRejected
    detail = f" {reason}" if reason else ""
    named = sorted(set(fields))
    where = f" (fields: {', '.join(named)})" if named else ""
    return cls(
        f"Kubernetes API {verb} {code}{detail}{where}", status=code, reason=reason, fields=named, object=what
    )
