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
from secretsops.errors import RenderError, SecretsOpsError
from secretsops.manifests import SourcedObject
from secretsops.sops.api import DataKeyCache, decrypt_bytes

CACHE_KEY = "sops.datakeys"
_ENV_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def data_key_cache(ctx: DecryptContext) -> DataKeyCache:
    cache = ctx.cache.get(CACHE_KEY)
    if not isinstance(cache, DataKeyCache):
        cache = ctx.cache[CACHE_KEY] = DataKeyCache()
    return cache


def parse_env(text: str, where: str) -> dict[str, str]:
    """kustomize's env-file rules: ``KEY=value`` lines; blank lines and ``#`` comments skipped."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not _ENV_KEY.match(key):
            raise RenderError(f"{where}: line {number} is not KEY=value with a valid key")
        out[key] = value
    return out


def _named(exc: SecretsOpsError, entry: str) -> SecretsOpsError:
    """The same failure, its message naming the generator entry (temporary stays temporary)."""
    if entry in str(exc):
        return exc
    named = type(exc).__new__(type(exc))
    SecretsOpsError.__init__(named, f"{entry}: {exc}")
    return named


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
            where = f"{item.where}: secretGenerator entry {key}"
            try:
                cipher = base64.b64decode(str(data.pop(key, "")).replace("\n", ""), validate=True)
                plain = decrypt_bytes(cipher, str(info["format"]), ctx=ctx.keys, cache=cache, where=where)
            except (binascii.Error, ValueError):
                raise DecryptFailed(item, RenderError(f"{where}: not valid base64")) from None
            except SecretsOpsError as exc:
                raise DecryptFailed(item, _named(exc, f"secretGenerator entry {key}")) from None
            if info.get("env"):
                for env_key, value in parse_env(plain.decode("utf-8", "replace"), where).items():
                    opened[env_key] = base64.b64encode(value.encode("utf-8")).decode("ascii")
            else:
                opened[key] = base64.b64encode(plain).decode("ascii")
        clash = sorted(set(opened) & set(data))
        if clash:
            raise RenderError(f"{item.where}: {item.id}: generator keys declared twice: {', '.join(clash)}")
        item.obj["data"] = {**data, **opened}
        item.extra["decryptor"] = "sops-generator"
    return items
