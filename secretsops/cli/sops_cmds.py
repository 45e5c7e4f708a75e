"""sops-compatible commands: encrypt, decrypt, edit, rotate, updatekeys, set, unset, filestatus.

Thin layer: parse flags as sops names them, build the KeyContext once from the environment,
call ``secretsops.sops``; write output only after the whole operation succeeded.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator

from secretsops.cli.deferred import add_when_used
from secretsops.errors import (
    ConflictingParameters,
    CouldNotLoadEncryptedFile,
    CouldNotReadInputFile,
    CouldNotWriteOutputFile,
    FileHasNotBeenModified,
    InvalidFormat,
    InvalidSetFormat,
    MetadataNotFound,
    NoEncryptionKeyGiven,
    NoFileSpecified,
    SecretsOpsError,
    UsageError,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

CRYPT_FLAGS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)


# --- shared flag groups ---------------------------------------------------------------------


def _key_source_flags(p: argparse.ArgumentParser) -> None:
    """``--<cli_flag>`` of every key source (importing them all: deferred until the command runs)."""
    for source in _key_sources():
        flag = source.cli_flag
        env = f" (default: ${source.recipients_env})" if source.recipients_env else ""
        p.add_argument(f"--{flag}", dest=flag.replace("-", "_"), help=f"comma-separated {flag} keys{env}")


def _rotate_key_flags(p: argparse.ArgumentParser) -> None:
    """``--add-<cli_flag>``/``--rm-<cli_flag>`` of every key source (deferred like the others)."""
    for flag in (s.cli_flag for s in _key_sources()):
        p.add_argument(f"--add-{flag}", dest="add_" + flag.replace("-", "_"))
        p.add_argument(f"--rm-{flag}", dest="rm_" + flag.replace("-", "_"))


def _format_choices() -> list[str]:
    """``--input-type``/``--output-type`` values: the registered formats (no store imported)."""
    from secretsops.sops.formats.registry import formats

    return formats().names()


def _key_sources() -> list[Any]:
    """Every installed key source; each brings its ``--<cli_flag>`` (and ``--add-``/``--rm-``)."""
    from secretsops.keysources.registry import keysources

    return [c for c in keysources().classes() if c.cli_flag]


def _io_flags(p: argparse.ArgumentParser, *, recursive: bool = True) -> None:
    p.add_argument("file", nargs="?", help="input file ('-' or omitted with stdin for standard input)")
    p.add_argument("--input-type", choices=_format_choices())
    p.add_argument("--output-type", choices=_format_choices())
    p.add_argument("-i", "--in-place", action="store_true", help="write the result back to the file")
    p.add_argument("--output", help="write the result to this file instead of stdout")
    p.add_argument("--indent", type=int, default=None)
    p.add_argument("--config", help="path to .sops.yaml (default: looked up from the working directory)")
    p.add_argument("--filename-override", help="use this name to pick the format and creation rule")
    p.add_argument("--verbose", action="store_true", help="accepted for sops compatibility")
    if recursive:
        p.add_argument("-r", "--recursive", action="store_true", help="process every file under a directory")


def _key_flags(p: argparse.ArgumentParser) -> None:
    add_when_used(p, _key_source_flags)
    p.add_argument("--encryption-context", help="KMS encryption context, key:value,key2:value2")
    p.add_argument("--aws-profile", help="AWS profile for the --kms keys (written to the file, as sops does)")
    p.add_argument("--shamir-secret-sharing-threshold", type=int, default=0)


def _crypt_flags(p: argparse.ArgumentParser) -> None:
    for f in CRYPT_FLAGS:
        p.add_argument("--" + f.replace("_", "-"), dest=f, default="")
    p.add_argument("--mac-only-encrypted", action="store_true")


def _mutate_flags(p: argparse.ArgumentParser) -> None:
    """What sops' set/unset accept besides the types: MAC and key-order controls."""
    p.add_argument("--ignore-mac", action="store_true", help="DANGEROUS: skip the integrity check")
    p.add_argument(
        "--decryption-order", help="comma-separated key kinds to try first (SOPS_DECRYPTION_ORDER)"
    )


