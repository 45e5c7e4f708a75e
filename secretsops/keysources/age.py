"""age recipients and identities (via pyrage), stored as sops does: ``recipient`` + armored ``enc``.

Identities come from ``KeyContext`` only: ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_FILE``,
``SOPS_AGE_KEY_CMD`` (run with a scrubbed environment plus ``SOPS_AGE_RECIPIENT``, the
recipient being opened, as sops 3.12+ does; its output never logged), SSH private keys
(``SOPS_AGE_SSH_PRIVATE_KEY_FILE``, ``~/.ssh/id_ed25519``, ``~/.ssh/id_rsa``, as sops 3.10+),
the user key file (``$XDG_CONFIG_HOME/sops/age/keys.txt`` or ``~/.config/sops/age/keys.txt``)
and the project's ``keys/`` directory, which is only a fallback: an explicitly given key wins,
so a wrong explicit key fails as it does in sops. They are parsed once per context.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import pyrage
from pyrage import ssh, x25519

from secretsops.errors import InputError, KeySourceError
from secretsops.keysources.base import DecryptionSecret, KeyContext, MasterKey

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

_CACHE_KEY = "age.identities"
#: where a command-line user's identities come from (the engine says where its come from instead)
_WHERE_IDENTITIES_COME_FROM = (
    "set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE, "
    "or put keys in ~/.config/sops/age/keys.txt or keys/age.txt"
)


@dataclass(repr=False, eq=False)  # holds keys or plaintext: no repr to leak them
class LoadedIdentities:
    """The identities found for one decrypt, where they came from, and why others were not used."""

    identities: list[Any]
    sources: list[str]
    problems: list[str]


def generate_identity() -> tuple[str, str]:
    """A new X25519 identity: (secret key text, recipient)."""
    ident = x25519.Identity.generate()
    return str(ident), str(ident.to_public())


def parse_recipient(text: str) -> Any:
    text = text.strip()
    try:
        if text.startswith("age1"):
            return x25519.Recipient.from_str(text)
        if text.startswith(("ssh-ed25519 ", "ssh-rsa ")):
            return ssh.Recipient.from_str(text)
    except Exception:  # noqa: S110 - pyrage raises its own RecipientError types
        pass
    raise InputError(f"invalid age recipient {text!r}")


def parse_identities(text: str, source: str) -> list[Any]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("AGE-SECRET-KEY-1"):
            try:
                out.append(x25519.Identity.from_str(line))
            except Exception:
                raise KeySourceError(f"{source} contains a malformed age identity") from None
        else:
            raise KeySourceError(f"{source} contains a line that is not an age identity")
    return out


def _run_key_cmd(cmd: str, env: Mapping[str, str], recipient: str | None = None) -> str:
    import shlex
    import subprocess  # lazy: only SOPS_AGE_KEY_CMD runs a process

    args = shlex.split(cmd)
    if not args:
        raise KeySourceError("SOPS_AGE_KEY_CMD is empty")
    child_env = {k: env[k] for k in ("PATH", "HOME") if k in env}
    if recipient:  # sops 3.12+: the command may answer with the one identity for this recipient
        child_env["SOPS_AGE_RECIPIENT"] = recipient
    try:
        proc = subprocess.run(args, capture_output=True, env=child_env, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KeySourceError(f"SOPS_AGE_KEY_CMD could not run ({type(exc).__name__})") from None
    if proc.returncode != 0:
        raise KeySourceError(f"SOPS_AGE_KEY_CMD exited with status {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def user_key_file(env: Mapping[str, str]) -> str | None:
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        return os.path.join(xdg, "sops", "age", "keys.txt")
    home = env.get("HOME")
    return os.path.join(home, ".config", "sops", "age", "keys.txt") if home else None


def _read_text(path: str) -> str:
    """A key file's text (``os`` rather than pathlib: a decrypt imports nothing it does not use)."""
    with open(path, encoding="utf-8") as f:
        return f.read()


