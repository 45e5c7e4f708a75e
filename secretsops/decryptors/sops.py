"""The ``sops`` decryptor: objects carrying a ``sops:`` block become plain objects, in memory.

Data keys are cached in ``DecryptContext.cache.data_keys`` by the file's MAC, so a reconcile
pass over unchanged files makes no key-service calls.

The MAC is always checked, also for documents kustomize re-serialised and transformed
(namespace, namePrefix, labels, patches): the renderer (or the KRM function) finds the origin
file of such a document — the file listed under ``resources:`` of a kustomization, bases
included, whose document carries the same MAC — and attaches its bytes as a ``SopsOrigin``.
The origin document is decrypted as sops reads it (MAC verified over the file's own values),
and its plaintext is put at the transformed object's encrypted leaves, each of which must be
byte-identical to the origin's ciphertext at the same path (sops binds a ciphertext to its path,
so a moved or altered value fails). Everything unencrypted comes from the transformed object.
Flux turns MAC checking off for this case; we keep it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from secretsops import yamlio
from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.errors import InputError, MacMismatch
from secretsops.manifests import Obj, ObjectId, SourcedObject
from secretsops.sops.api import (
    DataKeyCache,
    decrypt_bytes,
    decrypt_document,
    decrypt_documents,
    is_encrypted_document,
)
from secretsops.sops.cipher import is_encrypted_value
from secretsops.sops.formats import get_store
from secretsops.sops.tree import Branch

#: ``SourcedObject.extra`` keys the renderers set for this decryptor
ORIGIN = "sops_origin"
UNLOCATED = "sops_unlocated"


@dataclass(frozen=True, eq=False)
class SopsOrigin:
    """A SOPS file as it is on disk (ciphertext): where a rendered document came from.

    One instance per file, shared by all of its documents, so the file is decrypted once.
    """

    path: str
    data: bytes
    fmt: str = "yaml"

    @staticmethod
    def mac_of(obj: Any) -> str | None:
        meta = obj.get("sops") if isinstance(obj, dict) else None
        mac = meta.get("mac") if isinstance(meta, dict) else None
        return str(mac) if mac else None


def data_key_cache(ctx: DecryptContext) -> DataKeyCache:
    """The context's data-key cache (created on first use); shared with secretGenerator entries."""
    if ctx.cache.data_keys is None:
        ctx.cache.data_keys = DataKeyCache()
    return ctx.cache.data_keys


