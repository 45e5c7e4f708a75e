"""Issue 11 row 6: templates a repo writer uses to smuggle a secret's value out through an error.

The writer cannot read the Secret the engine writes, but can read what the engine says about it
(status, Events, logs). Each template below makes evaluation fail with text computed from the
value; none of that text, nor any transform of the value, may come out.
"""

from __future__ import annotations

import base64
from typing import Any

#: name -> spec.target.template; each fails at evaluation (or in the API server, if unchecked)
LEAKING_TEMPLATES: dict[str, dict[str, Any]] = {
    "fail-b64enc": {"data": {"dsn": "{{ fail (.password | b64enc) }}"}},
    "fail-upper": {"data": {"dsn": "{{ .password | upper | fail }}"}},
    "fail-printf-hex": {"data": {"dsn": '{{ fail (printf "%x" .password) }}'}},
    "fail-trunc": {"data": {"dsn": "{{ fail (trunc 18 .password) }}"}},
    "regexp-from-the-value": {"data": {"dsn": '{{ mustRegexMatch (printf "(%s" .password) "x" }}'}},
    "time-layout-from-the-value": {"data": {"dsn": '{{ mustToDate (upper .password) "2020" }}'}},
    "label-value-from-the-value": {
        "metadata": {"labels": {"leak": "{{ .password | upper }}!"}},
        "data": {"dsn": "ok"},
    },
    "data-key-from-the-value": {"templateFrom": [{"literal": '"{{ .password | b64enc }}!": "x"'}]},
}


def forms(canary: str) -> list[str]:
    """The value and what the templates above turn it into (trunc 18 keeps 4 random characters)."""
    raw = canary.encode()
    return [
        canary,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        canary.upper(),
        raw.hex(),
        canary[:18],
        canary.upper()[:18],
    ]


def assert_no_form(canary: str, *places: str | bytes) -> None:
    """None of the value's forms in any of ``places`` (texts)."""
    for place in places:
        text = place.decode("utf-8", "replace") if isinstance(place, bytes) else place
        for form in forms(canary):
            assert form not in text, f"a form of the secret ({form[:6]}…) leaked"
