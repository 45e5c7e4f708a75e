"""sops' older global-flag command line, translated to the subcommands.

Scripts still call ``sops -e -i --age A f``, ``sops -d f``, ``sops -d --extract '["k"]' f``,
``sops --set '["a"] "x"' f``, ``sops -r -i f`` and ``sops f`` (edit). sops 3.11 accepts them
as flags of the application itself (urfave/cli v1 on Go's ``flag`` package), so a script must
keep working when only the binary's name changes. The parsing rules are Go's: ``-flag`` and
``--flag`` are the same, ``-flag=value`` or ``-flag value``, no bundling (``-di`` is an error),
and flags stop at the first positional argument (sops ignores, with a warning, anything after
the file). The result is the equivalent subcommand line, parsed by the normal parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from secretsops.errors import InvalidSetFormat, NoFileSpecified, SecretsOpsError, UsageError

Kind = Literal["bool", "str", "int"]


@dataclass(frozen=True)
class GlobalFlag:
    name: str
    kind: Kind
    short: str = ""


_KEY_KINDS = ("kms", "gcp-kms", "hckms", "azure-kv", "hc-vault-transit", "pgp", "age")

#: sops 3.11's application flags (``sops --help``, GLOBAL OPTIONS)
GLOBAL_FLAGS: tuple[GlobalFlag, ...] = (
    GlobalFlag("decrypt", "bool", "d"),
    GlobalFlag("encrypt", "bool", "e"),
    GlobalFlag("rotate", "bool", "r"),
    GlobalFlag("disable-version-check", "bool"),
    GlobalFlag("check-for-updates", "bool"),
    GlobalFlag("kms", "str", "k"),
    GlobalFlag("aws-profile", "str"),
    GlobalFlag("gcp-kms", "str"),
    GlobalFlag("hckms", "str"),
    GlobalFlag("azure-kv", "str"),
    GlobalFlag("hc-vault-transit", "str"),
    GlobalFlag("pgp", "str", "p"),
    GlobalFlag("age", "str", "a"),
    GlobalFlag("in-place", "bool", "i"),
    GlobalFlag("extract", "str"),
    GlobalFlag("input-type", "str"),
    GlobalFlag("output-type", "str"),
    GlobalFlag("show-master-keys", "bool", "s"),
    *(GlobalFlag(f"{op}-{kind}", "str") for kind in _KEY_KINDS for op in ("add", "rm")),
    GlobalFlag("ignore-mac", "bool"),
    GlobalFlag("mac-only-encrypted", "bool"),
    GlobalFlag("unencrypted-suffix", "str"),
    GlobalFlag("encrypted-suffix", "str"),
    GlobalFlag("unencrypted-regex", "str"),
    GlobalFlag("encrypted-regex", "str"),
    GlobalFlag("unencrypted-comment-regex", "str"),
    GlobalFlag("encrypted-comment-regex", "str"),
    GlobalFlag("config", "str"),
    GlobalFlag("encryption-context", "str"),
    GlobalFlag("set", "str"),
    GlobalFlag("shamir-secret-sharing-threshold", "int"),
    GlobalFlag("indent", "int"),
    GlobalFlag("verbose", "bool"),
    GlobalFlag("output", "str"),
    GlobalFlag("filename-override", "str"),
    GlobalFlag("decryption-order", "str"),
    GlobalFlag("enable-local-keyservice", "bool"),
    GlobalFlag("keyservice", "str"),
)
#: sops 3.11 commands secretsops does not have (a file of that name is not what the user meant)
SOPS_ONLY_COMMANDS = ("completion", "exec-env", "exec-file", "publish", "keyservice", "groups")
_BY_NAME = {f.name: f for f in GLOBAL_FLAGS} | {f.short: f for f in GLOBAL_FLAGS if f.short}
#: flags that only pick the mode; never passed on
_MODE_FLAGS = frozenset({"decrypt", "encrypt", "rotate", "set"})

Value = bool | str | int


class LegacyUsageError(SecretsOpsError):
    """A flag sops' own parser refuses ("flag provided but not defined"): sops exits 1."""


class UnknownCommandOrFile(UsageError):
    """``secretsops NAME`` where NAME is no command and no file (argparse's exit code, 2)."""


def _go_bool(name: str, text: str) -> bool:
    """Go's ``strconv.ParseBool``, which ``-flag=value`` uses for boolean flags."""
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise LegacyUsageError(f'invalid boolean value "{text}" for -{name}')


