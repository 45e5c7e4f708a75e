"""``secretsops refresh`` and ``secretsops krm``: running the engine for real.

(The demo is ``secretsops-demo`` from the devstack distribution, ``devstack/``: not part of the product.)

* ``refresh NS/NAME`` asks a running engine (``--metrics-port``) to re-resolve an ExternalSecret
  now, or ``refresh --reconcile`` to run a pass now (what a git webhook would do).
* ``krm`` is a kustomize KRM function: a ``ResourceList`` on stdin, its items decrypted in memory,
  the ``ResourceList`` on stdout (see plugins/kustomize/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from secretsops.errors import MacMismatch, SecretsOpsError, UsageError

#: annotations kustomize adds to items while they travel through functions; not part of the file
KRM_INTERNAL_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/")


class EndpointError(SecretsOpsError):
    """The engine's endpoint refused or could not be reached."""

    exit_code = 1


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``refresh`` and ``krm`` to the top-level parser."""
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
    ref.set_defaults(func=cmd_refresh)

    krm = sub.add_parser(
        "krm",
        help="kustomize KRM function: decrypt a ResourceList's items in memory (stdin to stdout)",
        description="Reads a config.kubernetes.io/v1 ResourceList on stdin, decrypts SOPS values, "
        "SealedSecrets (sealing keys from --private-key) and ExternalSecrets, writes it to stdout.",
    )
    krm.add_argument(
        "--private-key",
        dest="private_keys",
        action="append",
        default=[],
        metavar="FILE",
        help="sealing private key(s) to open SealedSecrets",
    )
    krm.add_argument(
        "--root",
        default=".",
        help="kustomization root for origin paths (default: the working directory kustomize gives)",
    )
    krm.set_defaults(func=cmd_krm)


# --- refresh -------------------------------------------------------------------------------------


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
    doc = post(base + path, args.timeout)
    print(doc.get("status", "requested"))
    return 0


def post(url: str, timeout: float) -> dict[str, Any]:
    """POST with an empty body; a non-2xx answer becomes one line naming the engine's reason."""
    req = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - URL checked by caller
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


# --- krm -----------------------------------------------------------------------------------------


def cmd_krm(args: argparse.Namespace) -> int:
    from secretsops import yamlio
    from secretsops.errors import InputError
    from secretsops.manifests import dump_yaml

    try:
        doc = yamlio.load_one(yamlio.read_stream(sys.stdin.buffer, "stdin"), "stdin")
    except InputError as exc:
        raise UsageError(f"not a YAML ResourceList: {exc}") from None
    out = decrypt_resource_list(doc, args.private_keys, os.environ, Path(args.root))
    sys.stdout.write(dump_yaml([out]))
    return 0


def decrypt_resource_list(
    doc: Any, private_keys: list[str], environ: Any, root: Path | None = None
) -> dict[str, Any]:
    """The ResourceList with its items decrypted; kustomize's bookkeeping annotations kept.

    Those annotations are removed before decrypting (a SOPS MAC covers the whole document as it
    was encrypted) and put back afterwards, on each output item of the same origin.
    """
    from secretsops.decryptors.base import DecryptContext, run_decryptors
    from secretsops.decryptors.registry import load_decryptors
    from secretsops.engine.generators import open_generated
    from secretsops.engine.pipeline import decrypt_options
    from secretsops.keysources.base import KeyContext
    from secretsops.manifests import SourcedObject
    from secretsops.sops.api import DataKeyCache, is_encrypted_document

    if not isinstance(doc, dict) or doc.get("kind") != "ResourceList":
        raise UsageError("stdin: expected a config.kubernetes.io/v1 ResourceList")
    items_in = doc.get("items") or []
    if not isinstance(items_in, list):
        raise UsageError("stdin: ResourceList items must be a list")
    sourced: list[SourcedObject] = []
    internal: dict[tuple[str, int], dict[str, str]] = {}
    for index, item in enumerate(items_in):
        if not isinstance(item, dict):
            raise UsageError(f"stdin: items[{index}] is not an object")
        obj, notes = _strip_internal(item)
        path = _origin_path(notes) or "ResourceList items"
        internal[(path, index)] = notes
        sourced.append(SourcedObject(obj, path, index))
    ctx = DecryptContext(
        keys=KeyContext.from_environ(environ),
        sealing_key_files=[f for arg in private_keys for f in str(arg).split(",") if f],
        options=decrypt_options(),
    )
    cache = DataKeyCache()
    for item in sourced:
        if is_encrypted_document(item.obj):
            notes = internal[(item.path, item.index)]
            item.obj = open_sops_item(item.obj, notes, root or Path.cwd(), ctx.keys, cache, where=item.where)
    plain = open_generated(run_decryptors(sourced, load_decryptors(), ctx), ctx)
    items_out = []
    for item in plain:
        obj = item.obj
        notes = internal.get((item.path, item.index), {})
        if notes:
            meta = obj.setdefault("metadata", {})
            meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
        items_out.append(obj)
    return {**doc, "items": items_out}