def _all_encrypted(value: Any) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, dict):
        return all(_all_encrypted(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_encrypted(v) for v in value)
    return is_encrypted_value(value)


class SopsDecryptor(Decryptor):
    name: ClassVar[str] = "sops"
    order: ClassVar[int] = 10

    def claims(self, obj: Obj) -> bool:
        return isinstance(obj, dict) and "sops" in obj

    def is_protected(self, obj: Obj) -> bool:
        """Encrypted, and for a Secret every value under data/stringData is ciphertext.

        A sops file whose regex rules leave a Secret's values in the clear is not protected.
        """
        if not is_encrypted_document(obj):
            return False
        if obj.get("kind") == "Secret":
            for section in ("data", "stringData"):
                if not _all_encrypted(obj.get(section)):
                    return False
        return True

    def decrypt(self, item: SourcedObject, ctx: DecryptContext) -> list[Obj]:
        cache = data_key_cache(ctx)
        before = sum(ctx.keys.calls.values())
        origin = item.extra.get(ORIGIN)
        plain: Obj | None
        if isinstance(origin, SopsOrigin):
            plain = open_from_origin(item.obj, origin, ctx, cache, where=item.where)
        else:
            plain = self._from_raw(item, ctx, cache)
        if plain is None:
            try:
                plain = decrypt_document(item.obj, ctx=ctx.keys, cache=cache, where=item.where)
            except MacMismatch as exc:
                unlocated = item.extra.get(UNLOCATED)
                if unlocated:
                    exc.message = f"{exc.message} ({unlocated})"
                raise
        ctx.count("sops.key_calls", sum(ctx.keys.calls.values()) - before)
        return [plain]

    @staticmethod
    def _from_raw(item: SourcedObject, ctx: DecryptContext, cache: DataKeyCache) -> Obj | None:
        """Decrypt from the file's bytes, parsed as sops parses them, when the renderer kept them.

        A YAML 1.1 parser reads some unencrypted scalars differently from sops (``on``,
        timestamps); the MAC covers them, so only sops' own reading verifies.
        """
        raw = item.extra.get("sops_raw")
        if not raw:
            return None
        data, fmt = raw
        want = item.id
        # every document of a file shares one ``raw`` tuple: parse and decrypt the file once
        docs = ctx.scratch.sops_documents.get(id(raw))
        if docs is None or docs[0] is not raw:
            docs = (raw, decrypt_documents(data, fmt, ctx=ctx.keys, cache=cache, where=item.path))
            ctx.scratch.sops_documents[id(raw)] = docs
        for doc in docs[1]:
            if isinstance(doc, dict) and ObjectId.of(doc) == want:
                return doc
        return None


def open_from_origin(
    obj: Obj, origin: SopsOrigin, ctx: DecryptContext, cache: DataKeyCache, *, where: str
) -> Obj:
    """``obj`` (a possibly transformed copy of a document of ``origin``) with its plaintext.

    The origin document with the same MAC is decrypted from the file's bytes (MAC verified);
    its plaintext replaces each encrypted leaf of ``obj``, which must equal the origin's
    ciphertext at the same path. See the module docstring.
    """
    mac = SopsOrigin.mac_of(obj)
    candidates = _origin_documents(origin, ctx, cache).get(mac or "")
    if not candidates:
        raise MacMismatch(f"no document with this MAC in its origin file {origin.path}", file=where)
    first: MacMismatch | None = None
    for cipher_doc, plain_doc in candidates:  # several when sops wrote one MAC for all documents
        try:
            out = _substitute(obj, cipher_doc, plain_doc, origin.path, ())
        except MacMismatch as exc:
            first = first or exc
            continue
        assert isinstance(out, dict)
        return out
    assert first is not None
    raise first


def _origin_documents(
    origin: SopsOrigin, ctx: DecryptContext, cache: DataKeyCache
) -> dict[str, list[tuple[Any, Any]]]:
    """MAC -> [(ciphertext document, plaintext document)] for the encrypted documents of the file,
    decrypted once per pass (the scratch never outlives the pass).

    sops writes a multi-document YAML file with one MAC over all documents (the same metadata in
    each); such a file is decrypted whole, as sops does. Documents encrypted one by one and
    concatenated carry a MAC each and are verified each on its own.
    """
    cached = ctx.scratch.sops_documents.get(id(origin))
    if cached is not None and cached[0] is origin:
        return cached[1][0]  # type: ignore[no-any-return]
    try:
        ciphertext = yamlio.load_documents(yamlio.decode(origin.data, origin.path), origin.path)
    except InputError as exc:
        raise MacMismatch(f"cannot read the origin file {origin.path}: {exc}") from None
    macs = [SopsOrigin.mac_of(d) for d in ciphertext]
    table: dict[str, list[tuple[Any, Any]]] = {}
    if len(set(macs)) == 1 and len(macs) > 1 and macs[0]:
        plain = decrypt_bytes(origin.data, origin.fmt, ctx=ctx.keys, cache=cache, where=origin.path)
        try:
            plains = yamlio.load_documents(plain.decode("utf-8"), origin.path)
        except (InputError, UnicodeDecodeError):
            plains = []
        if len(plains) != len(ciphertext):
            raise MacMismatch(f"cannot align the documents of {origin.path} after decryption")
        table[str(macs[0])] = list(zip(ciphertext, plains, strict=True))
    elif len(ciphertext) == 1 and macs[0]:  # the common case: one document, nothing to align
        plains = decrypt_documents(origin.data, origin.fmt, ctx=ctx.keys, cache=cache, where=origin.path)
        if len(plains) == 1:
            table[str(macs[0])] = [(ciphertext[0], plains[0])]
    else:
        branches = get_store(origin.fmt).load_plain(origin.data) if origin.data.strip() else []
        plains = decrypt_documents(origin.data, origin.fmt, ctx=ctx.keys, cache=cache, where=origin.path)
        by_mac = {m: d for d, m in zip(ciphertext, macs, strict=True) if m}
        for branch, plain_doc in zip(branches, plains, strict=False):
            meta = branch.get("sops") if isinstance(branch, Branch) else None
            mac = meta.get("mac") if isinstance(meta, Branch) else None
            if mac and str(mac) in by_mac:
                table.setdefault(str(mac), []).append((by_mac[str(mac)], plain_doc))
    ctx.scratch.sops_documents[id(origin)] = (origin, [table])
    return table


def _substitute(item: Any, original: Any, plain: Any, origin: str, path: tuple[str, ...]) -> Any:
    if isinstance(item, dict):
        return {
            key: _substitute(
                value,
                original.get(key) if isinstance(original, dict) else None,
                plain.get(key) if isinstance(plain, dict) else None,
                origin,
                (*path, str(key)),
            )
            for key, value in item.items()
            if path or key != "sops"
        }
    if isinstance(item, list):
        return [
            _substitute(
                value,
                original[i] if isinstance(original, list) and i < len(original) else None,
                plain[i] if isinstance(plain, list) and i < len(plain) else None,
                origin,
                (*path, str(i)),
            )
            for i, value in enumerate(item)
        ]
    if isinstance(item, str) and is_encrypted_value(item):
        if item != original:
            raise MacMismatch(
                f"encrypted value is not the one at this path in its origin file {origin}",
                key=".".join(path),
            )
        return plain
    return item
