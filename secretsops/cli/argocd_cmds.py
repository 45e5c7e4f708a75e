"""``secretsops render --passthrough DIR``: the Argo CD plugin's safer mode (nothing decrypted).

SOPS Secrets become SopsSecrets, SealedSecrets and ExternalSecrets stay as they are, for the
in-cluster controllers to open (``engine.passthrough``). No key is read, so the plugin's sidecar
needs none; the one emit guard still runs (it lets only ``SopsSecret`` ``spec.sops`` carry
ciphertext). Output is built whole before anything is printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_passthrough(args: argparse.Namespace) -> int:
    from secretsops.decryptors.guard import guard_items
    from secretsops.engine.confine import enclosing_work_tree
    from secretsops.engine.default_namespace import place_all
    from secretsops.engine.passthrough import pass_through
    from secretsops.engine.render import render_path
    from secretsops.errors import UsageError
    from secretsops.manifests import dump_json, dump_yaml

    if args.redact or args.private_keys:
        raise UsageError("--passthrough decrypts nothing: --redact and --private-key do not apply")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    target = Path(args.path)
    # as render: inside a git work tree nothing may be read from outside it
    rendered = render_path(target, jobs=args.jobs, within=enclosing_work_tree(target))
    items = pass_through(rendered, args.default_namespace)
    place_all((i.obj for i in items), args.default_namespace)
    guard_items(items)
    objs = [i.obj for i in items]
    sys.stdout.write(dump_json(objs) if args.output == "json" else dump_yaml(objs))
    return 0
