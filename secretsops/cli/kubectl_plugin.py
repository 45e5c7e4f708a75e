"""``kubectl-secretsops``: the kubectl plugin (``kubectl secretsops seal|unseal|status|render|refresh``).

kubectl finds an executable named ``kubectl-secretsops`` on PATH and runs it with the words after
``kubectl secretsops`` and its own environment (``KUBECONFIG`` included), so the plugin is the
``secretsops`` command limited to the subcommands that talk to a cluster or read manifests: the
same flags, the same errors, the same exit codes. ``seal`` without ``--cert`` fetches the
cluster's certificate through the API server's service proxy, as ``kubeseal --fetch-cert`` does.
Installed with the package (``[project.scripts]``); a Krew manifest is in ``plugins/kubectl/``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: the subcommands ``kubectl secretsops`` offers, with a line each for its help
SUBCOMMANDS: dict[str, str] = {
    "seal": "seal a Secret with the cluster's certificate (fetched as kubeseal --fetch-cert does)",
    "unseal": "open SealedSecrets with sealing private keys",
    "status": "what the in-cluster engine applied, and its conditions",
    "render": "print a directory's objects with SOPS, SealedSecrets and ExternalSecrets resolved",
    "refresh": "re-resolve an ExternalSecret now",
    "version": "print the version",
}


def usage() -> str:
    lines = ["usage: kubectl secretsops COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<8} {text}" for name, text in SUBCOMMANDS.items()]
    lines += ["", "`kubectl secretsops COMMAND --help` shows a command's flags."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``secretsops COMMAND ...`` for an offered COMMAND; a usage error (exit 2) otherwise."""
    from secretsops.cli.main import main as secretsops_main

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage())
        return 0
    if args[0] in ("-v", "--version"):
        args = ["version"]
    if args[0] not in SUBCOMMANDS:
        sys.stderr.write(f"kubectl-secretsops: unknown command {args[0]!r}\n{usage()}")
        return 2
    return secretsops_main(args)


if __name__ == "__main__":
    sys.exit(main())