def _strip_internal(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    meta = item.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return item, {}
    notes = {k: str(v) for k, v in meta["annotations"].items() if str(k).startswith(KRM_INTERNAL_PREFIXES)}
    if not notes:
        return item, {}
    kept = {k: v for k, v in meta["annotations"].items() if k not in notes}
    ordered = {k: (kept if k == "annotations" else v) for k, v in meta.items() if k != "annotations" or kept}
    return {**item, "metadata": ordered}, notes


def open_sops_item(
    obj: dict[str, Any], notes: dict[str, str], root: Path, keys: Any, cache: Any, *, where: str
) -> dict[str, Any]:
    """Decrypt a SOPS item as it arrived; if kustomize reordered or transformed it (the MAC covers
    the document as encrypted), open the original document from its origin file instead and put
    its plaintext at the item's encrypted leaves, each of which must be byte-identical there."""
    from secretsops.sops.api import decrypt_document, decrypt_documents

    try:
        return decrypt_document(obj, ctx=keys, cache=cache, where=where)
    except MacMismatch:
        found = _origin_document(obj, notes, root)
        if found is None:
            raise MacMismatch(
                f"{where}: MAC mismatch and no origin file to compare with (kustomize changed the "
                "document; add `buildMetadata: [originAnnotations]` to the kustomization)"
            ) from None
    original, index, data, fmt = found
    # parsed as sops parses (go-yaml scalars), so the MAC is exact for every unencrypted value too
    plain_docs = decrypt_documents(data, fmt, ctx=keys, cache=cache, where=where)
    plain = plain_docs[index] if index < len(plain_docs) else None
    if not isinstance(plain, dict) or _identity(plain) != _identity(original):
        raise MacMismatch(f"{where}: cannot match the document in its origin file")
    return dict(_substitute(obj, original, plain, where, ()))


def _identity(doc: dict[str, Any]) -> tuple[str, str]:
    return str(doc.get("kind")), str((doc.get("metadata") or {}).get("name"))


def _origin_path(notes: dict[str, str]) -> str:
    """The file an item came from: kustomize's origin annotation, else the kio path annotations."""
    from secretsops import yamlio
    from secretsops.errors import InputError

    origin = notes.get("config.kubernetes.io/origin")
    if origin:
        try:
            found = (yamlio.load_one(origin, "config.kubernetes.io/origin") or {}).get("path")
        except (InputError, AttributeError):
            found = None
        if found:
            return str(found)
    return notes.get("internal.config.kubernetes.io/path") or notes.get("config.kubernetes.io/path") or ""


def _origin_document(
    obj: dict[str, Any], notes: dict[str, str], root: Path
) -> tuple[dict[str, Any], int, bytes, str] | None:
    """The document with the same SOPS MAC in the item's origin file (inside ``root`` only):
    the parsed document, its index among the file's documents, the file's bytes and format."""
    from secretsops import yamlio
    from secretsops.errors import InputError

    rel = _origin_path(notes)
    if not rel:
        return None
    base = root.resolve()
    target = (base / rel).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return None
    mac = (obj.get("sops") or {}).get("mac")
    try:
        data = yamlio.read_bytes(target, rel)
        docs = yamlio.load_documents(yamlio.decode(data, rel), rel)
    except InputError:
        return None
    fmt = "json" if target.suffix == ".json" else "yaml"
    for index, doc in enumerate(docs):
        if isinstance(doc, dict) and isinstance(doc.get("sops"), dict) and doc["sops"].get("mac") == mac:
            return doc, index, data, fmt
    return None


def _substitute(item: Any, original: Any, plain: Any, where: str, path: tuple[str, ...]) -> Any:
    if isinstance(item, dict):
        out = {}
        for key, value in item.items():
            if not path and key == "sops":
                continue
            sub = (
                original.get(key) if isinstance(original, dict) else None,
                plain.get(key) if isinstance(plain, dict) else None,
            )
            out[key] = _substitute(value, sub[0], sub[1], where, (*path, str(key)))
        return out
    if isinstance(item, list):
        return [
            _substitute(
                v,
                original[i] if isinstance(original, list) and i < len(original) else None,
                plain[i] if isinstance(plain, list) and i < len(plain) else None,
                where,
                (*path, str(i)),
            )
            for i, v in enumerate(item)
        ]
    if isinstance(item, str) and item.startswith("ENC["):
        if item != original:
            raise MacMismatch(f"{where}: encrypted value at {'.'.join(path)} differs from its origin file")
        return plain
    return item

