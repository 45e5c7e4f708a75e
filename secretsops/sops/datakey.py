"""Wrap the data key for every master key, and get it back with as few calls as possible.

One key group: the data key itself is wrapped by each key. Several groups: the key is split
with Shamir and each group wraps its share. Unwrapping tries keys by ``MasterKey.priority``
(local age/pgp before network services), stops as soon as enough groups opened, and on
failure says which keys were tried and why (never a secret).
"""

from __future__ import annotations

from collections.abc import Sequence

from secretsops.errors import (
    KeySourceError,
    NoEncryptionKeyGiven,
    NoKeyRetrieved,
    SecretsOpsError,
    TemporaryNoKeyRetrieved,
)
from secretsops.keysources.base import KeyContext, MasterKey
from secretsops.sops.metadata import Metadata


def wrap_data_key(data_key: bytes, meta: Metadata, ctx: KeyContext) -> None:
    """Set ``enc`` of every key in ``meta.key_groups`` (splitting with Shamir for >1 group)."""
    groups = meta.key_groups
    if not groups or not any(groups):
        from secretsops.keysources.registry import keysources

        flags = "/".join(f"--{c.cli_flag}" for c in keysources().classes() if c.cli_flag)
        raise NoEncryptionKeyGiven(f"no encryption key given: pass {flags} or add a .sops.yaml creation rule")
    if any(len(g) == 0 for g in groups):
        raise NoEncryptionKeyGiven("a key group is empty")
    if len(groups) == 1:
        parts = [data_key]
    else:
        from secretsops.sops import shamir  # lazy: builds its field tables; one key group is the rule

        if meta.shamir_threshold == 0:
            meta.shamir_threshold = len(groups)
        parts = shamir.split(data_key, len(groups), meta.shamir_threshold)
    for part, group in zip(parts, groups, strict=True):
        for key in group:
            ctx.count(key.kind)
            key.wrap(part, ctx)


def unwrap_data_key(meta: Metadata, ctx: KeyContext, decryption_order: Sequence[str] | None = None) -> bytes:
    """The data key, or ``NoKeyRetrieved`` listing every key tried and why it failed.

    Keys are tried in ``decryption_order`` (key kinds, like sops' ``--decryption-order``) when
    given, then by ``MasterKey.priority`` (local before network).
    """
    rank = {kind: i for i, kind in enumerate(decryption_order or ())}

    def cost(k: MasterKey) -> tuple[int, int]:
        return (rank.get(k.kind, len(rank)), k.priority)

    def _ordered(group: list[MasterKey]) -> list[MasterKey]:
        return sorted(group, key=cost)

    groups = meta.key_groups
    needed = 1 if len(groups) <= 1 else (meta.shamir_threshold or len(groups))
    order = sorted(range(len(groups)), key=lambda i: min((cost(k) for k in groups[i]), default=(1000, 1000)))
    parts: list[bytes] = []
    failures: list[str] = []
    transient = False
    for gi in order:
        if len(parts) >= needed:
            break
        part = None
        for key in _ordered(groups[gi]):
            try:
                ctx.count(key.kind)
                part = key.unwrap(ctx)
                break
            except SecretsOpsError as exc:
                failures.append(f"{key.kind} {key.identifier}: {exc}")
                transient = transient or exc.temporary
            except Exception as exc:  # a key source bug must not leak a traceback or a secret
                failures.append(f"{key.kind} {key.identifier}: {type(exc).__name__}")
        if part is not None:
            parts.append(part)
    if len(parts) < needed:
        tried = "; ".join(failures) or "no keys in file"
        if len(groups) > 1:
            msg = (
                f"could not retrieve the data key: {len(parts)} of {needed} "
                f"required key groups opened ({tried})"
            )
        else:
            msg = f"could not retrieve the data key ({tried})"
        # A key service that is down may answer later: the engine backs off and retries.
        raise (TemporaryNoKeyRetrieved if transient else NoKeyRetrieved)(msg)
    if len(groups) <= 1:
        data_key = parts[0]
    else:
        from secretsops.sops import shamir

        try:
            data_key = shamir.combine(parts)
        except SecretsOpsError as exc:
            raise NoKeyRetrieved(f"could not combine the Shamir parts of the data key: {exc}") from None
    if len(data_key) != 32:
        raise KeySourceError("the unwrapped data key is not 32 bytes long")
    return data_key
