"""``secretsops render DIR``: every object of a directory with all decryptors applied.

SOPS values decrypted (also SOPS files behind kustomize secretGenerators), SealedSecrets opened
(when ``--private-key`` files are given), each ExternalSecret replaced by the Secret it resolves
to, stores consumed: the same pipeline (``engine.pipeline``) the engine runs before applying,
the KRM function and the Argo CD plugin (which runs ``render``). Output is built whole
before anything is printed: on any failure nothing reaches stdout and the exit code is non-zero.
``--redact`` prints key names and keyed fingerprints instead of values.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
from pathlib import Path
from typing import Any

from secretsops.keysources.base import KeyContext
from secretsops.manifests import Obj, SourcedObject, dump_json, dump_yaml

KEEP_TOP = ("apiVersion", "kind", "metadata")


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``render`` to the top-level parser."""
    del keygen_sub
    p = sub.add_parser(
        "render",
        help="print a directory's objects with SOPS, SealedSecrets and ExternalSecrets resolved (in memory)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", metavar="DIR", help="directory (plain YAML/JSON tree or kustomization) or file")
    p.add_argument("--redact", action="store_true", help="show key names and fingerprints instead of values")
    p.add_argument(
        "--private-key",
        "--recovery-private-key",
        dest="private_keys",
        action="append",
        default=[],
        metavar="FILE",
        help="sealing private key(s) to open SealedSecrets (repeat or comma-separate)",
    )
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per provider request (default 10)")
    p.add_argument(
        "--default-namespace",
        default="",
        metavar="NS",
        help="namespace for Secrets, SealedSecrets, ExternalSecrets… declared without one, set before "
        "decryption (the Argo CD plugin passes $ARGOCD_APP_NAMESPACE)",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=None, help="kustomize builds at once in a tree of kustomizations"
    )
    p.add_argument(
        "--passthrough",
        action="store_true",
        help="decrypt nothing: SOPS Secrets as SopsSecrets, SealedSecrets/ExternalSecrets as they are, for "
        "the in-cluster controllers (Argo CD's safer mode, docs/argocd.md)",
    )
    p.set_defaults(func=run_render)


def _fingerprint(key: bytes, value: bytes) -> str:
    return hmac.new(key, value, hashlib.sha256).hexdigest()[:12]


def _redacted(value: Any, key: bytes) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")
    return f"<redacted, fp {_fingerprint(key, raw)}>"


def _redact_tree(value: Any, key: bytes) -> Any:
    if isinstance(value, dict):
        return {k: _redact_tree(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_tree(v, key) for v in value]
    return _redacted(value, key)


def redact(item: SourcedObject, key: bytes) -> Obj:
    """The object with every secret value replaced by a fingerprint (keyed per run)."""
    import base64
    import binascii

    obj = item.obj
    if obj.get("kind") == "Secret" and str(obj.get("apiVersion")) == "v1":
        out = dict(obj)
        if isinstance(obj.get("data"), dict):
            data: dict[str, str] = {}
            for k, v in obj["data"].items():
                try:
                    raw = base64.b64decode(str(v or ""), validate=True)
                except (binascii.Error, ValueError):
                    raw = str(v).encode()
                data[k] = _redacted(raw, key)
            out["data"] = data
        if isinstance(obj.get("stringData"), dict):
            out["stringData"] = {k: _redacted(v, key) for k, v in obj["stringData"].items()}
        meta = obj.get("metadata") or {}
        if item.extra.get("decryptor") and isinstance(meta.get("annotations"), dict):
            # templated annotations may carry values, and ESO's data-hash is a guessable digest of them
            out["metadata"] = {
                **meta,
                "annotations": {k: _redacted(v, key) for k, v in meta["annotations"].items()},
            }
        return out
    if item.extra.get("decryptor"):
        # anything a decryptor opened may carry plaintext anywhere outside its identity
        return {k: (v if k in KEEP_TOP else _redact_tree(v, key)) for k, v in obj.items()}
    return obj


def run_render(args: argparse.Namespace) -> int:
    if args.passthrough:
        from secretsops.cli.argocd_cmds import run_passthrough

        return run_passthrough(args)
    from secretsops.decryptors.base import ExternalOptions
    from secretsops.decryptors.guard import guard_items
    from secretsops.engine.confine import enclosing_work_tree
    from secretsops.engine.default_namespace import place_all, scope_for
    from secretsops.engine.pipeline import build_pipeline
    from secretsops.engine.render import render_path
    from secretsops.errors import UsageError

    key_files = [f for arg in args.private_keys for f in str(arg).split(",") if f]
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    target = Path(args.path)
    # inside a git work tree, nothing may be read from outside it (a symlink in a pull request)
    items = render_path(target, jobs=args.jobs, within=enclosing_work_tree(target))
    pipeline = build_pipeline(
        KeyContext.from_environ(os.environ),
        sealing_key_files=key_files,
        external=ExternalOptions(timeout=args.timeout),
        scope=scope_for(args.default_namespace),
    )
    plain = pipeline.run(items)
    place_all((i.obj for i in plain), args.default_namespace)
    guard_items(plain)  # the one emit guard (decryptors.guard), also run by the pipeline
    if args.redact:
        hkey = os.urandom(32)
        objs = [redact(i, hkey) for i in plain]
    else:
        objs = [i.obj for i in plain]
    text = dump_json(objs) if args.output == "json" else dump_yaml(objs)
    sys.stdout.write(text)
    return 0
