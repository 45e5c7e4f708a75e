"""``seal``, ``unseal``, ``keygen sealing`` and ``sealing-keys``: kubeseal's flags over secretsops.sealed.

Flags are named as kubeseal names them (``--cert``, ``--fetch-cert``, ``--controller-name``,
``--controller-namespace``, ``--scope``, ``--raw``, ``--name``, ``--from-file``, ``--merge-into``,
``--re-encrypt``, ``--validate``, ``-o/--format``, ``--allow-empty-data``, ``-f``, ``-w``,
``--recovery-private-key``). Output goes to stdout unless ``-w`` names a file; files are
replaced only when the whole command succeeded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.errors import InputError, SealedError, UsageError
from secretsops.manifests import Obj, iter_objects, parse_documents
from secretsops.sealed import certs, keypairs, keyring, output, sealing
from secretsops.sealed.scope import Scope
from secretsops.sealed.unsealing import Unsealer, re_encrypt

#: annotation naming the certificate a SealedSecret was sealed for when several --cert are given
CERT_FINGERPRINT_ANNOTATION = "secretsops.io/sealing-cert-fingerprint"


def register(sub: Any, keygen_sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    _register_seal(sub)
    _register_unseal(sub)
    _register_keygen(keygen_sub)
    _register_sealing_keys(sub)


# -- shared edges: kubeconfig, files, output ------------------------------------------------


def _add_kube_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kubeconfig", help="path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context to use")


def _kubeconfig_path(args: argparse.Namespace) -> str | None:
    from secretsops.kube import default_kubeconfig

    return default_kubeconfig(str(args.kubeconfig) if getattr(args, "kubeconfig", None) else None)


def _api_client(args: argparse.Namespace) -> Any:
    """The Kubernetes gateway from the kubeconfig (the edge is the only place that reads it)."""
    from secretsops.kube import KubeconfigError, from_kubeconfig

    path = _kubeconfig_path(args)
    if path is None:
        raise SealedError("no kubeconfig found: pass --kubeconfig, or --cert to seal offline")
    try:
        return from_kubeconfig(path, getattr(args, "context", None))
    except KubeconfigError as exc:
        raise SealedError(f"{path}: cannot load kubeconfig ({exc.message})") from None


def _default_namespace(args: argparse.Namespace) -> tuple[str, bool]:
    """(namespace, explicitly set) as kubeseal's clientConfig.Namespace() answers it."""
    if getattr(args, "namespace", None):
        return str(args.namespace), True
    path = _kubeconfig_path(args)
    if path is not None:
        from secretsops.kube import kubeconfig_context

        chosen = kubeconfig_context(path, getattr(args, "context", None))
        if chosen is not None and chosen.namespace:
            return chosen.namespace, False
    return "default", False


def _read_input(path: str | None) -> tuple[str, str]:
    """(text, name for messages) of FILE or stdin."""
    where = "<stdin>" if path in (None, "-") else str(path)
    try:
        if path in (None, "-"):
            data = yamlio.read_stream(sys.stdin.buffer, where)
        else:
            data = yamlio.read_bytes(where)  # regular files only, within the documented limits
    except InputError as exc:
        raise SealedError(str(exc)) from None
    try:
        return data.decode("utf-8"), where
    except UnicodeDecodeError:
        raise SealedError(f"{where}: not UTF-8 text") from None


def _json_stream(text: str) -> list[Any] | None:
    """Concatenated JSON values (kubeseal's JSON output for several objects), or None."""
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    pos = 0
    try:
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                return docs
            doc, pos = decoder.raw_decode(text, pos)
            docs.append(doc)
    except ValueError:
        return None


def _objects(text: str, where: str) -> list[Obj]:
    """Objects of a YAML stream or of concatenated JSON documents (both as kubeseal reads them)."""
    if not text.strip():
        raise SealedError(f"{where}: empty input")
    docs = _json_stream(text) if text.lstrip().startswith(("{", "[")) else None
    if docs is None:
        docs = parse_documents(text, where)
    return [item.obj for item in iter_objects(docs, where)]


