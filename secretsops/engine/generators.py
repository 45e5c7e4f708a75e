"""Open the SOPS files kustomize put into generated Secrets, in memory (see ``engine.kustomize``).

A ``files`` key holds a whole SOPS file as kustomize copied it: it decrypts as it is and becomes
the file's plaintext (in its own format, as sops prints it). An ``envs`` file was split into
keys by kustomize: its origin file is decrypted from its own bytes (the MAC covers the line
order), every key it defines must still hold exactly the file's ciphertext (or a value an
overlay put there instead, which is left alone), its ``sops_*`` keys are removed and the others
get their plaintext, as kustomize would have done with a plaintext env file. Any failure fails
the whole unit (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from secretsops.decryptors.base import DecryptContext, DecryptFailed
from secretsops.decryptors.sops import SopsOrigin, data_key_cache
from secretsops.engine.kustomize import GENERATED, GeneratedSops
from secretsops.errors import MacMismatch, RenderError, SecretsOpsError
from secretsops.manifests import SourcedObject
from secretsops.sops.api import decrypt_bytes
from secretsops.sops.cipher import is_encrypted_value

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
    """Decrypt every generated SOPS entry noted by ``engine.kustomize.attach_origins``."""
    cache = data_key_cache(ctx)
    for item in items:
        generated = item.extra.pop(GENERATED, None)
        if not isinstance(generated, GeneratedSops):
            continue
        if generated.unresolved:
            raise DecryptFailed(item, RenderError(generated.unresolved, key="data.sops_mac"))
        data = dict(item.obj.get("data") or {})
        kind = "secretGenerator" if generated.encoded else "configMapGenerator"
        for key in sorted(generated.files):
            entry = f"{kind} entry {generated.file_paths.get(key, key)}"
            try:
                if generated.encoded:
                    cipher = base64.b64decode(str(data.get(key, "")).replace("\n", ""), validate=True)
                else:
                    cipher = str(data.get(key, "")).encode("utf-8")
                plain = decrypt_bytes(cipher, generated.files[key], ctx=ctx.keys, cache=cache, where=entry)
            except (binascii.Error, ValueError):
                raise DecryptFailed(item, RenderError("not valid base64", key=entry)) from None
            except SecretsOpsError as exc:
                raise DecryptFailed(item, _entry(exc, entry)) from None
            _put(item, data, key, plain, generated.encoded)
        for origin in generated.envs:
            _open_env(item, origin, data, ctx, cache, encoded=generated.encoded)
        item.obj["data"] = data
        item.extra["decryptor"] = "sops-generator"
    return items


def _put(item: SourcedObject, data: dict[str, Any], key: str, plain: bytes, encoded: bool) -> None:
    """A Secret's value in base64; a ConfigMap's as text, or in ``binaryData`` when it is not
    UTF-8 (where kustomize puts such a file)."""
    if encoded:
        data[key] = base64.b64encode(plain).decode("ascii")
        return
    try:
        data[key] = plain.decode("utf-8")
    except UnicodeDecodeError:
        data.pop(key, None)
        binary = item.obj.setdefault("binaryData", {})
        binary[key] = base64.b64encode(plain).decode("ascii")


def _open_env(
    item: SourcedObject,
    origin: SopsOrigin,
    data: dict[str, Any],
    ctx: DecryptContext,
    cache: Any,
    *,
    encoded: bool = True,
) -> None:
    entry = f"{'secretGenerator' if encoded else 'configMapGenerator'} entry {origin.path}"
    try:
        plain = decrypt_bytes(origin.data, "dotenv", ctx=ctx.keys, cache=cache, where=entry)
        cipher_pairs = parse_env(origin.data.decode("utf-8", "replace"), entry)
        plain_pairs = parse_env(plain.decode("utf-8", "replace"), entry)
    except SecretsOpsError as exc:
        raise DecryptFailed(item, _entry(exc, entry)) from None
    for key, cipher in cipher_pairs.items():
        current = _decoded(data.get(key)) if encoded else _text(data.get(key))
        if key.startswith("sops_"):
            if current == cipher:
                data.pop(key, None)
            continue
        if current is None or not is_encrypted_value(current):
            continue  # gone, or replaced by an overlay with a value of its own
        if current != cipher:
            raise DecryptFailed(
                item,
                MacMismatch(f"encrypted value is not the one in {origin.path}", key=f"data.{key}"),
            )
        if key in plain_pairs:
            _put(item, data, key, plain_pairs[key].encode("utf-8"), encoded)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _decoded(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
