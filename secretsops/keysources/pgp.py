"""PGP recipients of the data key through the real ``gpg`` binary, stored as sops writes them.

Stanza (sops 3.11 order): ``created_at``, ``enc`` (ASCII-armored PGP message), ``fp`` (the
fingerprint as the user gave it, spaces removed). The data key travels on gpg's stdin/stdout
only — never argv, never the environment. The child gets a minimal environment (``PATH``,
``HOME``, ``GNUPGHOME`` from ``KeyContext.env``); ``SOPS_GPG_EXEC`` picks the binary, as in sops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from secretsops.errors import InputError, KeySourceError, TemporaryKeySourceError
from secretsops.keysources.base import KeyContext, MasterKey, created_at_text, now_rfc3339

if TYPE_CHECKING:
    import subprocess

GPG_TIMEOUT = 60.0
_CHILD_ENV = ("PATH", "HOME", "GNUPGHOME", "GPG_AGENT_INFO", "XDG_RUNTIME_DIR")


def short_fingerprint(fingerprint: str) -> str:
    """sops' shortenFingerprint: the last 16 hex digits (keeping a trailing ``!``)."""
    offset = len(fingerprint) - 16
    if fingerprint.endswith("!"):
        offset -= 1
    return fingerprint[offset:] if offset > 0 else fingerprint


def gpg_binary(env: Mapping[str, str]) -> str:
    """``SOPS_GPG_EXEC`` or ``gpg``, resolved on the context's PATH."""
    name = env.get("SOPS_GPG_EXEC") or "gpg"
    if os.sep in name:
        return name
    import shutil

    found = shutil.which(name, path=env.get("PATH") or os.defpath)
    if not found:
        raise KeySourceError(f"the GnuPG binary {name!r} was not found on PATH (set SOPS_GPG_EXEC)")
    return found


def run_gpg(ctx: KeyContext, args: Sequence[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """Run gpg in batch mode with a minimal environment; ``stdin`` is the only secret channel."""
    import subprocess  # lazy: the CLI reads this class's flags on every start

    env = {k: ctx.env[k] for k in _CHILD_ENV if ctx.env.get(k)}
    env.setdefault("PATH", os.defpath)
    env["LC_ALL"] = "C"
    argv = [gpg_binary(ctx.env), "--batch", "--no-tty"]
    if ctx.env.get("GNUPGHOME"):
        argv += ["--homedir", ctx.env["GNUPGHOME"]]
    argv += list(args)
    try:
        return subprocess.run(
            argv, input=stdin, capture_output=True, env=env, timeout=GPG_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise TemporaryKeySourceError(f"gpg did not finish within {GPG_TIMEOUT:.0f}s") from None
    except OSError as exc:
        raise KeySourceError(f"cannot run gpg ({type(exc).__name__})") from None


def _gpg_reason(stderr: bytes) -> str:
    """gpg's own diagnostics (they name keys, never the data), joined on one line."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith("[GNUPG:]")]
    return "; ".join(keep[-3:])[:300] or "no diagnostics"


class PgpKeySource(MasterKey):
    """One OpenPGP key (by fingerprint) in the user's GnuPG keyring that wraps the data key."""

    kind = "pgp"
    cli_flag = "pgp"
    rule_key = "pgp"
    group_key = "pgp"
    recipients_env = "SOPS_PGP_FP"
    priority = 20

    def __init__(self, fingerprint: str, *, enc: str = "", created_at: str = "") -> None:
        self.fingerprint = fingerprint.replace(" ", "")
        self.enc = enc
        self.created_at = created_at or now_rfc3339()

    @property
    def identifier(self) -> str:
        return self.fingerprint

    @classmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        return cls.from_rule(value)

    @classmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        """``--pgp``/``pgp:``: comma-separated fingerprints or a list of them."""
        if value is None:
            return []
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, list):
            items = []
            for item in value:
                if not isinstance(item, str):
                    raise InputError("invalid pgp key configuration: expected string in list")
                items.append(item)
        else:
            raise InputError("invalid pgp key configuration: expected a string or a list")
        return [cls(fp.strip()) for fp in items if fp.strip()]

    @classmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        fp = stanza.get("fp")
        if not isinstance(fp, str) or not fp:
            raise InputError("sops metadata: a pgp entry has no fp")
        created = created_at_text(stanza.get("created_at"))
        return cls(fp, enc=str(stanza.get("enc") or ""), created_at=created)

    def to_metadata(self) -> dict[str, Any]:
        return {"created_at": self.created_at, "enc": self.enc, "fp": self.fingerprint}

    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        proc = run_gpg(
            ctx,
            [
                "--no-default-recipient",
                "--yes",
                "--encrypt",
                "-a",
                "-r",
                self.fingerprint,
                "--trusted-key",
                short_fingerprint(self.fingerprint),
                "--no-encrypt-to",
            ],
            data_key,
        )
        if proc.returncode != 0 or not proc.stdout.strip():
            raise KeySourceError(f"PGP key {self.fingerprint}: encryption failed: {_gpg_reason(proc.stderr)}")
        self.enc = proc.stdout.decode("ascii", "replace").strip()

    def unwrap(self, ctx: KeyContext) -> bytes:
        if not self.enc:
            raise KeySourceError(f"PGP key {self.fingerprint}: enc is empty")
        proc = run_gpg(ctx, ["--decrypt"], self.enc.encode())
        if proc.returncode != 0:
            raise KeySourceError(f"PGP key {self.fingerprint}: decryption failed: {_gpg_reason(proc.stderr)}")
        if not proc.stdout:
            raise KeySourceError(f"PGP key {self.fingerprint}: decryption failed: zero bytes returned")
        return proc.stdout


def import_secret_key(ctx: KeyContext, armored: bytes, name: str) -> None:
    """Import one armored (secret) key into ``ctx``'s GNUPGHOME, on stdin (Flux's ``*.asc`` entries)."""
    proc = run_gpg(ctx, ["--import"], armored)
    if proc.returncode != 0:
        raise KeySourceError(f"PGP key {name}: import failed: {_gpg_reason(proc.stderr)}")


def stop_agent(ctx: KeyContext) -> None:
    """Stop the gpg-agent serving ``ctx``'s GNUPGHOME (a private keyring is removed after use)."""
    import subprocess

    home = ctx.env.get("GNUPGHOME")
    if not home:
        return
    gpgconf = os.path.join(os.path.dirname(gpg_binary(ctx.env)), "gpgconf")
    env = {"PATH": ctx.env.get("PATH") or os.defpath, "GNUPGHOME": home, "LC_ALL": "C"}
    try:
        subprocess.run(
            [gpgconf if os.path.exists(gpgconf) else "gpgconf", "--homedir", home, "--kill", "gpg-agent"],
            env=env,
            capture_output=True,
            timeout=GPG_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        pass  # nothing was listening, or gpgconf is missing: the directory goes anyway