def _write_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Replace ``path`` only once the new content is fully written (renameio, as kubeseal)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise SealedError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SealedError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _emit(args: argparse.Namespace, text: str) -> None:
    out = getattr(args, "sealed_secret_file", None)
    if out:
        _write_atomically(Path(out), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _output_format(args: argparse.Namespace) -> str:
    out = getattr(args, "sealed_secret_file", None)
    if out and Path(out).suffix in (".yaml", ".yml"):
        return "yaml"
    return str(args.format or "json")


def _private_keys(args: argparse.Namespace) -> list[keypairs.SealingKey]:
    files = [f for spec in (args.private_key or []) for f in spec.split(",") if f]
    found = keyring.read_key_files(files)
    if not found and getattr(args, "from_cluster", False):
        found = keyring.cluster_keys(_api_client(args), args.controller_namespace)
    return keyring.newest_first(found)


# -- seal ------------------------------------------------------------------------------------


def _env(flag: str, default: str | None) -> str | None:
    """kubeseal's pflagenv: ``SEALED_SECRETS_<FLAG>`` sets a flag's default."""
    return os.environ.get("SEALED_SECRETS_" + flag.upper().replace("-", "_"), default)


def _register_seal(sub: Any) -> None:
    p = sub.add_parser("seal", help="seal a Secret into a SealedSecret (kubeseal-compatible)")
    p.add_argument("file", nargs="?", help="Secret manifest (YAML or JSON); default stdin")
    p.add_argument(
        "-f", "--secret-file", help="Secret (input) file; with --re-encrypt and no -w, rewritten in place"
    )
    p.add_argument("-w", "--sealed-secret-file", help="sealed-secret (output) file (.yaml/.yml selects YAML)")
    p.add_argument(
        "--cert", action="append", default=[], help="certificate file or URL; repeat to seal for several"
    )
    p.add_argument("--fetch-cert", action="store_true", help="write the certificate to stdout")
    p.add_argument("--controller-name", default=_env("controller-name", certs.DEFAULT_CONTROLLER_NAME))
    p.add_argument(
        "--controller-namespace", default=_env("controller-namespace", certs.DEFAULT_CONTROLLER_NAMESPACE)
    )
    p.add_argument(
        "-n", "--namespace", help="namespace for Secrets without one (default: kubeconfig's, or default)"
    )
    _add_kube_flags(p)
    p.add_argument("--scope", default=_env("scope", None), help="strict, namespace-wide or cluster-wide")
    p.add_argument("--raw", action="store_true", help="seal a single raw value (--from-file or stdin)")
    p.add_argument(
        "--name", default="", help="name of the sealed secret (required with --raw in strict scope)"
    )
    p.add_argument(
        "--from-file", action="append", default=[], help="[key=]path of the value (only with --raw)"
    )
    p.add_argument("--merge-into", help="merge the sealed items into this SealedSecret file, in place")
    p.add_argument(
        "--re-encrypt",
        "--rotate",
        dest="re_encrypt",
        action="store_true",
        help="re-seal a SealedSecret for --cert, opening it with --private-key (offline)",
    )
    p.add_argument(
        "--private-key",
        "--recovery-private-key",
        dest="private_key",
        action="append",
        default=[],
        help="private key (PEM, key Secret or List) for --re-encrypt/--validate",
    )
    p.add_argument("--validate", action="store_true", help="check that a SealedSecret can be opened")
    p.add_argument(
        "-o",
        "--format",
        default=_env("format", None),
        choices=["json", "yaml"],
        help="output format (default json)",
    )
    p.add_argument("--allow-empty-data", action="store_true", help="allow Secrets without data")
    p.set_defaults(func=seal_command)


def _scope(args: argparse.Namespace) -> Scope | None:
    if args.scope is None:
        return None
    try:
        return Scope.parse(args.scope)
    except ValueError as exc:
        raise UsageError(f"invalid argument {args.scope!r} for --scope: {exc}") from None


def _certificates(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """(source, certificate) for every --cert, or the controller's through the API proxy."""
    if args.cert:
        return [(ref, certs.parse_cert(certs.read_cert_ref(ref), ref)) for ref in args.cert]
    source = f"service {args.controller_namespace}/{args.controller_name}"
    pem = certs.fetch_cluster_cert(_api_client(args), args.controller_namespace, args.controller_name)
    return [(source, certs.parse_cert(pem, source))]


def seal_command(args: argparse.Namespace) -> int:
    if not args.cert and _env("cert", None):
        args.cert = [str(_env("cert", None))]
    if args.from_file and not args.raw:
        raise UsageError("--from-file requires --raw")
    input_path = args.secret_file or args.file
    if args.re_encrypt and args.secret_file and not args.sealed_secret_file:
        args.sealed_secret_file = args.secret_file
    fmt = _output_format(args)
    if args.validate:
        return _validate(args, input_path)
    if args.fetch_cert:
        if args.cert:
            pem = certs.read_cert_ref(args.cert[0])
        else:
            pem = certs.fetch_cluster_cert(_api_client(args), args.controller_namespace, args.controller_name)
        sys.stdout.buffer.write(pem)
        return 0
    if args.re_encrypt:
        return _re_encrypt(args, input_path, fmt)
    targets = _certificates(args)
    if args.raw:
        return _seal_raw(args, targets)
    namespace, explicit = _default_namespace(args)
    text, where = _read_input(input_path)
    secrets = _objects(text, where)
    if args.merge_into:
        return _merge(args, secrets, where, targets, namespace)
    opts = sealing.SealOptions(
        scope=_scope(args),
        name=args.name,
        namespace=namespace,
        namespace_explicit=explicit,
        allow_empty_data=args.allow_empty_data,
    )
    sealed: list[Obj] = []
    for _source, cert in targets:
        batch = sealing.seal_all(certs.public_key_of(cert), secrets, opts, where)
        if len(targets) > 1:
            fp = keypairs.fingerprint(certs.public_key_of(cert))
            for obj in batch:
                annotations = {**(obj["metadata"].get("annotations") or {}), CERT_FINGERPRINT_ANNOTATION: fp}
                obj["metadata"] = output.order_meta({**obj["metadata"], "annotations": annotations})
        sealed.extend(batch)
    _emit(args, output.render(sealed, fmt))
    return 0


def _seal_raw(args: argparse.Namespace, targets: list[tuple[str, Any]]) -> int:
    scope = _scope(args) or Scope.STRICT
    namespace, _ = _default_namespace(args)
    if len(args.from_file) > 1:
        raise UsageError("must provide only one --from-file when encrypting a single item with --raw")
    if args.from_file:
        filename = args.from_file[0].split("=", 1)[-1]
        try:
            value = yamlio.read_bytes(filename)
        except InputError as exc:
            raise SealedError(str(exc)) from None
    else:
        value = sys.stdin.buffer.read()
    outputs = [
        sealing.seal_raw(certs.public_key_of(cert), value, scope, namespace, args.name)
        for _src, cert in targets
    ]
    _emit(args, "\n".join(outputs))
    return 0


def _merge(
    args: argparse.Namespace,
    secrets: list[Obj],
    where: str,
    targets: list[tuple[str, Any]],
    namespace: str,
) -> int:
    if len(targets) != 1:
        raise UsageError("--merge-into takes exactly one --cert")
    target = Path(args.merge_into)
    original_text, target_where = _read_input(str(target))
    originals = [o for o in _objects(original_text, target_where) if sealing.is_sealed_secret(o)]
    if len(originals) != 1:
        raise SealedError(f"{target_where}: expected exactly one SealedSecret to merge into")
    original = originals[0]
    sealing.check_sealed_shape(original, target_where)
    ometa = original.get("metadata") or {}
    from secretsops.sealed.scope import scope_of

    opts = sealing.SealOptions(
        scope=_scope(args) or scope_of(ometa),
        name=str(ometa.get("name") or ""),
        namespace=str(ometa.get("namespace") or namespace),
        namespace_explicit=False,
        allow_empty_data=args.allow_empty_data,
    )
    merged = original
    public_key = certs.public_key_of(targets[0][1])
    for secret in secrets:
        # kubeseal seals with the original's name and namespace as overrides
        pinned = {**secret, "metadata": {**(secret.get("metadata") or {}), "namespace": opts.namespace}}
        merged = sealing.merge_into(merged, sealing.seal_secret(public_key, pinned, opts, where))
    fmt = args.format or ("json" if original_text.lstrip().startswith("{") else "yaml")
    _write_atomically(target, output.render([merged], fmt))
    return 0


def _re_encrypt(args: argparse.Namespace, input_path: str | None, fmt: str) -> int:
    """Offline with --private-key and --cert; otherwise the controller's /v1/rotate, as kubeseal."""
    text, where = _read_input(input_path)
    objs = _objects(text, where)
    for obj in objs:
        if not sealing.is_sealed_secret(obj):
            raise SealedError(f"{where}: expected a SealedSecret, found kind {obj.get('kind') or '(none)'}")
    if not args.private_key:
        from secretsops.sealed.cluster import rotate_with_controller

        client = _api_client(args)
        out = [
            rotate_with_controller(client, args.controller_namespace, args.controller_name, o) for o in objs
        ]
        _emit(args, output.render(out, fmt))
        return 0
    targets = _certificates(args)
    if len(targets) != 1:
        raise UsageError("--re-encrypt takes exactly one --cert")
    unsealer = Unsealer(_private_keys(args))
    public_key = certs.public_key_of(targets[0][1])
    _emit(args, output.render([re_encrypt(obj, unsealer, public_key, where) for obj in objs], fmt))
    return 0


def _validate(args: argparse.Namespace, input_path: str | None) -> int:
    text, where = _read_input(input_path)
    objs = [o for o in _objects(text, where) if sealing.is_sealed_secret(o)]
    if not objs:
        raise SealedError(f"{where}: no SealedSecret found")
    if args.private_key:
        unsealer = Unsealer(_private_keys(args))
        for obj in objs:
            unsealer.unseal(obj, where)
        return 0
    from secretsops.sealed.cluster import verify_with_controller

    client = _api_client(args)
    for obj in objs:
        verify_with_controller(client, args.controller_namespace, args.controller_name, obj)
    return 0


# -- unseal ----------------------------------------------------------------------------------


def _register_unseal(sub: Any) -> None:
    p = sub.add_parser("unseal", help="open a SealedSecret with private keys (kubeseal --recovery-unseal)")
    p.add_argument("sealed", nargs="?", help="SealedSecret manifest; default stdin")
    p.add_argument(
        "--private-key",
        "--recovery-private-key",
        dest="private_key",
        action="append",
        default=[],
        help="private key: PEM (PKCS#1/PKCS#8), key Secret, or List of key Secrets; repeatable",
    )
    p.add_argument(
        "--from-cluster",
        action="store_true",
        help="use the controller's key Secrets (needs cluster access, read permission on them)",
    )
    p.add_argument("--controller-namespace", default=certs.DEFAULT_CONTROLLER_NAMESPACE)
    _add_kube_flags(p)
    p.add_argument(
        "-o", "--format", default="json", choices=["json", "yaml"], help="output format (default json)"
    )
    p.set_defaults(func=unseal_command)


def unseal_command(args: argparse.Namespace) -> int:
    if not args.private_key and not args.from_cluster:
        raise UsageError("give at least one --private-key (or --from-cluster)")
    found = _private_keys(args)
    text, where = _read_input(args.sealed)
    objs = _objects(text, where)
    sealed = [o for o in objs if sealing.is_sealed_secret(o)]
    if not sealed:
        raise SealedError(f"{where}: no SealedSecret found")
    unsealer = Unsealer(found)
    secrets = [unsealer.unseal(obj, where) for obj in sealed]
    sys.stdout.write(output.render(secrets, args.format))
    sys.stdout.flush()
    return 0


# -- keys ------------------------------------------------------------------------------------


def _days(text: str) -> dt.timedelta:
    """``30d``, ``720h`` or a number of days."""
    try:
        if text.endswith("h"):
            return dt.timedelta(hours=float(text[:-1]))
        return dt.timedelta(days=float(text.removesuffix("d")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 30d or 720h)") from None


def _add_keygen_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--key-size", type=int, default=keypairs.DEFAULT_KEY_SIZE, help="RSA key size (controller: 4096)"
    )
    p.add_argument(
        "--key-ttl", type=_days, default=keypairs.DEFAULT_VALIDITY, help="certificate validity (3650d)"
    )
    p.add_argument(
        "--my-cn", default=keypairs.DEFAULT_CN, help="certificate subject/issuer CN (controller: empty)"
    )
    p.add_argument("--key-prefix", default=keypairs.KEY_PREFIX, help="key name prefix (sealed-secrets-key)")


def _register_keygen(keygen_sub: Any) -> None:
    p = keygen_sub.add_parser("sealing", help="create a sealing key pair (RSA-4096, self-signed certificate)")
    p.add_argument("--keys-dir", default="keys", help="directory for <name>.key (0600) and <name>.crt")
    p.add_argument(
        "--output-secret",
        nargs="?",
        const="-",
        default=None,
        metavar="FILE",
        help="write a controller key Secret (kubernetes.io/tls) instead, to FILE (0600) or stdout",
    )
    p.add_argument(
        "--namespace", default=certs.DEFAULT_CONTROLLER_NAMESPACE, help="namespace of the key Secret"
    )
    p.add_argument("-o", "--format", default="yaml", choices=["json", "yaml"])
    _add_keygen_flags(p)
    p.set_defaults(func=keygen_command)


def keygen_command(args: argparse.Namespace) -> int:
    if args.output_secret is not None:
        key, cert = keypairs.generate_key(args.key_size, args.key_ttl, args.my_cn)
        secret = keypairs.key_secret(key, cert, args.namespace, prefix=args.key_prefix)
        text = output.render([secret], args.format).removeprefix("---\n")
        if args.output_secret == "-":
            sys.stdout.write(text)
        else:
            _write_atomically(Path(args.output_secret), text, mode=0o600)
            print(f"wrote key Secret {secret['metadata']['name']} to {args.output_secret}", file=sys.stderr)
        return 0
    key_path, crt_path = keyring.KeyDir(Path(args.keys_dir)).generate(
        args.key_size, args.key_ttl, args.my_cn, args.key_prefix
    )
    print(f"private key: {key_path}\ncertificate: {crt_path}")
    return 0


def _register_sealing_keys(sub: Any) -> None:
    p = sub.add_parser("sealing-keys", help="list, renew and back up sealing keys (directory or cluster)")
    actions = p.add_subparsers(dest="sealing_keys_action", required=True, metavar="ACTION")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--keys-dir", default=None, help="key directory (default keys/ unless --cluster)")
        q.add_argument(
            "--cluster", action="store_true", help="use the controller's key Secrets in the cluster"
        )
        q.add_argument("--namespace", default=certs.DEFAULT_CONTROLLER_NAMESPACE, help="controller namespace")
        _add_kube_flags(q)

    ls = actions.add_parser("list", help="keys newest first: name, fingerprint, validity, the one that seals")
    common(ls)
    ls.set_defaults(func=keys_list_command)
    rot = actions.add_parser(
        "rotate", help="add a new active key when the newest is older than --renew-period"
    )
    common(rot)
    rot.add_argument("--renew-period", type=_days, default=keypairs.DEFAULT_RENEW_PERIOD, help="default 30d")
    rot.add_argument("--force", action="store_true", help="add a new key now")
    _add_keygen_flags(rot)
    rot.set_defaults(func=keys_rotate_command)
    exp = actions.add_parser("export", help="back up every key as a List of key Secrets (stdout or -w FILE)")
    common(exp)
    exp.add_argument("-w", "--output", help="write to FILE (created 0600) instead of stdout")
    exp.add_argument("-o", "--format", default="yaml", choices=["json", "yaml"])
    exp.set_defaults(func=keys_export_command)


def _key_source(args: argparse.Namespace) -> list[keypairs.SealingKey]:
    if args.cluster:
        return keyring.cluster_keys(_api_client(args), args.namespace)
    return keyring.KeyDir(Path(args.keys_dir or "keys")).keys()


def keys_list_command(args: argparse.Namespace) -> int:
    found = _key_source(args)
    if not found:
        raise SealedError("no sealing keys found")
    print("NAME\tFINGERPRINT\tNOT-BEFORE\tNOT-AFTER\tROLE")
    for i, key in enumerate(found):
        not_after = key.not_after.isoformat() if key.not_after else "-"
        not_before = key.not_before.isoformat() if key.cert is not None else "-"
        role = "sealing" if i == 0 else "opening"
        print(f"{key.name or key.source}\t{key.fingerprint}\t{not_before}\t{not_after}\t{role}")
    return 0


def keys_rotate_command(args: argparse.Namespace) -> int:
    found = _key_source(args)
    if not args.force and not keyring.due_for_renewal(found, args.renew_period):
        print("newest key is younger than the renewal period; nothing to do", file=sys.stderr)
        return 0
    if args.cluster:
        name = keyring.create_cluster_key(
            _api_client(args),
            args.namespace,
            key_size=args.key_size,
            validity=args.key_ttl,
            cn=args.my_cn,
            prefix=args.key_prefix,
        )
        print(f"created key Secret {args.namespace}/{name}", file=sys.stderr)
    else:
        key_path, _crt = keyring.KeyDir(Path(args.keys_dir or "keys")).generate(
            args.key_size, args.key_ttl, args.my_cn, args.key_prefix
        )
        print(f"new sealing key: {key_path}", file=sys.stderr)
    return 0


def keys_export_command(args: argparse.Namespace) -> int:
    found = _key_source(args)
    if not found:
        raise SealedError("no sealing keys found")
    text = output.render([keyring.export_list(found, args.namespace)], args.format).removeprefix("---\n")
    if args.output:
        _write_atomically(Path(args.output), text, mode=0o600)
    else:
        sys.stdout.write(text)
    return 0
