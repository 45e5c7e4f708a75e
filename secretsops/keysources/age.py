"""age recipients and identities (via pyrage), stored as sops does: ``recipient`` + armored ``enc``.

Identities come from ``KeyContext`` only: ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_FILE``,
``SOPS_AGE_KEY_CMD`` (run with a scrubbed environment, its output never logged), the user
key file (``$XDG_CONFIG_HOME/sops/age/keys.txt`` or ``~/.config/sops/age/keys.txt``) and the
project's ``keys/`` directory. They are parsed once per context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from pyrage import ssh, x25519

from secretsops.errors import InputError, KeySourceError
from secretsops.keysources.base import KeyContext, MasterKey

_CACHE_KEY = "age.identities"


@dataclass
class LoadedIdentities:
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


def _run_key_cmd(cmd: str, env: Mapping[str, str]) -> str:
    import shlex
    import subprocess  # lazy: only SOPS_AGE_KEY_CMD runs a process

    args = shlex.split(cmd)
    if not args:
        raise KeySourceError("SOPS_AGE_KEY_CMD is empty")
    child_env = {k: env[k] for k in ("PATH", "HOME") if k in env}
    try:
        proc = subprocess.run(args, capture_output=True, env=child_env, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KeySourceError(f"SOPS_AGE_KEY_CMD could not run ({type(exc).__name__})") from None
    if proc.returncode != 0:
        raise KeySourceError(f"SOPS_AGE_KEY_CMD exited with status {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def user_key_file(env: Mapping[str, str]) -> Path | None:
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "sops" / "age" / "keys.txt"
    home = env.get("HOME")
    return Path(home) / ".config" / "sops" / "age" / "keys.txt" if home else None


def load_identities(ctx: KeyContext) -> LoadedIdentities:
    """Every identity the context offers, parsed once and cached in ``ctx.clients``."""
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
            add(Path(env["SOPS_AGE_KEY_FILE"]).read_text(), "SOPS_AGE_KEY_FILE")
        except OSError:
            problems.append(f"cannot read SOPS_AGE_KEY_FILE {env['SOPS_AGE_KEY_FILE']}")
    if "SOPS_AGE_KEY_CMD" in env:
        try:
            add(_run_key_cmd(env["SOPS_AGE_KEY_CMD"], env), "SOPS_AGE_KEY_CMD")
        except KeySourceError as exc:
            problems.append(str(exc))
    user = user_key_file(env)
    if user is not None and user.is_file():
        try:
            add(user.read_text(), str(user))
        except OSError:
            problems.append(f"cannot read {user}")
    if ctx.keys_dir is not None and ctx.keys_dir.is_dir():
        for f in sorted(ctx.keys_dir.iterdir()):
            if f.is_file() and (f.name.startswith("age") and f.suffix == ".txt" or f.suffix == ".agekey"):
                try:
                    add(f.read_text(), str(f))
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
        loaded = load_identities(ctx)
        if not loaded.identities:
            why = "; ".join(loaded.problems) or (
                "no age identity found (set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, "
                "or put keys in ~/.config/sops/age/keys.txt or keys/age.txt)"
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
    def from_rule(cls, value: Any) -> list[MasterKey]:
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
