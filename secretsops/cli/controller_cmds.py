"""``secretsops controller``: the in-cluster controllers for SealedSecret, ExternalSecret, SopsSecret."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from typing import Any

from secretsops.errors import UsageError


def register(sub: Any, keygen_sub: Any) -> None:
    del keygen_sub
    p = sub.add_parser(
        "controller",
        help="turn SealedSecrets, ExternalSecrets and SopsSecrets in the cluster into Secrets",
        description=(
            "Watch SealedSecret (bitnami.com/v1alpha1), ExternalSecret (external-secrets.io v1/v1beta1) and"
            " SopsSecret (secretsops.io/v1) objects and write the Secrets they stand for, as the"
            " sealed-secrets controller and ESO do; serve the sealed-secrets HTTP API (kubeseal)."
        ),
    )
    p.add_argument("--kubeconfig", help="kubeconfig file (default $KUBECONFIG, else in-cluster config)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument(
        "--namespace",
        default=os.environ.get("POD_NAMESPACE") or "secretsops-system",
        help="the controller's own namespace: Lease, SopsSecret key Secret (default secretsops-system)",
    )
    p.add_argument(
        "--watch-namespaces", default="", help="comma-separated namespaces to watch (default: all namespaces)"
    )
    p.add_argument(
        "--controllers",
        default="sealedsecrets,externalsecrets,sopssecrets",
        help="comma-separated controllers to run (default: sealedsecrets,externalsecrets,sopssecrets)",
    )
    p.add_argument(
        "--sealing-key-namespace",
        default="kube-system",
        help="where sealing key Secrets live (default kube-system)",
    )
    p.add_argument(
        "--key-renew-period",
        default="720h",
        help="new sealing key after this long, e.g. 720h, 30m; 0 turns renewal off (default 720h = 30 days)",
    )
    p.add_argument("--key-size", type=int, default=4096, help="RSA size of new sealing keys (default 4096)")
    p.add_argument(
        "--decryption-secret",
        default="sops-keys",
        help="Flux-style key Secret in --namespace for SopsSecrets (*.agekey, sops.vault-token...)",
    )
    p.add_argument("--leader-elect", action="store_true", help="only the Lease holder watches and writes")
    p.add_argument("--lease-duration", default="15s", help="Lease duration for --leader-elect (default 15s)")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=8080,
        help="port of /metrics, /healthz and the sealing API /v1/* (default 8080; -1 for none)",
    )
    p.add_argument("--bind-address", default="0.0.0.0", help="address for --metrics-port (default 0.0.0.0)")  # noqa: S104
    p.add_argument(
        "--workers",
        type=int,
        help="concurrent reconciles per controller (default 8: a reconcile mostly waits for the API server)",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="handle every object that exists now, then exit (non-zero if any failed)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_controller)


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))


def settings_from(args: argparse.Namespace) -> Any:
    from secretsops.controllers.manager import ControllerSettings
    from secretsops.engine.config import parse_duration

    if args.once and args.leader_elect:
        raise UsageError(
            "--leader-elect elects a leader for the watch loop; it cannot be combined with --once"
        )
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    renew = args.key_renew_period.strip()
    renew_seconds = 0.0 if renew in ("0", "0s", "") else parse_duration(renew)
    return ControllerSettings(
        **({} if args.workers is None else {"workers": args.workers}),
        namespace=args.namespace,
        watch_namespaces=_names(args.watch_namespaces),
        controllers=_names(args.controllers),
        sealing_key_namespace=args.sealing_key_namespace,
        key_renew_period=dt.timedelta(seconds=renew_seconds),
        key_size=args.key_size,
        leader_elect=args.leader_elect,
        lease_duration=parse_duration(args.lease_duration),
        metrics_port=None if args.metrics_port < 0 or args.once else args.metrics_port,
        bind_address=args.bind_address,
        once=args.once,
        decryption_secret=args.decryption_secret,
    )


def cmd_controller(args: argparse.Namespace) -> int:
    from secretsops.cli.engine_cmds import kube_client
    from secretsops.controllers.manager import Manager
    from secretsops.engine import logs

    logs.configure(getattr(logging, args.log_level.upper()), sys.stderr)
    settings = settings_from(args)
    manager = Manager(kube_client(args.kubeconfig, args.context), settings, dict(os.environ))
    if settings.once:
        return manager.run_once()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: manager.stop.set())
    try:
        return manager.run()
    except KeyboardInterrupt:
        manager.shutdown()
        return 130
