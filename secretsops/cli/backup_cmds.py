"""``secretsops backup``: the keys a rebuild needs, as one SOPS file encrypted to a recovery recipient.

``backup --kubeconfig K --age RECIPIENT -o FILE`` reads the sealing key Secrets, the SOPS
decryption Secret(s) and the sources configuration and writes them encrypted (a new file is
0600); ``backup --verify FILE`` opens a backup with the usual SOPS identities
(``SOPS_AGE_KEY_FILE``, gpg...) and lists what it holds, never a value. Each backup records,
on the sealing key Secrets it holds, when it was taken (annotation ``secretsops.io/backed-up-at``);
``backup --status`` lists the keys with that record and exits 1 when the newest key is in no
backup (after a renewal), as the controllers' ``secretsops_sealing_key_backup_stale`` metric does.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from secretsops.errors import SecretsOpsError, UsageError


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``backup`` to the top-level parser."""
    del keygen_sub
    p = sub.add_parser(
        "backup",
        help="back up sealing keys, SOPS decryption Secrets and sources, encrypted to a recovery key",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kubeconfig", help="path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context to use")
    p.add_argument(
        "--sealing-key-namespace",
        default="kube-system",
        metavar="NS",
        help="namespace of the sealing key Secrets (default kube-system)",
    )
    p.add_argument(
        "--decryption-secret",
        dest="decryption_secrets",
        action="append",
        default=[],
        metavar="NS/NAME",
        help="a Flux-style SOPS decryption Secret the engine uses (repeatable)",
    )
    p.add_argument("--sources", type=Path, metavar="FILE", help="the sources configuration (sources.yaml)")
    p.add_argument(
        "--age", action="append", default=[], metavar="RECIPIENT", help="age recovery recipient (repeatable)"
    )
    p.add_argument(
        "--pgp", action="append", default=[], metavar="FPR", help="PGP recovery key fingerprint (repeatable)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the encrypted backup")
    p.add_argument(
        "--previous",
        type=Path,
        metavar="FILE",
        help="the latest earlier backup: warn when the cluster's newest sealing key is not in it",
    )
    p.add_argument(
        "--verify", type=Path, metavar="FILE", help="open a backup and list what it holds (names, dates)"
    )
    p.add_argument(
        "--status",
        action="store_true",
        help="list the sealing keys and the backup each is in; exit 1 when the newest is in none",
    )
    p.set_defaults(func=cmd_backup)


def _recipients(args: argparse.Namespace) -> list[Any]:
    from secretsops.keysources.age import AgeKeySource
    from secretsops.keysources.pgp import PgpKeySource

    keys: list[Any] = []
    for value in args.age:
        keys.extend(AgeKeySource.from_cli(value, {}))
    for value in args.pgp:
        keys.extend(PgpKeySource.from_cli(value, {}))
    if not keys:
        raise UsageError("backup needs a recovery recipient: --age RECIPIENT or --pgp FINGERPRINT")
    return keys


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read backup ({exc.strerror})") from None


def kube_from_args(args: argparse.Namespace) -> Any:
    """The client for ``--kubeconfig``/``--context``; a missing or broken kubeconfig is a usage error."""
    from secretsops.kube import KubeconfigError, default_kubeconfig, from_kubeconfig

    path = default_kubeconfig(str(args.kubeconfig) if args.kubeconfig else None)
    if path is None:
        raise UsageError("no kubeconfig found: pass --kubeconfig")
    try:
        return from_kubeconfig(path, args.context)
    except KubeconfigError as exc:
        raise UsageError(f"{path}: cannot load kubeconfig ({exc.message})") from None


def _status(args: argparse.Namespace) -> int:
    """The sealing keys, newest first, with the backup each is recorded in (no values)."""
    from secretsops.engine import backup, backup_state
    from secretsops.sealed.keyring import cluster_key_secrets

    kube = kube_from_args(args)
    secrets = cluster_key_secrets(kube, args.sealing_key_namespace)
    keys = backup.backed_up_keys({"sealingKeys": secrets}, f"namespace {args.sealing_key_namespace}")
    state = backup_state.state_of(keys, secrets)
    recorded = {str(s["metadata"]["name"]): backup_state.backed_up_at(s) for s in secrets}
    for key in keys:
        where = recorded.get(key.name) or "in no backup"
        sys.stdout.write(f"{key.name}  fingerprint={key.fingerprint}  backup={where}\n")
    condition = backup_state.backup_condition(state)
    sys.stdout.write(
        f"{condition['type']}={condition['status']} ({condition['reason']}): {condition['message']}\n"
    )
    return 1 if state.stale else 0


def cmd_backup(args: argparse.Namespace) -> int:
    from secretsops.engine import backup, backup_state
    from secretsops.keysources.base import KeyContext

    ctx = KeyContext.from_environ(os.environ)
    if args.status:
        if args.verify is not None or args.output or args.age or args.pgp or args.previous:
            raise UsageError(
                "--status reads the cluster: it takes no --verify, -o, --age, --pgp or --previous"
            )
        return _status(args)
    if args.verify is not None:
        if args.output or args.age or args.pgp or args.previous:
            raise UsageError("--verify opens a backup: it takes no -o, --age, --pgp or --previous")
        doc = backup.open_backup(_read(args.verify), ctx, str(args.verify))
        sys.stdout.write("".join(f"{line}\n" for line in backup.inventory(doc, str(args.verify))))
        return 0
    if not args.output:
        raise UsageError("backup needs -o FILE (or --verify FILE to open one)")
    recipients = _recipients(args)
    refs = [backup.SecretName.parse(text) for text in args.decryption_secrets]
    previous = backup.open_backup(_read(args.previous), ctx, str(args.previous)) if args.previous else None
    kube = kube_from_args(args)
    doc = backup.collect(
        kube,
        sealing_key_namespace=args.sealing_key_namespace,
        decryption_secrets=refs,
        sources=args.sources,
    )
    data = backup.encrypt(doc, recipients, ctx)
    from secretsops.cli.sops_cmds import write_atomic

    write_atomic(Path(args.output), data)
    keys = backup.backed_up_keys(doc, "cluster")
    print(
        f"secretsops: backup written to {args.output}: {len(keys)} sealing key(s), "
        f"{len(doc['decryptionSecrets'])} decryption Secret(s)"
        f"{', sources' if 'sources' in doc else ''}",
        file=sys.stderr,
    )
    state = backup_state.state_of(keys, doc["sealingKeys"])
    try:
        backup_state.record(kube, args.sealing_key_namespace, [k.name for k in keys], doc["createdAt"])
    except SecretsOpsError as exc:  # the backup is written: say the record is missing, do not fail
        print(
            f"secretsops: warning: backup written, but not recorded on the key Secrets ({exc}): "
            "`backup --status` and the controllers' backup metric will not count it",
            file=sys.stderr,
        )
    if state.stale:
        print(
            f"secretsops: warning: the newest sealing key {state.newest_name} ({state.newest_fingerprint}) "
            "was in no earlier backup: keep this new backup",
            file=sys.stderr,
        )
    if previous is not None:
        missing = backup.newest_key_missing(keys, previous, str(args.previous))
        if missing is not None:
            print(
                f"secretsops: warning: the newest sealing key {missing.name} ({missing.fingerprint}) "
                f"was not in {args.previous}: keep this new backup",
                file=sys.stderr,
            )
    return 0


__all__ = ["cmd_backup", "register"]
