"""The ``sops`` decryptor: objects carrying a ``sops:`` block become plain objects, in memory.

Data keys are cached in ``DecryptContext.cache.data_keys`` by the file's MAC, so a reconcile
pass over unchanged files makes no key-service calls.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.decryptors.base import DecryptContext, Decryptor
from secretsops.manifests import Obj, ObjectId, SourcedObject
from secretsops.sops.api import DataKeyCache, decrypt_document, decrypt_documents, is_encrypted_document
from secretsops.sops.cipher import is_encrypted_value


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
        plain = self._from_raw(item, ctx, cache)
        if plain is None:
            plain = decrypt_document(item.obj, ctx=ctx.keys, cache=cache, where=item.where)
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
