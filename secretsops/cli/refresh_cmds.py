"""``secretsops refresh``: ask a running engine to act now (what a git webhook would do).

``refresh NS/NAME`` asks the engine's server (``--metrics-port``) to re-resolve one
ExternalSecret; ``refresh --reconcile`` to run a pass of every source (or ``--source``) now.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from secretsops.errors import SecretsOpsError, UsageError


class EndpointError(SecretsOpsError):
    """The engine's endpoint refused or could not be reached."""


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``refresh`` to the top-level parser."""
    del keygen_sub
    ref = sub.add_parser(
        "refresh",
        help="ask a running engine to re-resolve an ExternalSecret now (or run a pass: --reconcile)",
        description="POST /refresh/NS/NAME (or /reconcile) to the engine's server (--metrics-port).",
    )
    ref.add_argument("target", nargs="?", metavar="NS/NAME", help="the ExternalSecret to re-resolve")
    ref.add_argument("--reconcile", action="store_true", help="run a pass of every source (or --source)")
    ref.add_argument("--source", default="", help="with --reconcile: only this source")
    ref.add_argument(
        "--full", action="store_true", help="with --reconcile: re-render and re-resolve every reference"
    )
    ref.add_argument("--url", default="http://127.0.0.1:8080", help="engine server URL")
    ref.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    ref.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="the engine's --webhook-token-file (sent as a bearer token)",
    )
    ref.set_defaults(func=cmd_refresh)


def cmd_refresh(args: argparse.Namespace) -> int:
    if args.reconcile == bool(args.target):
        raise UsageError("give either NS/NAME or --reconcile")
    base = str(args.url).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UsageError(f"--url {base!r}: expected http://HOST:PORT")
    if args.reconcile:
        query = urllib.parse.urlencode(
            [*([("source", args.source)] if args.source else []), *([("full", "true")] if args.full else [])]
        )
        path = "/reconcile" + (f"?{query}" if query else "")
    else:
        ns, _, name = str(args.target).partition("/")
        if not ns or not name or "/" in name:
            raise UsageError(f"{args.target!r}: expected NAMESPACE/NAME")
        path = f"/refresh/{ns}/{name}"
    token = b""
    if args.token_file:
        from secretsops.cli.engine_cmds import read_token_file

        token = read_token_file(args.token_file)
    doc = post(base + path, args.timeout, token)
    print(doc.get("status", "requested"))
    return 0


def post(url: str, timeout: float, token: bytes = b"") -> dict[str, Any]:
    """POST with an empty body; a non-2xx answer becomes one line naming the engine's reason."""
    headers = {"Authorization": "Bearer " + token.decode("utf-8", "replace")} if token else {}
    req = urllib.request.Request(url, data=b"", method="POST", headers=headers)  # noqa: S310 - URL checked
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return _json(resp.read())
    except urllib.error.HTTPError as exc:
        doc = _json(exc.read())
        leader = f" (leader: {doc['leader']})" if doc.get("leader") else ""
        raise EndpointError(f"{url}: HTTP {exc.code}: {doc.get('error') or exc.reason}{leader}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(f"{url}: engine not reachable ({type(reason).__name__})") from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
