"""``secretsops reconcile`` and ``secretsops status``: flags in, engine library out."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretsops.errors import UsageError

if TYPE_CHECKING:
    from secretsops.kube import KubeClient


def register(sub: Any, keygen_sub: Any) -> None:
    del keygen_sub
    rec = sub.add_parser(
        "reconcile",
        help="pull git, decrypt in memory, apply to Kubernetes (GitOps loop)",
        description="Reconcile one source (flags) or several (--config sources.yaml) into the cluster.",
    )
    rec.add_argument("--repo", help="git URL or local path (a plain directory works too)")
    rec.add_argument("--ref", default="main", help="branch, tag or full commit id (default main)")
    rec.add_argument("--path", default="./", help="directory inside the repository (default the root)")
    rec.add_argument(
        "--name", default="default", help="source name for inventory and status (default: default)"
    )
    rec.add_argument("--interval", default="1m", help="time between passes, e.g. 30s, 1m, 1h (default 1m)")
    rec.add_argument("--once", action="store_true", help="run one pass and exit non-zero if it failed")
    rec.add_argument(
        "--prune", action=argparse.BooleanOptionalAction, default=True, help="delete what left git"
    )
    rec.add_argument(
        "--self-heal",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="revert drift (else report it)",
    )
    rec.add_argument("--dry-run", action="store_true", help="render, decrypt and plan; write nothing")
    rec.add_argument("--kubeconfig", help="kubeconfig file (default $KUBECONFIG, else in-cluster config)")
    rec.add_argument("--context", help="kubeconfig context")
    rec.add_argument(
        "--decryption-secret", help="Flux-style key Secret NAMESPACE/NAME (*.agekey, sops.vault-token...)"
    )
    rec.add_argument(
        "--target-namespace", default="", help="namespace for namespaced objects (Flux targetNamespace)"
    )
    rec.add_argument("--sealing-key-namespace", default="kube-system", help="where sealing keys live")
    rec.add_argument(
        "--namespace", default="secretsops-system", help="namespace for inventory, status and Events"
    )
    rec.add_argument("--leader-elect", action="store_true", help="only the Lease holder reconciles")
    rec.add_argument("--config", type=Path, help="sources.yaml (Flux GitRepository + Kustomization fields)")
    rec.add_argument(
        "--allow-mass-prune", action="store_true", help="confirm one pass that prunes most objects"
    )
    rec.add_argument(
        "--verify-gpg", type=Path, metavar="KEYRING", help="require commits signed by these gpg keys"
    )
    rec.add_argument("--verify-ssh", type=Path, metavar="ALLOWED_SIGNERS", help="require ssh-signed commits")
    rec.add_argument("--metrics-port", type=int, help="serve /metrics and /healthz on this port")
    rec.add_argument(
        "--bind-address",
        default="0.0.0.0",  # noqa: S104
        help="address for --metrics-port (default 0.0.0.0)",
    )
    rec.add_argument(
        "--webhook-token-file",
        type=Path,
        metavar="FILE",
        help="bearer token for POST /reconcile and /refresh (without it those endpoints are off)",
    )
    rec.add_argument(
        "--lease-duration", default="15s", help="Lease duration for --leader-elect (default 15s)"
    )
    rec.add_argument(
        "--shard-key", default="", help="handle only sources labelled sharding.secretsops.io/key=X"
    )
    rec.add_argument(
        "--default-service-account",
        default="",
        metavar="NAME",
        help="ServiceAccount a source without serviceAccountName impersonates, in the source's"
        " namespace (as Flux's kustomize-controller flag; default: the engine's own identity)",
    )
    rec.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    rec.set_defaults(func=cmd_reconcile)

    st = sub.add_parser("status", help="show the engine's per-source status stored in the cluster")
    st.add_argument("--kubeconfig", help="kubeconfig file (default $KUBECONFIG, else in-cluster config)")
    st.add_argument("--context", help="kubeconfig context")
    st.add_argument("--namespace", default="secretsops-system", help="the engine's namespace")
    st.add_argument("-o", "--output", choices=["table", "json"], default="table")
    st.set_defaults(func=cmd_status)


def read_token_file(path: Path) -> bytes:
    """A webhook token from a file (a mounted Secret); surrounding whitespace is not part of it."""
    try:
        token = path.read_bytes().strip()
    except OSError as exc:
        raise UsageError(f"--webhook-token-file {path}: {exc.strerror}") from None
    if len(token) < 16:
        raise UsageError(f"--webhook-token-file {path}: the token must be at least 16 characters")
    return token


def kube_client(kubeconfig: str | None, context: str | None = None) -> KubeClient:
    """The gateway from a kubeconfig (flag or $KUBECONFIG) or the in-cluster service account."""
    from secretsops.kube import connect

    return connect(kubeconfig, context)


def _specs(args: argparse.Namespace) -> list[Any]:
    from secretsops.engine.config import SecretRef, SourceSpec, load_sources, parse_duration
    from secretsops.engine.source import GitRef, Verification

    if args.config:
        if args.repo:
            raise UsageError("use either --config or --repo, not both")
        return load_sources(args.config, args.namespace)
    if not args.repo:
        raise UsageError("--repo URL|PATH (or --config sources.yaml) is required")
    verify = None
    if args.verify_gpg and args.verify_ssh:
        raise UsageError("use either --verify-gpg or --verify-ssh")
    if args.verify_gpg:
        verify = Verification("gpg", args.verify_gpg.resolve())
    elif args.verify_ssh:
        verify = Verification("ssh", args.verify_ssh.resolve())
    return [
        SourceSpec(
            name=args.name,
            url=args.repo,
            ref=GitRef.parse(args.ref),
            path=args.path,
            interval=parse_duration(args.interval),
            prune=args.prune,
            self_heal=args.self_heal,
            target_namespace=args.target_namespace,
            decryption_secret=SecretRef.parse(args.decryption_secret, args.namespace)
            if args.decryption_secret
            else None,
            verify=verify,
        )
    ]


def cmd_reconcile(args: argparse.Namespace) -> int:
    from secretsops.engine import logs
    from secretsops.engine.builder import build_engine
    from secretsops.engine.config import EngineSettings, check_service_account_name, parse_duration

    logs.configure(getattr(logging, args.log_level.upper()), sys.stderr)
    settings = EngineSettings(
        namespace=args.namespace,
        dry_run=args.dry_run,
        sealing_key_namespace=args.sealing_key_namespace,
        allow_mass_prune=args.allow_mass_prune,
        leader_elect=args.leader_elect,
        metrics_port=args.metrics_port,
        bind_address=args.bind_address,
        webhook_token=read_token_file(args.webhook_token_file) if args.webhook_token_file else None,
        lease_duration=parse_duration(args.lease_duration),
        shard_key=args.shard_key,
        default_service_account=args.default_service_account,
    )
    check_service_account_name(args.default_service_account, "--default-service-account")
    if args.once and args.leader_elect:
        raise UsageError("--leader-elect elects a leader for the loop; it cannot be combined with --once")
    specs = _specs(args)
    if args.config:
        # sharding (as Flux): a shard takes its labelled sources, the unsharded replica the rest
        specs = [s for s in specs if s.shard == args.shard_key]
        if not specs:
            raise UsageError(f"{args.config}: no sources for shard {args.shard_key or '(none)'}")
    elif args.shard_key:
        raise UsageError("--shard-key selects among --config sources")
    engine = build_engine(specs, settings, kube_client(args.kubeconfig, args.context), os.environ)
    try:
        if args.once:
            from secretsops.cli.stop_signals import Stopped, stop_signals_raise

            try:  # SIGTERM/SIGHUP: close() below still removes checkouts and GnuPG homes
                with stop_signals_raise():
                    results = engine.run_once()
            except Stopped as stop:
                print(f"secretsops: reconcile stopped by signal {stop.signum}", file=sys.stderr)
                return 128 + stop.signum
            for res in results:
                _print_result(res, args.dry_run)
            return 0 if all(r.ok for r in results) else 1
        import signal

        # Kubernetes stops pods with SIGTERM: finish the current pass, release the Lease, exit 0.
        signal.signal(signal.SIGTERM, lambda *_: engine.engine.stop.set())
        engine.serve()
        return 0
    finally:
        engine.close()


def _print_result(res: Any, dry_run: bool) -> None:
    if not res.ok:
        print(f"{res.source}: {res.reason}: {res.error}", file=sys.stderr)
        return
    if dry_run:
        counts = f"would apply {len(res.applied)}, would prune {len(res.would_prune)}"
        print(f"{res.source}: {res.revision}: {counts}")
        for oid in res.applied:
            print(f"  apply {oid}")
        for oid in res.would_prune:
            print(f"  prune {oid}")
        for line in res.waiting:
            print(f"  wait {line}")
        return
    parts = [f"{len(res.applied)} applied", f"{len(res.pruned)} pruned", f"{len(res.drifted)} drifted"]
    print(f"{res.source}: {res.revision}: {res.reason}: {', '.join(parts)}")
    for line in res.waiting:
        print(f"  wait {line}")


def cmd_status(args: argparse.Namespace) -> int:
    import json
    import shutil
    from dataclasses import asdict

    from secretsops.engine.status import StatusStore, table

    store = StatusStore(kube_client(args.kubeconfig, args.context), args.namespace)
    statuses = store.list_all()
    if args.output == "json":
        print(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        # on a terminal the MESSAGE column wraps to its width; piped, every row is one whole line
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        sys.stdout.write(table(statuses, width))
    return 0