def parse_global_flags(argv: Sequence[str]) -> tuple[dict[str, Value], list[str]]:
    """Go ``flag`` parsing of sops' application flags: (values by long name, positionals)."""
    values: dict[str, Value] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        body = arg[2:] if arg.startswith("--") else arg[1:]
        if not body or body[0] in "-=":
            raise LegacyUsageError(f"bad flag syntax: {arg}")
        name, eq, text = body.partition("=")
        flag = _BY_NAME.get(name)
        if flag is None:
            raise LegacyUsageError(f"flag provided but not defined: -{name}")
        value: Value
        if flag.kind == "bool":
            value = _go_bool(name, text) if eq else True
        else:
            if not eq:
                if i + 1 >= len(argv):
                    raise LegacyUsageError(f"flag needs an argument: -{name}")
                i += 1
                text = argv[i]
            if flag.kind == "int":
                try:
                    value = int(text, 0)
                except ValueError:
                    raise LegacyUsageError(f'invalid value "{text}" for flag -{name}: parse error') from None
            else:
                value = text
        values[flag.name] = value
        i += 1
    return values, list(argv[i:])


def split_set_argument(text: str) -> tuple[str, str]:
    """sops' ``extractSetArguments``: the path ends at the first ``"] "``, the JSON value follows."""
    head, sep, value = text.partition("] ")
    if not sep:
        raise InvalidSetFormat("invalid --set format: expected '[\"key\"] json-value'")
    return (head + "]").rstrip(" "), value


def _mode(values: dict[str, Value]) -> str:
    chosen = [m for m in ("encrypt", "decrypt", "rotate", "set") if values.get(m)]
    if len(chosen) > 1:
        print(
            "secretsops: warning: more than one of --encrypt, --decrypt, --rotate, --set; "
            f"only --{chosen[-1]} takes effect (as in sops)",
            file=sys.stderr,
        )
    return chosen[-1] if chosen else "edit"


def _key_bearing(mode: str, name: str) -> bool:
    """A flag whose keys the mode would use: dropping it silently would encrypt differently."""
    if mode in ("encrypt", "edit"):
        return name in _KEY_KINDS
    if mode == "rotate":
        return name.startswith(("add-", "rm-"))
    return False


def exists(path: str) -> bool:
    return os.path.lexists(path)


def translate(argv: Sequence[str], commands: Sequence[str], accepts: Callable[[str, str], bool]) -> list[str]:
    """The subcommand line equivalent to sops' global-flag form ``argv``.

    ``accepts(command, "--flag")`` says whether our subcommand has that option; a flag sops
    ignores in a mode is dropped, a key flag we cannot honour is an error.
    """
    values, rest = parse_global_flags(argv)
    if rest and rest[0] in commands:
        # flags before a subcommand: sops' subcommands read only the global --config (and
        # --verbose); the rest apply to the global-flag form alone
        carried = [
            arg
            for name in ("config", "verbose")
            if name in values and accepts(rest[0], f"--{name}")
            for arg in ([f"--{name}"] if values[name] is True else [f"--{name}", str(values[name])])
        ]
        return [rest[0], *carried, *rest[1:]]
    if rest and rest[0] in ("help", "h"):
        return ["--help"]
    if rest and rest[0] in SOPS_ONLY_COMMANDS:
        raise LegacyUsageError(f"sops' {rest[0]!r} command is not available in secretsops")
    if not rest:
        raise NoFileSpecified("no file specified")
    if len(rest) > 1:
        print(
            "secretsops: warning: more than one positional argument; only the first is used "
            "(flags must come before the file, as in sops)",
            file=sys.stderr,
        )
    file = rest[0]
    mode = _mode(values)
    if mode == "edit" and not exists(file):
        # sops would open an editor on a new file; a mistyped command is the likelier meaning
        raise UnknownCommandOrFile(
            f"{file!r} is neither a command nor an existing file (see 'secretsops --help'; "
            "to create a new encrypted file: secretsops edit FILE)"
        )
    out = [mode]
    for name, value in values.items():
        if name in _MODE_FLAGS:
            continue
        option = f"--{name}"
        if not accepts(mode, option):
            if _key_bearing(mode, name):
                raise LegacyUsageError(f"{option}: this key service is not supported by secretsops")
            continue
        if value is True:
            out.append(option)
        elif value is not False:
            out.extend([option, str(value)])
    out.append("--")
    if mode == "set":
        path, json_value = split_set_argument(str(values["set"]))
        out.extend([file, path, json_value])
    else:
        out.append(file)
    return out