#: variables that name an age identity explicitly; with one set, ``keys/`` is not read
EXPLICIT_IDENTITY_ENV = (
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
)


def _ssh_identity(path: str, source: str) -> Any:
    """An age identity from an OpenSSH private key (ssh-ed25519 or ssh-rsa), as sops reads it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        raise KeySourceError(f"cannot read {source} {path}") from None
    try:
        return ssh.Identity.from_buffer(data)
    except Exception:
        raise KeySourceError(
            f"{source} {path} is not an unencrypted ssh-ed25519/ssh-rsa private key "
            "(passphrase-protected SSH keys are not supported)"
        ) from None


def _ssh_identities(env: Mapping[str, str]) -> tuple[list[Any], list[str], list[str]]:
    """sops' loadAgeSSHIdentities: the env-named key, then ~/.ssh/id_ed25519 and ~/.ssh/id_rsa."""
    candidates: list[tuple[str, str]] = []
    if "SOPS_AGE_SSH_PRIVATE_KEY_FILE" in env:
        candidates.append((env["SOPS_AGE_SSH_PRIVATE_KEY_FILE"], "SOPS_AGE_SSH_PRIVATE_KEY_FILE"))
    home = env.get("HOME")
    if home:
        for name in ("id_ed25519", "id_rsa"):
            path = os.path.join(home, ".ssh", name)
            if os.path.isfile(path):
                candidates.append((path, "SSH key"))
    found: list[Any] = []
    sources: list[str] = []
    problems: list[str] = []
    for path, source in candidates:
        try:
            found.append(_ssh_identity(path, source))
            sources.append(str(path))
        except KeySourceError as exc:
            problems.append(str(exc))
    return found, sources, problems


def load_identities(ctx: KeyContext, recipient: str | None = None) -> LoadedIdentities:
    """Every identity the context offers, parsed once and cached in ``ctx.clients``.

    ``SOPS_AGE_KEY_CMD`` is run once per recipient (it is told which one); everything else
    once per context.
    """
    static = _load_static_identities(ctx)
    if "SOPS_AGE_KEY_CMD" not in ctx.env:
        return static
    cmd_key = (_CACHE_KEY, "cmd", recipient or "")
    cached = ctx.clients.get(cmd_key)
    if not isinstance(cached, LoadedIdentities):
        cached = LoadedIdentities([], [], [])
        try:
            text = _run_key_cmd(ctx.env["SOPS_AGE_KEY_CMD"], ctx.env, recipient)
            ids = parse_identities(text, "SOPS_AGE_KEY_CMD")
            if ids:
                cached = LoadedIdentities(ids, ["SOPS_AGE_KEY_CMD"], [])
        except KeySourceError as exc:
            cached = LoadedIdentities([], [], [str(exc)])
        ctx.clients[cmd_key] = cached
    return LoadedIdentities(
        cached.identities + static.identities,
        cached.sources + static.sources,
        cached.problems + static.problems,
    )


