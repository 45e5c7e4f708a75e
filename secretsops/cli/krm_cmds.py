"""``secretsops krm``: the kustomize KRM function (``engine.krm``), stdin to stdout."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from secretsops.errors import UsageError


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``krm`` to the top-level parser."""
    del keygen_sub
    krm = sub.add_parser(
        "krm",
        help="kustomize KRM function: decrypt a ResourceList's items in memory (stdin to stdout)",
        description="Reads a config.kubernetes.io/v1 ResourceList on stdin, decrypts SOPS objects (MAC "
        "checked against their origin files, bases included) and SOPS secretGenerator output, "
        "SealedSecrets (sealing keys from --private-key) and ExternalSecrets, writes it to stdout. "
        "With a KSOPS manifest (kind: ksops) as functionConfig it is a KSOPS-compatible generator. "
        "Anything still holding SOPS ciphertext fails it. See docs/kustomize.md.",
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
        help="kustomization directory to find origin files from (default: the working directory)",
    )
    krm.set_defaults(func=cmd_krm)


def cmd_krm(args: argparse.Namespace) -> int:
    from secretsops import yamlio
    from secretsops.engine.krm import decrypt_resource_list
    from secretsops.errors import InputError
    from secretsops.manifests import dump_yaml

    try:
        doc = yamlio.load_one(yamlio.read_stream(sys.stdin.buffer, "stdin"), "stdin")
    except InputError as exc:
        raise UsageError(f"not a YAML ResourceList: {exc}") from None
    out = decrypt_resource_list(doc, args.private_keys, os.environ, Path(args.root))
    sys.stdout.write(dump_yaml([out]))
    return 0
