"""``python -m secretsops_devstack.kubeapi --port N [--state-file none]``: run the test server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .server import KubeApiServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m secretsops_devstack.kubeapi",
        description="Kubernetes API test server on 127.0.0.1 (in memory, no auth).",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument(
        "--state-file",
        default="none",
        help="only 'none' is accepted: state is kept in memory and never written to disk",
    )
    parser.add_argument("--kubeconfig", type=Path, help="also write a kubeconfig for the server here")
    args = parser.parse_args(argv)
    if args.state_file.lower() != "none":
        parser.error("--state-file: only 'none' is supported (objects may hold decrypted Secrets)")
    server = KubeApiServer(port=args.port)
    try:
        server.start(kubeconfig=args.kubeconfig)
    except OSError as exc:
        print(f"kubeapi: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"kubeapi listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