def _load_static_identities(ctx: KeyContext) -> LoadedIdentities:
    cached = ctx.clients.get(_CACHE_KEY)
    if isinstance(cached, LoadedIdentities):
        return cached
    env = ctx.env
    found: list[Any] = []
    sources: list[str] = []
    problems: list[str] = []

    def add(text: str, source: str) -> None:
        try:
            ids = parse_identities(text, source)
        except KeySourceError as exc:
            problems.append(str(exc))
            return
        if ids:
            found.extend(ids)
            sources.append(source)

    if "SOPS_AGE_KEY" in env:
        add(env["SOPS_AGE_KEY"], "SOPS_AGE_KEY")
    if "SOPS_AGE_KEY_FILE" in env:
        try:
            add(_read_text(env["SOPS_AGE_KEY_FILE"]), "SOPS_AGE_KEY_FILE")
        except OSError:
            problems.append(f"cannot read SOPS_AGE_KEY_FILE {env['SOPS_AGE_KEY_FILE']}")
    ssh_found, ssh_sources, ssh_problems = _ssh_identities(env)
    found.extend(ssh_found)
    sources.extend(ssh_sources)
    problems.extend(ssh_problems)
    user = user_key_file(env)
    if user is not None and os.path.isfile(user):
        try:
            add(_read_text(user), user)
        except OSError:
            problems.append(f"cannot read {user}")
    explicit = any(name in env for name in EXPLICIT_IDENTITY_ENV)
    keys_dir = None if ctx.keys_dir is None else os.fspath(ctx.keys_dir)
    if not explicit and keys_dir is not None and os.path.isdir(keys_dir):
        for name in sorted(os.listdir(keys_dir)):
            f = os.path.join(keys_dir, name)
            age_txt = name.startswith("age") and name.endswith(".txt")
            is_key = age_txt or name.endswith(".agekey") and name != ".agekey"
            if is_key and os.path.isfile(f):
                try:
                    add(_read_text(f), f)
                except OSError:
                    problems.append(f"cannot read {f}")
    loaded = LoadedIdentities(found, sources, problems)
    ctx.clients[_CACHE_KEY] = loaded
    return loaded


class AgeKeySource(MasterKey):
    """One age recipient of the data key."""

    kind = "age"
    cli_flag = "age"
    rule_key = "age"
    group_key = "age"
    recipients_env = "SOPS_AGE_RECIPIENTS"
    priority = 10

    def __init__(self, recipient: str, enc: str = "") -> None:
        self.recipient = recipient.strip()
        self.enc = enc

    @property
    def identifier(self) -> str:
        return self.recipient

    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        rcpt = parse_recipient(self.recipient)
        try:
            self.enc = pyrage.encrypt(data_key, [rcpt], armored=True).decode()
        except Exception as exc:
            raise KeySourceError(
                f"age encryption to {self.recipient} failed ({type(exc).__name__})"
            ) from None

    def unwrap(self, ctx: KeyContext) -> bytes:
        loaded = load_identities(ctx, self.recipient)
        if not loaded.identities:
            why = "; ".join(loaded.problems) or (
                f"no age identity found ({ctx.missing_key_help or _WHERE_IDENTITIES_COME_FROM})"
            )
            raise KeySourceError(why)
        try:
            return bytes(pyrage.decrypt(self.enc.encode(), loaded.identities))
        except Exception:
            raise KeySourceError(
                f"none of the age identities from {', '.join(loaded.sources)} opens this key"
            ) from None

    def to_metadata(self) -> dict[str, Any]:
        enc = self.enc if self.enc.endswith("\n") or not self.enc else self.enc + "\n"
        return {"recipient": self.recipient, "enc": enc}

    @classmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        rcpt = stanza.get("recipient")
        if not isinstance(rcpt, str):
            raise InputError("sops metadata: an age entry has no recipient")
        return cls(rcpt, str(stanza.get("enc") or ""))

    @classmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        return cls.from_rule(value)

    @classmethod
    def env_from_decryption_secret(cls, secret: DecryptionSecret) -> dict[str, str]:
        """Flux: every ``*.agekey`` entry holds age identities; together they are ``SOPS_AGE_KEY``."""
        identities = [secret.text(k).strip() for k in secret.names() if k.endswith(".agekey")]
        return {"SOPS_AGE_KEY": "\n".join(identities) + "\n"} if identities else {}

    @classmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        items: list[str] = []
        if isinstance(value, str):
            items = [p.strip() for p in value.split(",")]
        elif isinstance(value, list):
            for v in value:
                if not isinstance(v, str):
                    raise InputError("age keys must be strings")
                items.extend(p.strip() for p in v.split(","))
        elif value is not None:
            raise InputError("age keys must be a string or a list of strings")
        keys: list[MasterKey] = []
        for item in items:
            if not item:
                continue
            parse_recipient(item)
            keys.append(cls(item))
        return keys
