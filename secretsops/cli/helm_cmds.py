"""Helm: ``secretsops helm-post-renderer`` and ``secretsops helm …`` (encrypted values files).

``helm-post-renderer`` is what ``helm template|install|upgrade --post-renderer`` runs: Helm's
rendered manifest stream on stdin, the same objects on stdout after the one decryption pipeline
(``engine.pipeline``: SOPS, SealedSecrets with ``--private-key``, ExternalSecrets) and the one
emit guard (``decryptors.guard``). The output is built whole first, so a failure — an object that
does not open, anything still holding SOPS ciphertext — exits non-zero with nothing on stdout and
Helm aborts the release.

``helm`` wraps a Helm command for helm-secrets users: every ``-f``/``--values`` file that is
SOPS-encrypted is decrypted in memory and handed to Helm as ``/dev/fd/N``, the read end of a
pipe written by this process; no plaintext file is ever written and no value reaches Helm's
argv or environment. Plain values files pass through unchanged. See docs/helm.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from secretsops.errors import UsageError

#: variables never handed to Helm: the credentials our key sources read
_WITHHELD_PREFIXES = ("SOPS_", "VAULT_", "AWS_", "BAO_")
_VALUES_FLAGS = ("-f", "--values")
#: helm-secrets' downloader scheme, accepted so its users' command lines work unchanged
SECRETS_SCHEME = "secrets://"


def register(sub: Any, keygen_sub: Any) -> None:
    """Add ``helm-post-renderer`` and ``helm`` to the top-level parser."""
    del keygen_sub
    post = sub.add_parser(
        "helm-post-renderer",
        help="Helm post-renderer: decrypt a rendered manifest stream in memory (stdin to stdout)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    post.add_argument(
        "--private-key",
        dest="private_keys",
        action="append",
        default=[],
        metavar="FILE",
        help="sealing private key(s) to open SealedSecrets (repeat or comma-separate)",
    )
    post.add_argument("--timeout", type=float, default=10.0, help="seconds per provider request (default 10)")
    post.set_defaults(func=cmd_post_renderer)

    wrap = sub.add_parser(
        "helm",
        help="run helm with SOPS-encrypted -f/--values files decrypted in memory (handed over by pipe)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    wrap.add_argument(
        "--helm-binary",
        default="helm",
        metavar="PATH",
        help="the helm executable (default: helm on PATH); give it before the helm arguments",
    )
    wrap.add_argument(
        "helm_args",
        nargs=argparse.REMAINDER,
        metavar="HELM_ARGS",
        help="the helm command and its arguments, e.g. template NAME CHART -f secrets.enc.yaml",
    )
    wrap.set_defaults(func=cmd_helm)


def cmd_post_renderer(args: argparse.Namespace) -> int:
    from secretsops import yamlio
    from secretsops.decryptors.base import ExternalOptions
    from secretsops.decryptors.guard import guard_items
    from secretsops.engine.pipeline import build_pipeline
    from secretsops.keysources.base import KeyContext
    from secretsops.manifests import dump_yaml, iter_objects, parse_documents

    text = yamlio.decode(yamlio.read_stream(sys.stdin.buffer, "stdin"), "stdin")
    items = list(iter_objects(parse_documents(text, "helm output"), "helm output"))
    key_files = [f for arg in args.private_keys for f in str(arg).split(",") if f]
    pipeline = build_pipeline(
        KeyContext.from_environ(os.environ),
        sealing_key_files=key_files,
        external=ExternalOptions(timeout=args.timeout),
    )
    plain = pipeline.run(items)
    guard_items(plain)  # the one emit guard, also run by the pipeline: fail closed
    sys.stdout.write(dump_yaml([i.obj for i in plain]))
    return 0


@dataclass
class PipedValues:
    """Decrypted values for one ``-f`` argument, written to Helm through a pipe."""

    plaintext: bytes
    read_fd: int
    write_fd: int

    @property
    def path(self) -> str:
        return f"/dev/fd/{self.read_fd}"


def decrypt_values_file(path: str) -> bytes | None:
    """The plaintext YAML of a SOPS-encrypted values file, or None when it is not encrypted."""
    from secretsops import yamlio
    from secretsops.errors import MetadataNotFound, SecretsOpsError
    from secretsops.keysources.base import KeyContext
    from secretsops.sops.api import decrypt_bytes
    from secretsops.sops.formats import format_for_path

    data = yamlio.read_bytes(path)
    fmt = format_for_path(path)
    if fmt not in ("yaml", "json"):
        return None
    try:
        return decrypt_bytes(
            data, fmt, ctx=KeyContext.from_environ(os.environ), output_fmt="yaml", where=path
        )
    except MetadataNotFound:
        return None
    except SecretsOpsError as exc:
        raise exc.at(file=path) from None


def _values_paths(helm_args: Sequence[str]) -> Iterator[tuple[int, str]]:
    """(index in argv, value) of every values flag: ``-f X``, ``--values X``, ``--values=X``, ``-fX``."""
    for index, arg in enumerate(helm_args):
        if arg in _VALUES_FLAGS:
            if index + 1 < len(helm_args):
                yield index + 1, helm_args[index + 1]
        elif arg.startswith("--values="):
            yield index, arg[len("--values=") :]
        elif arg.startswith("-f") and not arg.startswith("--"):
            yield index, arg[2:].removeprefix("=")


def _values_plaintext(arg: str) -> bytes | None:
    """Plaintext for one values file argument, None to pass it on as it is.

    ``secrets://FILE`` (helm-secrets' downloader form) must be a SOPS file; a plain local file
    that is SOPS-encrypted is decrypted too; anything else (``-``, URLs, plain files) is Helm's.
    """
    if arg.startswith(SECRETS_SCHEME):
        path = arg[len(SECRETS_SCHEME) :]
        plain = decrypt_values_file(path)
        if plain is None:
            raise UsageError(f"{path}: not a SOPS-encrypted YAML/JSON file (named as secrets://{path})")
        return plain
    if arg in ("-", "") or not os.path.isfile(arg):
        return None
    return decrypt_values_file(arg)


@contextmanager
def piped_values(helm_args: list[str]) -> Iterator[tuple[list[str], list[PipedValues]]]:
    """Helm's argv with each encrypted values file replaced by a pipe (comma lists included)."""
    argv = list(helm_args)
    pipes: list[PipedValues] = []
    try:
        for index, value in list(_values_paths(helm_args)):
            parts = value.split(",")
            replaced = []
            for part in parts:
                plain = _values_plaintext(part)
                if plain is None:
                    replaced.append(part)
                    continue
                read_fd, write_fd = os.pipe()
                pipe = PipedValues(plain, read_fd, write_fd)
                pipes.append(pipe)
                replaced.append(pipe.path)
            joined = ",".join(replaced)
            arg = argv[index]
            argv[index] = joined if arg == value else arg[: len(arg) - len(value)] + joined
        yield argv, pipes
    finally:
        for pipe in pipes:
            for fd in (pipe.read_fd, pipe.write_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass


def _feed(pipe: PipedValues) -> None:
    """Write the plaintext into the pipe and close it (Helm reads to EOF)."""
    try:
        with os.fdopen(pipe.write_fd, "wb", closefd=True) as out:
            pipe.write_fd = -1
            out.write(pipe.plaintext)
    except (BrokenPipeError, OSError):
        pass  # Helm exited before reading: its exit code says why


def child_env(environ: Mapping[str, str], helm_args: Sequence[str]) -> dict[str, str]:
    """Helm's environment: ours without the key-source credentials, unless Helm must hand them
    on to a post-renderer (``--post-renderer``), which decrypts with them."""
    if any(a == "--post-renderer" or a.startswith("--post-renderer=") for a in helm_args):
        return dict(environ)
    return {k: v for k, v in environ.items() if not k.startswith(_WITHHELD_PREFIXES)}


def cmd_helm(args: argparse.Namespace) -> int:
    helm_args = list(args.helm_args)
    if helm_args and helm_args[0] == "--":
        helm_args = helm_args[1:]
    if not helm_args:
        raise UsageError(
            "give the helm command to run, e.g. `secretsops helm template NAME CHART -f v.enc.yaml`"
        )
    with piped_values(helm_args) as (argv, pipes):
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is the user's, values travel by pipe
                [args.helm_binary, *argv],
                env=child_env(os.environ, argv),
                pass_fds=[p.read_fd for p in pipes],
            )
        except OSError as exc:
            raise UsageError(f"cannot run {args.helm_binary}: {exc.strerror}") from None
        for pipe in pipes:
            os.close(pipe.read_fd)
            pipe.read_fd = -1
        writers = [threading.Thread(target=_feed, args=(p,), daemon=True) for p in pipes]
        for writer in writers:
            writer.start()
        code = proc.wait()
        for writer in writers:
            writer.join(timeout=5)
    return code