def register(sub: Any, keygen_sub: Any) -> None:
    p = sub.add_parser("encrypt", help="encrypt a file (sops encrypt)")
    _io_flags(p)
    _key_flags(p)
    _crypt_flags(p)
    p.set_defaults(func=cmd_encrypt)

    p = sub.add_parser("decrypt", help="decrypt a file to stdout (sops decrypt)")
    _io_flags(p)
    p.add_argument("--extract", help='output only this path, e.g. \'["data"]["password"]\'')
    p.add_argument("--ignore-mac", action="store_true", help="DANGEROUS: skip the integrity check")
    p.add_argument(
        "--decryption-order", help="comma-separated key kinds to try first (SOPS_DECRYPTION_ORDER)"
    )
    p.set_defaults(func=cmd_decrypt)

    p = sub.add_parser("rotate", help="new data key, re-encrypt every value (sops rotate)")
    _io_flags(p)
    add_when_used(p, _rotate_key_flags)
    p.add_argument("--ignore-mac", action="store_true")
    p.set_defaults(func=cmd_rotate)

    p = sub.add_parser("updatekeys", help="re-wrap the data key for the keys of the creation rule")
    p.add_argument("files", nargs="+")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask 'Is this okay? (y/n)' before writing")
    p.add_argument("--config")
    p.add_argument("--input-type", choices=_format_choices())
    p.add_argument("-r", "--recursive", action="store_true")
    p.set_defaults(func=cmd_updatekeys)

    p = sub.add_parser("edit", help="decrypt into $EDITOR, re-encrypt on save")
    p.add_argument("file")
    p.add_argument("--input-type", choices=_format_choices())
    p.add_argument("--config")
    p.add_argument("--indent", type=int, default=None)
    p.add_argument("--ignore-mac", action="store_true")
    _key_flags(p)
    _crypt_flags(p)
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("set", help='set one value in place: set FILE \'["a"]["b"]\' \'"json value"\'')
    p.add_argument("file", nargs="?")
    p.add_argument("index", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--value-stdin", action="store_true")
    p.add_argument("--value-file", action="store_true")
    p.add_argument("--idempotent", action="store_true")
    p.add_argument("--input-type", choices=_format_choices())
    p.add_argument("--output-type", choices=_format_choices())
    p.add_argument("--indent", type=int, default=None)
    _mutate_flags(p)
    p.set_defaults(func=cmd_set)

    p = sub.add_parser("unset", help='remove one value in place: unset FILE \'["a"]["b"]\'')
    p.add_argument("file", nargs="?")
    p.add_argument("index", nargs="?")
    p.add_argument("--idempotent", action="store_true")
    p.add_argument("--input-type", choices=_format_choices())
    p.add_argument("--output-type", choices=_format_choices())
    p.add_argument("--indent", type=int, default=None)
    _mutate_flags(p)
    p.set_defaults(func=cmd_unset)

    p = sub.add_parser("filestatus", help='print {"encrypted": true|false}')
    p.add_argument("file", nargs="?")
    p.add_argument("--input-type", choices=_format_choices())
    p.set_defaults(func=cmd_filestatus)

    k = keygen_sub.add_parser("age", help="create keys/age.txt (0600) and print its recipient")
    k.add_argument("--keys-dir", default="keys")
    k.add_argument("--output", help="write the identity here instead of KEYS_DIR/age.txt")
    k.set_defaults(func=cmd_keygen_age)
    _fill_help(sub, keygen_sub)


SOPS_COMMANDS = ("encrypt", "decrypt", "rotate", "updatekeys", "edit", "set", "unset", "filestatus")

#: help for flags registered without one, by (command, dest) or dest
FLAG_HELP: dict[tuple[str, str] | str, str] = {
    "file": "the SOPS file ('-' or omitted: standard input, where the command allows it)",
    "files": "SOPS files (directories with -r)",
    "index": 'tree path, e.g. \'["data"]["password"]\'',
    "value": "JSON value, e.g. '\"text\"', 5, '{\"k\": true}' (a file name with --value-file)",
    "input_type": "how to read the input: yaml, json, dotenv, ini, binary (default: from the file name)",
    "output_type": "format to write (default: from the file name, never from --input-type)",
    "indent": "spaces of indentation of YAML/JSON output (default: .sops.yaml `stores`, else sops')",
    "shamir_secret_sharing_threshold": "key groups needed to recover the data key (default: all)",
    "unencrypted_suffix": "leave keys ending in this suffix in the clear (default: _unencrypted)",
    "encrypted_suffix": "encrypt only the values of keys ending in this suffix",
    "unencrypted_regex": "leave keys matching this RE2 regex in the clear",
    "encrypted_regex": "encrypt only keys matching this RE2 regex, e.g. '^(data|stringData)$'",
    "unencrypted_comment_regex": "leave values whose comment matches this RE2 regex in the clear",
    "encrypted_comment_regex": "encrypt only values whose comment matches this RE2 regex",
    "mac_only_encrypted": "compute the MAC over the encrypted values only",
    "ignore_mac": "DANGEROUS: skip the integrity check",
    "config": "path to .sops.yaml (default: looked up from the working directory upwards)",
    "recursive": "process every file under a directory",
    "value_stdin": "read the JSON value from standard input (keeps it out of the process list)",
    "value_file": "VALUE names a file holding the JSON value (keeps it out of the process list)",
    ("set", "idempotent"): "write nothing when INDEX already holds VALUE",
    ("unset", "idempotent"): "succeed without writing when INDEX does not exist",
    "keys_dir": "directory for age.txt (default: keys)",
}


def _fill_help(sub: Any, keygen_sub: Any) -> None:
    """Every flag of the sops commands says what it does (``--help``)."""
    parsers = [(name, sub.choices[name]) for name in SOPS_COMMANDS if name in sub.choices]
    if "age" in keygen_sub.choices:
        parsers.append(("keygen age", keygen_sub.choices["age"]))
    for name, parser in parsers:
        defer = getattr(parser, "defer", None)
        if callable(defer):  # a deferring parser: fill in once its deferred flags exist too
            defer(lambda p, name=name: _fill_parser_help(name, p))
        else:
            _fill_parser_help(name, parser)


def _fill_parser_help(name: str, parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if action.help is not None:
            continue
        dest = action.dest
        text = FLAG_HELP.get((name, dest)) or FLAG_HELP.get(dest)
        if text is None and dest.startswith(("add_", "rm_")):
            verb, _, kind = dest.partition("_")
            text = f"{'add' if verb == 'add' else 'remove'} these comma-separated {kind} keys"
        if text is not None:
            action.help = text


# --- helpers --------------------------------------------------------------------------------


def _ctx() -> Any:
    from secretsops.keysources.base import KeyContext

    keys_dir = os.path.join(os.getcwd(), "keys")
    return KeyContext.from_environ(os.environ, keys_dir=keys_dir if os.path.isdir(keys_dir) else None)


def _fmt(args: argparse.Namespace, path: str | None, kind: str = "input") -> str:
    from secretsops.sops.formats import format_for_path

    explicit = getattr(args, f"{kind}_type", None)
    if explicit:
        return str(explicit)
    name = getattr(args, "filename_override", None) or path
    if name and name != "-":
        # sops' FormatForPathOrString: --input-type changes reading only; the output format
        # follows the file name unless --output-type is given
        return format_for_path(name)
    # standard input without a name (sops refuses or reads binary): the input type, else YAML
    return str(getattr(args, "input_type", None) or "yaml")


def _read(path: str | None) -> bytes:
    from secretsops import yamlio
    from secretsops.errors import FileNotFound, InputError

    if path in (None, "-"):
        if sys.stdin.isatty():
            raise NoFileSpecified("no file specified")
        try:
            return yamlio.read_stream(sys.stdin.buffer, "<stdin>")
        except InputError as exc:
            raise CouldNotReadInputFile(str(exc)) from None
    try:
        return yamlio.read_bytes(path)  # regular files only, within the documented limits
    except FileNotFound:
        raise NoFileSpecified(f"cannot operate on non-existent file {path}") from None
    except InputError as exc:
        raise CouldNotReadInputFile(str(exc)) from None


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write a result where the user asked, never weakening what is already there.

    An existing regular file is replaced atomically (temp file in the same directory + rename,
    its mode kept): never half-written. A path that does not exist yet becomes a new 0600 file
    the same way. Anything else (a symlink, a FIFO, ``/dev/stdout``, a terminal) is opened and
    written through, as sops does: replacing it would turn a pipe to a consumer into a regular
    file of plaintext on disk, or cut a symlink from its target.
    """
    import stat
    import tempfile

    try:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            _write_through(path, data)
            return
        st_mode = mode if mode is not None else (stat.S_IMODE(st.st_mode) if st is not None else 0o600)
        where, name = os.path.split(os.fspath(path))
        fd, tmp = tempfile.mkstemp(dir=where or ".", prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, st_mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise CouldNotWriteOutputFile(f"cannot write {path}: {exc.strerror}") from None


def _write_through(path: str | os.PathLike[str], data: bytes) -> None:
    """Open the existing non-regular target (following a symlink) and write into it, as sops does."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _check_output_flags(args: argparse.Namespace) -> None:
    """sops' rules: --in-place excludes --output and standard input."""
    if getattr(args, "in_place", False):
        if getattr(args, "output", None):
            raise ConflictingParameters("cannot operate on both --output and --in-place")
        if getattr(args, "file", None) in (None, "-"):
            raise ConflictingParameters("cannot use --in-place when reading from stdin")


def _emit(args: argparse.Namespace, path: str | None, data: bytes) -> None:
    if getattr(args, "in_place", False):
        if path in (None, "-"):
            raise ConflictingParameters("cannot use --in-place when reading from stdin")
        write_atomic(path, data)  # type: ignore[arg-type]
    elif getattr(args, "output", None):
        write_atomic(args.output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _groups_from_flags(args: argparse.Namespace, prefix: str = "") -> list[Any] | None:
    opts: dict[str, Any] = {"encryption_context": _parse_context(getattr(args, "encryption_context", None))}
    if getattr(args, "aws_profile", None):
        opts["aws_profile"] = args.aws_profile
    keys: list[Any] = []
    given = False
    for cls in _key_sources():
        value = getattr(args, prefix + cls.cli_flag.replace("-", "_"), None)
        if value is None and not prefix and cls.recipients_env:
            value = os.environ.get(cls.recipients_env)
        if not value:
            continue
        given = True
        keys.extend(cls.from_cli(value, opts))
    return [keys] if given else None


def _parse_context(text: str | None) -> dict[str, str]:
    """sops' rules exactly (``a:b:c`` is refused with exit 6), shared with the KMS key source."""
    from secretsops.keysources.awskms import parse_encryption_context

    return parse_encryption_context(text) or {}


def _options(args: argparse.Namespace, rule_opts: Any | None) -> Any:
    from secretsops.sops.api import EncryptOptions

    base = rule_opts if rule_opts is not None else EncryptOptions()
    flags = {f: getattr(args, f, "") for f in CRYPT_FLAGS}
    if any(flags.values()):
        for f in CRYPT_FLAGS:
            setattr(base, f, flags[f])
    if getattr(args, "mac_only_encrypted", False):
        base.mac_only_encrypted = True
    if getattr(args, "shamir_secret_sharing_threshold", 0):
        base.shamir_threshold = args.shamir_secret_sharing_threshold
    base.indent = getattr(args, "indent", None)
    return base


def _encryption_plan(args: argparse.Namespace, path: str | None) -> tuple[list[Any], Any]:
    from secretsops.sops import rules

    groups = _groups_from_flags(args)
    rule = None
    cfg = _config_path(args)
    if cfg is not None:
        # as sops: an existing config must have a rule for the file, even when keys come from flags
        config = rules.load_config(cfg)
        if config.declares_rules:  # sops treats a config without creation_rules as no config
            rule = config.rule_for(
                getattr(args, "filename_override", None) or path or "-",
                encryption_context=_parse_context(getattr(args, "encryption_context", None)),
            )
    if groups is None:
        if rule is None:
            flags = "/".join(f"--{c.cli_flag}" for c in _key_sources())
            raise NoEncryptionKeyGiven(f"no encryption key: pass {flags} or add a .sops.yaml creation rule")
        groups = rule.key_groups
    return groups, _options(args, rule.options if rule is not None else None)


def _walk(root: Path) -> Iterator[Path]:
    from pathlib import Path  # here, not at the top: a decrypt never needs pathlib

    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def _progress(i: int, n: int, name: str) -> None:
    if sys.stderr.isatty() and n > 1:
        width = 30
        done = int(width * i / n)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} {name[-40:]:<40}")
        if i == n:
            sys.stderr.write("\n")
        sys.stderr.flush()


# --- commands -------------------------------------------------------------------------------


def cmd_encrypt(args: argparse.Namespace) -> int:
    from secretsops.sops import api

    ctx = _ctx()
    if getattr(args, "recursive", False):
        return _recursive(args, ctx, "encrypt")
    _check_output_flags(args)
    data = _read(args.file)
    _apply_store_config(args, _fmt(args, args.file, "output"))
    groups, options = _encryption_plan(args, args.file)
    out = api.encrypt_bytes(
        data,
        _fmt(args, args.file),
        groups=groups,
        options=options,
        ctx=ctx,
        where=args.file or "<stdin>",
        output_fmt=_fmt(args, args.file, "output"),
    )
    _emit(args, args.file, out)
    return 0


def _config_path(args: argparse.Namespace) -> Path | None:
    """``--config``, else ``SOPS_CONFIG`` (sops' global flag and its variable, which every sops
    command honours), else ``.sops.yaml`` looked up from the working directory."""
    given = getattr(args, "config", None) or os.environ.get("SOPS_CONFIG")
    if given:
        from pathlib import Path

        return Path(given)
    from secretsops.sops.configfile import find_config

    return find_config(os.getcwd())


def _apply_store_config(args: argparse.Namespace, fmt: str) -> None:
    """Without --indent, take the indentation from .sops.yaml's ``stores`` section like sops."""
    if getattr(args, "indent", None) is not None:
        return
    cfg = _config_path(args)
    if cfg is not None:
        from secretsops.sops import rules

        args.indent = rules.load_config(cfg).store_indent(fmt)


def _decryption_order(args: argparse.Namespace) -> list[str] | None:
    text = getattr(args, "decryption_order", None) or os.environ.get("SOPS_DECRYPTION_ORDER")
    if not text:
        return None
    from secretsops.keysources.registry import keysources

    return [keysources().kind_for_order_name(t.strip()) for t in text.split(",") if t.strip()]


def _warn_ignore_mac() -> None:
    print(
        "secretsops: WARNING: --ignore-mac: the file's integrity is NOT verified; "
        "its contents may have been tampered with",
        file=sys.stderr,
    )


def _tree_item(item: tuple[Any, Any], json_names: bool) -> Any:
    """sops' ``TreeItem`` as Go marshals the struct: mappings inside become lists of items."""
    from secretsops.sops.cipher import Comment
    from secretsops.sops.tree import Branch

    key_name, value_name = ("Key", "Value") if json_names else ("key", "value")

    def conv(v: Any) -> Any:
        if isinstance(v, Branch):
            return [_tree_item((k, x), json_names) for k, x in v if not isinstance(k, Comment)]
        if isinstance(v, list):
            return [conv(x) for x in v if not isinstance(x, Comment)]
        return v

    return Branch([(key_name, item[0]), (value_name, conv(item[1]))])


def cmd_decrypt(args: argparse.Namespace) -> int:
    from secretsops.sops import api
    from secretsops.sops.formats import get_store
    from secretsops.sops.paths import get_path, parse_path
    from secretsops.sops.tree import Branch

    ctx = _ctx()
    if args.ignore_mac:
        _warn_ignore_mac()
    if getattr(args, "recursive", False):
        return _recursive(args, ctx, "decrypt")
    _check_output_flags(args)
    order = _decryption_order(args)
    data = _read(args.file)
    fmt = _fmt(args, args.file)
    where = args.file or "<stdin>"
    out_fmt = _fmt(args, args.file, "output")
    _apply_store_config(args, out_fmt)
    if args.extract:
        try:
            path = parse_path(args.extract)
        except InvalidSetFormat as exc:
            from secretsops.errors import InvalidTreePathFormat

            raise InvalidTreePathFormat(f"--extract: {exc}") from None
        tree = api.decrypt_tree(
            api.load_encrypted(data, fmt, where=where),
            ctx=ctx,
            ignore_mac=args.ignore_mac,
            where=where,
            decryption_order=order,
        )
        if any(isinstance(p, int) and p < 0 for p in path):
            from secretsops.errors import TreePathNotFound

            raise TreePathNotFound(
                f"--extract: negative index in {args.extract} (sops cannot read it either)"
            )
        value = get_path(tree.branches[0], path)
        store = get_store(out_fmt, args.indent)
        # sops' YAML EmitValue is a plain yaml.Marshal: default indentation, not the stores' one
        value_store = get_store(out_fmt) if out_fmt == "yaml" else store
        try:
            if isinstance(value, tuple):  # an index into a mapping: sops prints its TreeItem struct
                out = value_store.emit_value(_tree_item(value, out_fmt == "json"))
            elif isinstance(value, Branch):
                out = store.emit_plain([value])
            elif isinstance(value, str):
                out = value.encode("utf-8", "surrogateescape")
            else:
                out = value_store.emit_value(value)
        except InvalidFormat as exc:  # e.g. NaN as JSON: sops' ErrorDumpingTree
            from secretsops.errors import ErrorGeneric

            raise ErrorGeneric(f"{where}: could not write the extracted value: {exc}") from None
    else:
        out = api.decrypt_bytes(
            data,
            fmt,
            ctx=ctx,
            ignore_mac=args.ignore_mac,
            output_fmt=out_fmt,
            indent=args.indent,
            where=where,
            decryption_order=order,
        )
    _emit(args, args.file, out)
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    ctx = _ctx()
    if args.ignore_mac:
        _warn_ignore_mac()
    if getattr(args, "recursive", False):
        return _recursive(args, ctx, "rotate")
    _check_output_flags(args)
    data = _read(args.file)
    _apply_store_config(args, _fmt(args, args.file, "output"))
    _emit(args, args.file, _rotate_bytes(args, ctx, data, args.file))
    return 0


def _rotate_bytes(args: argparse.Namespace, ctx: Any, data: bytes, path: str | None) -> bytes:
    from secretsops.sops import api
    from secretsops.sops.cipher import Cipher
    from secretsops.sops.datakey import wrap_data_key

    fmt = _fmt(args, path)
    where = path or "<stdin>"
    tree = api.decrypt_tree(
        api.load_encrypted(data, fmt, where=where),
        ctx=ctx,
        ignore_mac=getattr(args, "ignore_mac", False),
        where=where,
    )
    meta = tree.metadata
    added = _groups_from_flags(args, prefix="add_")
    if added:
        meta.key_groups[0].extend(added[0])
    removed = _groups_from_flags(args, prefix="rm_")
    if removed:
        gone = {(k.kind, k.identifier) for k in removed[0]}
        meta.key_groups = [[k for k in g if (k.kind, k.identifier) not in gone] for g in meta.key_groups]
    new_key = os.urandom(32)
    wrap_data_key(new_key, meta, ctx)
    fresh = api.DecryptedTree(tree.branches, meta, new_key, Cipher(new_key), _fmt(args, path, "output"))
    return api.reencrypt(fresh, indent=getattr(args, "indent", None))


def _updatekeys_bytes(args: argparse.Namespace, ctx: Any, data: bytes, path: str) -> tuple[bytes, bool]:
    from secretsops.sops import api, rules
    from secretsops.sops.datakey import unwrap_data_key, wrap_data_key
    from secretsops.sops.formats import get_store

    fmt = _fmt(args, path)
    ef = api.load_encrypted(data, fmt, where=path)
    cfg = _config_path(args)
    if cfg is None:
        raise MetadataNotFound("no .sops.yaml found: updatekeys needs a creation rule")
    rule = rules.load_config(cfg).rule_for(path)
    old = {(k.kind, k.identifier) for k in ef.metadata.all_keys()}
    new = {(k.kind, k.identifier) for g in rule.key_groups for k in g}
    same_shape = [len(g) for g in ef.metadata.key_groups] == [len(g) for g in rule.key_groups]
    if old == new and same_shape:  # sops 3.11 compares keys only; the file keeps its threshold
        print(f"secretsops: {path}: already up to date", file=sys.stderr)
        return data, False
    _print_key_diff(ef.metadata.key_groups, rule.key_groups, ef.metadata.shamir_threshold)
    if not args.yes and not _confirm():
        print(f"secretsops: {path}: left unchanged", file=sys.stderr)
        return data, False
    key = unwrap_data_key(ef.metadata, ctx)
    ef.metadata.key_groups = rule.key_groups
    if len(rule.key_groups) < 2:
        ef.metadata.shamir_threshold = 0
    elif not ef.metadata.shamir_threshold:  # sops keeps the file's threshold; none: every group
        ef.metadata.shamir_threshold = len(rule.key_groups)
    wrap_data_key(key, ef.metadata, ctx)
    _apply_store_config(args, fmt)
    return get_store(fmt, getattr(args, "indent", None)).emit_encrypted(
        ef.branches, ef.metadata.to_dict()
    ), True


def _print_key_diff(old: list[list[Any]], new: list[list[Any]], threshold: int) -> None:
    """sops' PrettyPrintShamirDiff + PrettyPrintDiffs, on stdout as sops prints them."""
    out = ["The following changes will be made to the file's groups:"]
    new_threshold = min(threshold, len(new))
    if threshold > 0 and threshold == new_threshold:
        out.append(f"shamir_threshold: {new_threshold}")
    else:
        if new_threshold > 0:
            out.append(f"+++ shamir_threshold: {new_threshold}")
        if threshold > 0:
            out.append(f"--- shamir_threshold: {threshold}")
    for i in range(max(len(old), len(new))):
        ours = [k.identifier for k in (old[i] if i < len(old) else [])]
        theirs = [k.identifier for k in (new[i] if i < len(new) else [])]
        out.append(f"Group {i + 1}")
        out.extend(f"    {k}" for k in theirs if k in ours)
        out.extend(f"+++ {k}" for k in theirs if k not in ours)
        out.extend(f"--- {k}" for k in ours if k not in theirs)
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()


class ConflictingValueFlags(SecretsOpsError):
    """``set --value-file --value-stdin``: sops refuses with its generic exit code 1."""


class NoConfirmation(SecretsOpsError):
    """``updatekeys`` asked and got no answer (end of input): sops exits 1, nothing changes."""


def _confirm() -> bool:
    """sops' "Is this okay? (y/n):" loop: y or n; anything else asks again."""
    while True:
        sys.stdout.write("Is this okay? (y/n):")
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise NoConfirmation("no answer to 'Is this okay? (y/n)' (end of input); nothing changed")
        answer = line.strip()
        if not answer:
            raise NoConfirmation("no answer to 'Is this okay? (y/n)' (empty line); nothing changed")
        if answer in ("y", "n"):
            return answer == "y"


def cmd_updatekeys(args: argparse.Namespace) -> int:
    from pathlib import Path  # here, not at the top: a decrypt never needs pathlib

    ctx = _ctx()
    files: list[Path] = []
    for f in args.files:
        p = Path(f)
        files.extend(_walk(p) if args.recursive and p.is_dir() else [p])
    for i, p in enumerate(files, start=1):
        data = _read(str(p))
        if args.recursive and not _looks_encrypted(args, data, str(p)):
            continue
        out, changed = _updatekeys_bytes(args, ctx, data, str(p))
        if changed:
            write_atomic(p, out)
        _progress(i, len(files), str(p))
    return 0


def _looks_encrypted(args: argparse.Namespace, data: bytes, path: str) -> bool:
    from secretsops.sops import api

    try:
        api.load_encrypted(data, _fmt(args, path), where=path)
    except SecretsOpsError:
        return False
    return True


def _recursive(args: argparse.Namespace, ctx: Any, op: str) -> int:
    from pathlib import Path  # here, not at the top: a decrypt never needs pathlib

    from secretsops.sops import api

    if not args.file or not Path(args.file).is_dir():
        raise UsageError("--recursive needs a directory")
    if not args.in_place:
        raise UsageError("--recursive writes files in place: pass -i")
    files = list(_walk(Path(args.file)))
    results: list[tuple[Path, bytes]] = []
    for i, p in enumerate(files, start=1):
        data = p.read_bytes()
        enc = _looks_encrypted(args, data, str(p))
        if op == "encrypt" and not enc:
            try:
                groups, options = _encryption_plan(args, str(p))
            except SecretsOpsError:
                continue
            results.append(
                (
                    p,
                    api.encrypt_bytes(
                        data, _fmt(args, str(p)), groups=groups, options=options, ctx=ctx, where=str(p)
                    ),
                )
            )
        elif op == "decrypt" and enc:
            results.append(
                (
                    p,
                    api.decrypt_bytes(
                        data, _fmt(args, str(p)), ctx=ctx, ignore_mac=args.ignore_mac, where=str(p)
                    ),
                )
            )
        elif op == "rotate" and enc:
            results.append((p, _rotate_bytes(args, ctx, data, str(p))))
        _progress(i, len(files), str(p))
    for p, out in results:  # only after every file succeeded
        write_atomic(p, out)
    return 0


def _editor_cmd() -> list[str]:
    import shlex

    for var in ("SOPS_EDITOR", "EDITOR"):
        if os.environ.get(var):
            return shlex.split(os.environ[var])
    for cand in ("vim", "nano", "vi"):
        for d in os.environ.get("PATH", "").split(os.pathsep):
            if d and os.path.isfile(os.path.join(d, cand)):
                return [cand]
    from secretsops.errors import ErrorGeneric

    raise ErrorGeneric("no editor found: set $SOPS_EDITOR or $EDITOR")


def _edit_until_valid(editor: list[str], tmp: Path, before: bytes, fmt: str, path: Path) -> list[Any]:
    """Run the editor until its result parses, as sops' runEditorUntilOk: on invalid content say
    why, wait for Enter and re-open the editor on the user's own text (nothing is lost)."""
    import subprocess

    from secretsops.errors import ErrorGeneric
    from secretsops.sops import api

    last_invalid: bytes | None = None
    while True:
        proc = subprocess.run([*editor], check=False)
        if proc.returncode != 0:
            raise ErrorGeneric(f"the editor exited with status {proc.returncode}; {path} was not changed")
        after = tmp.read_bytes()
        if after == before:
            raise FileHasNotBeenModified(f"{path} has not been modified")
        try:
            return api.load_plain(after, fmt, where=f"{path} (edited)")
        except SecretsOpsError as exc:
            print(
                f"secretsops: could not load the edited file, probably invalid syntax ({exc}). "
                "Press Enter to return to the editor, or Ctrl+C to exit.",
                file=sys.stderr,
            )
            at_eof = not sys.stdin.readline()
            if at_eof and after == last_invalid:  # nobody can answer and nothing changes: stop
                raise ErrorGeneric(
                    f"{path}: the edited content is still invalid; {path} was not changed"
                ) from None
            last_invalid = after


def cmd_edit(args: argparse.Namespace) -> int:
    from pathlib import Path  # here, not at the top: a decrypt never needs pathlib

    from secretsops.sops import api
    from secretsops.sops.formats import get_store

    ctx = _ctx()
    path = Path(args.file)
    fmt = _fmt(args, args.file)
    _apply_store_config(args, fmt)
    store = get_store(fmt, args.indent)
    if path.exists():
        tree = api.decrypt_tree(
            api.load_encrypted(_read(args.file), fmt, where=args.file),
            ctx=ctx,
            ignore_mac=args.ignore_mac,
            where=args.file,
        )
        before = store.emit_plain(tree.branches)
    else:
        tree = None
        before = b""
    from secretsops.cli.edit_tempfile import Stopped, plaintext_file

    editor = _editor_cmd()
    try:
        # 0600 on /dev/shm, pid-stamped; removed on exit, Ctrl+C, SIGTERM, SIGHUP (and, after a
        # SIGKILL, by the next edit)
        with plaintext_file(before, path.suffix or ".txt") as tmp:
            branches = _edit_until_valid([*editor, str(tmp)], tmp, before, fmt, path)
    except Stopped as stop:
        print(f"secretsops: edit stopped by signal {stop.signum}; {path} was not changed", file=sys.stderr)
        return 128 + stop.signum
    if tree is None:
        groups, options = _encryption_plan(args, args.file)
        out = api.encrypt_tree(branches, fmt, groups=groups, options=options, ctx=ctx)
    else:
        tree.branches = branches
        out = api.reencrypt(tree, indent=args.indent)
    write_atomic(path, out, 0o600 if not path.exists() else None)
    return 0


def _mutate(args: argparse.Namespace, change: Any) -> int:
    from secretsops.sops import api

    ctx = _ctx()
    fmt = _fmt(args, args.file)
    out_fmt = _fmt(args, args.file, "output")
    data = _read(args.file)
    _apply_store_config(args, out_fmt)
    if getattr(args, "ignore_mac", False):
        _warn_ignore_mac()
    tree = api.decrypt_tree(
        api.load_encrypted(data, fmt, where=args.file),
        ctx=ctx,
        where=args.file,
        ignore_mac=getattr(args, "ignore_mac", False),
        decryption_order=_decryption_order(args),
    )
    if not tree.branches:
        raise UsageError(f"{args.file} has no document")
    if not change(tree.branches[0]):
        return 0
    tree.fmt = out_fmt  # sops writes the file back through the output store (--output-type)
    write_atomic(args.file, api.reencrypt(tree, indent=args.indent))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from secretsops.sops.api import _to_branch
    from secretsops.sops.paths import parse_path, set_path

    if args.value_stdin and args.value_file:
        raise ConflictingValueFlags("cannot use both --value-file and --value-stdin")
    if args.file is None or args.index is None or (args.value is None and not args.value_stdin):
        raise NoFileSpecified("no file specified, or index and value are missing (set FILE INDEX VALUE)")
    path = parse_path(args.index)
    if args.value_stdin:
        raw = sys.stdin.read()
    elif args.value_file:
        if args.value is None:
            raise UsageError("--value-file needs a file name as the value argument")
        from secretsops import yamlio

        raw = yamlio.read_text(args.value)  # one line when missing, a device, a FIFO or too large
    elif args.value is None:
        raise UsageError("set needs FILE INDEX VALUE")
    else:
        raw = args.value
    try:
        import json
        import math

        def number(text: str) -> float:  # Go's json.Unmarshal: every number is a float64
            f = float(text)
            if math.isinf(f):
                raise ValueError("number out of float64 range")
            return f

        value = _to_branch(json.loads(raw, object_pairs_hook=dict, parse_int=number, parse_float=number))
    except ValueError:
        raise InvalidSetFormat("value for set is not valid JSON (quote strings: '\"text\"')") from None
    return _mutate(args, lambda b: set_path(b, path, value) or not args.idempotent)


def cmd_unset(args: argparse.Namespace) -> int:
    from secretsops.errors import TreePathNotFound
    from secretsops.sops.paths import parse_path, unset_path

    if args.file is None or args.index is None:
        raise NoFileSpecified("no file specified, or index is missing (unset FILE INDEX)")
    path = parse_path(args.index)

    def change(b: Any) -> bool:
        try:
            unset_path(b, path)
        except TreePathNotFound:
            if args.idempotent:
                return False
            raise
        return True

    return _mutate(args, change)


def cmd_filestatus(args: argparse.Namespace) -> int:
    """sops' rule: no metadata is ``false``; a file that does not load as encrypted is an error."""
    from secretsops.errors import NotEncrypted, UnsupportedVersion
    from secretsops.sops import api

    if args.file is None:
        raise NoFileSpecified("no file specified (filestatus FILE)")
    try:
        data = _read(args.file)
    except CouldNotReadInputFile as exc:
        raise CouldNotLoadEncryptedFile(str(exc)) from None
    try:
        ef = api.load_encrypted(data, _fmt(args, args.file), where=args.file)
        # sops' cfs: metadata without a version or a MAC does not count as encrypted
        encrypted = bool(ef.metadata.version and ef.metadata.mac)
    except (NotEncrypted, UnsupportedVersion):  # UnsupportedVersion: the block has no version
        encrypted = False
    print('{"encrypted":true}' if encrypted else '{"encrypted":false}')
    return 0


def cmd_keygen_age(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from secretsops.keysources.age import generate_identity

    target = Path(args.output) if args.output else Path(args.keys_dir) / "age.txt"
    if target.exists():
        raise UsageError(f"{target} already exists; refusing to overwrite an identity")
    secret, recipient = generate_identity()
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"# created: {created}\n# public key: {recipient}\n{secret}\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
    except FileExistsError:
        raise UsageError(f"{target} already exists; refusing to overwrite an identity") from None
    except OSError as exc:
        raise CouldNotWriteOutputFile(f"cannot write {target}: {exc.strerror}") from None
    print(f"secretsops: wrote {target}", file=sys.stderr)
    print(recipient)
    return 0
