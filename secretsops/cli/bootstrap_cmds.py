"""``secretsops bootstrap``: install deploy/, restore (or create) the keys, configure the source.

``bootstrap --kubeconfig K --repo URL --ref REF --path P --backup FILE`` checks that every SOPS
object and SealedSecret of the repository opens with the backup's keys (else it names them all
and writes nothing), then applies the engine + controllers (namespace, CRDs, RBAC, Deployment),
the key Secrets and the sources ConfigMap with server-side apply; ``--run-once`` also runs the
first reconcile from this machine. Without ``--backup`` (first install) it creates a sealing key
pair and an age key and prints the ``secretsops backup`` command to keep them. ``--dry-run``
prints the plan (objects, keys by name and fingerprint) and writes nothing. Running it again
changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from secretsops.cli.backup_cmds import kube_from_args
from secretsops.errors import UsageError

DEFAULT_BACKUP_OUTPUT = "cluster-backup.enc.yaml"


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``bootstrap`` to the top-level parser."""
    del keygen_sub
    p = sub.add_parser(
        "bootstrap",
        help="install the engine and controllers, restore keys from a backup, configure the source",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kubeconfig", help="path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context to use")
    p.add_argument("--repo", metavar="URL", help="git URL (or local path) of the repository to reconcile")
    p.add_argument("--ref", default="main", help="branch, tags/NAME or full commit id (default main)")
    p.add_argument("--path", default="./", help="directory inside the repository (default the root)")
    p.add_argument("--name", default="apps", help="the source's name in sources.yaml (default apps)")
    p.add_argument(
        "--backup", type=Path, metavar="FILE", help="a `secretsops backup` file to restore keys from"
    )
    p.add_argument(
        "--identity",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="age identity file that opens the backup (repeatable; default: the usual SOPS identities)",
    )
    p.add_argument(
        "--sealing-key-namespace",
        default="kube-system",
        metavar="NS",
        help="where the sealing key Secrets go (default kube-system, as deploy/ reads them)",
    )
    p.add_argument(
        "--key-size", type=int, default=4096, help="RSA size of a sealing key created on first install"
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan (objects, key ids); write nothing")
    p.add_argument(
        "--run-once",
        action="store_true",
        help="after installing, run the first reconcile from this machine (no wait for the Pods)",
    )
    p.set_defaults(func=cmd_bootstrap)


def _open_backup(args: argparse.Namespace) -> Any:
    from secretsops.engine import backup
    from secretsops.keysources.base import KeyContext

    env = dict(os.environ)
    if args.identity:
        for ident in args.identity:
            if not ident.is_file():
                raise UsageError(f"--identity {ident}: no such file")
        env["SOPS_AGE_KEY_FILE"] = os.pathsep.join(str(p) for p in args.identity)
    try:
        data = args.backup.read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.backup}: cannot read backup ({exc.strerror})") from None
    return backup.open_backup(data, KeyContext.from_environ(env), str(args.backup))


def _sources_text(args: argparse.Namespace, doc: Any) -> str:
    from secretsops.engine.bootstrap.manifests import SourceFlags

    if args.repo:
        return SourceFlags(args.repo, args.ref, args.path, args.name).sources_yaml()
    sources = (doc or {}).get("sources")
    if isinstance(sources, dict) and sources.get("content"):
        return str(sources["content"])
    raise UsageError("bootstrap needs --repo URL (or a --backup that holds the sources configuration)")


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from secretsops.engine.bootstrap import keys as keys_mod
    from secretsops.engine.bootstrap.manifests import DECRYPTION_SECRET, ENGINE_NAMESPACE
    from secretsops.engine.bootstrap.run import Bootstrap
    from secretsops.engine.builder import load_decryptors_safely

    if args.key_size < 2048:
        raise UsageError("--key-size must be at least 2048")
    doc = _open_backup(args) if args.backup is not None else None
    sources_text = _sources_text(args, doc)
    kube = kube_from_args(args)
    where = dict(
        kube=kube,
        sealing_namespace=args.sealing_key_namespace,
        engine_namespace=ENGINE_NAMESPACE,
        decryption_name=DECRYPTION_SECRET,
        key_size=args.key_size,
    )
    if doc is not None:
        keys = keys_mod.from_backup(doc, str(args.backup), **where)
    else:
        keys = keys_mod.from_cluster_or_new(**where)
    job = Bootstrap(
        kube=kube,
        keys=keys,
        sources_text=sources_text,
        engine_namespace=ENGINE_NAMESPACE,
        decryptors=load_decryptors_safely(),
        environ=os.environ,
        had_backup=doc is not None,
    )
    out = sys.stdout
    report = job.check()
    out.write("keys:\n" + "".join(f"  {line}\n" for line in keys.describe()))
    out.write(
        f"repository: {report.objects} object(s), {report.sops} SOPS, {report.sealed} SealedSecret(s): "
        "all open with these keys\n"
    )
    if args.dry_run:
        result = job.plan(report)
        out.write("objects:\n" + "".join(f"  {p}\n" for p in result.plan))
        counts = {a: sum(p.action == a for p in result.plan) for a in ("create", "update", "unchanged")}
        out.write(
            f"dry run: nothing written ({counts['create']} to create, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged)\n"
        )
        return 0
    result = job.run(run_once=args.run_once, report=report)
    for p in result.plan:
        if p.action != "unchanged":
            out.write(f"  {p}\n")
    out.write(f"bootstrap: {result.changes} change(s), {len(result.plan) - result.changes} unchanged\n")
    for r in result.passes:
        out.write(
            f"reconcile: source {r.source} ready at {r.revision} ({len(r.applied)} object(s) applied)\n"
        )
    if keys.generated:
        kubeconfig = f" --kubeconfig {args.kubeconfig}" if args.kubeconfig else ""
        print(
            "secretsops: new keys were created in the cluster: back them up now, to a recovery key kept "
            f"off the cluster:\n  secretsops backup{kubeconfig} --decryption-secret "
            f"{ENGINE_NAMESPACE}/{DECRYPTION_SECRET} --age RECOVERY_RECIPIENT -o {DEFAULT_BACKUP_OUTPUT}",
            file=sys.stderr,
        )
    elif not args.run_once:
        print(
            "secretsops: the engine's first reconcile starts when its Pods run "
            "(or pass --run-once to run it from here)",
            file=sys.stderr,
        )
    return 0


__all__ = ["cmd_bootstrap", "register"]
