"""Open SOPS-encrypted ``secretGenerator`` entries in memory (see ``engine.kustomize``).

kustomize put each encrypted file's ciphertext into the generated Secret and ``render`` noted
which keys those are. Here a ``files`` key becomes the decrypted file (in its own format, as
sops prints it), and an ``envs`` marker key expands into one key per ``KEY=value`` line, as
kustomize would have done with a plaintext env file. The MAC is always verified.
"""

from __future__ import annotations

import base64
import binascii
import re

from secretsops.decryptors.base import DecryptContext, DecryptFailed
from secretsops.decryptors.sops import data_key_cache
from secretsops.errors import RenderError, SecretsOpsError
from secretsops.manifests import SourcedObject
from secretsops.sops.api import decrypt_bytes

_ENV_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def parse_env(text: str, entry: str = "") -> dict[str, str]:
    """kustomize's env-file rules: ``KEY=value`` lines; blank lines and ``#`` comments skipped."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not _ENV_KEY.match(key):
            raise RenderError(f"line {number} is not KEY=value with a valid key", key=entry)
        out[key] = value
    return out


def _entry(exc: SecretsOpsError, entry: str) -> SecretsOpsError:
    """The failure located at the generator entry (the sops layer may already have named it)."""
    exc.message = exc.message.removeprefix(f"{entry}: ")
    return exc.at(key=entry)


def open_generated(items: list[SourcedObject], ctx: DecryptContext) -> list[SourcedObject]:
    """Decrypt every listed generator key; any failure fails the whole unit (fail closed)."""
    cache = data_key_cache(ctx)
    for item in items:
        listed = item.extra.pop("sops_generated", None)
        if not listed:
            continue
        data = dict(item.obj.get("data") or {})
        opened: dict[str, str] = {}
        for key in sorted(listed):
            info = listed[key]
            entry = f"secretGenerator entry {key}"
            try:
                cipher = base64.b64decode(str(data.pop(key, "")).replace("\n", ""), validate=True)
                plain = decrypt_bytes(cipher, str(info["format"]), ctx=ctx.keys, cache=cache, where=entry)
            except (binascii.Error, ValueError):
                raise DecryptFailed(item, RenderError("not valid base64", key=entry)) from None
            except SecretsOpsError as exc:
                raise DecryptFailed(item, _entry(exc, entry)) from None
            if info.get("env"):
                try:
                    pairs = parse_env(plain.decode("utf-8", "replace"), entry)
                except RenderError as exc:
                    raise exc.at(file=item.where, object=str(item.id)) from None
                for env_key, value in pairs.items():
                    opened[env_key] = base64.b64encode(value.encode("utf-8")).decode("ascii")
            else:
                opened[key] = base64.b64encode(plain).decode("ascii")
        clash = sorted(set(opened) & set(data))
        if clash:
            raise RenderError(
                f"generator keys declared twice: {', '.join(clash)}", file=item.where, object=str(item.id)
            )
        item.obj["data"] = {**data, **opened}
        item.extra["decryptor"] = "sops-generator"
    return items
