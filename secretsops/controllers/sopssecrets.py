"""SopsSecret (``secretsops.io/v1``) → Secret: ciphertext in the API server, plaintext only in the Secret.

For Argo CD's safer mode (the repo server never decrypts) and for anyone who wants ciphertext in
the cluster: ``spec.sops`` holds a Secret manifest exactly as sops wrote it. The API server
reorders object fields, so the document travels as text and its MAC, which covers every value
including name, namespace, labels and type, is always verified. Keys come from a Flux-style
decryption Secret in the controller's own namespace (``*.agekey``, ``sops.vault-token``,
``sops.aws-kms``; ``--decryption-secret``), on top of what the process environment provides.

The document decides what the Secret is (labels, annotations, type, data, stringData,
immutable); the SopsSecret decides where it lives. A document that names a namespace or name
opens only there (the MAC makes that binding as strict as a sealed value's scope); one without
them opens wherever the SopsSecret is. The Secret is owned by the SopsSecret
(``controller: true``); a Secret someone else made is never overwritten.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar

from secretsops.controllers.base import Controller, ControllerContext, Result, same_secret, set_condition
from secretsops.controllers.informer import Key
from secretsops.controllers.owned import OwnedWrites
from secretsops.decryptors.guard import guard_objects
from secretsops.engine.decryption_secret import decryption_keys
from secretsops.errors import InputError, KubeConflict, KubeError, SecretsOpsError
from secretsops.manifests import Obj
from secretsops.sops.api import DataKeyCache, decrypt_documents, load_encrypted

API_VERSION = "secretsops.io/v1"
KIND = "SopsSecret"
REFUSED_TYPES = ("kubernetes.io/service-account-token", "bootstrap.kubernetes.io/token")
FORMATS = ("yaml", "json")


def _signature(obj: Obj) -> tuple[Any, ...]:
    meta = obj.get("metadata") or {}
    return (meta.get("uid"), meta.get("generation"))


def secret_from_document(doc: Mapping[str, Any], owner: Obj) -> Obj:
    """The Secret a decrypted document stands for, placed and owned by the SopsSecret ``owner``."""
    meta = owner.get("metadata") or {}
    ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    if doc.get("apiVersion") != "v1" or doc.get("kind") != "Secret":
        raise InputError("spec.sops: the document must be a v1 Secret")
    dmeta = doc.get("metadata") or {}
    if not isinstance(dmeta, Mapping):
        raise InputError("spec.sops: metadata must be a mapping")
    if dmeta.get("namespace") not in (None, "", ns):
        raise InputError(
            f"spec.sops: the Secret was encrypted for namespace {dmeta['namespace']}, found in {ns}"
        )
    if dmeta.get("name") not in (None, "", name):
        raise InputError(f"spec.sops: the Secret was encrypted for name {dmeta['name']}, found as {name}")
    secret_type = str(doc.get("type") or "Opaque")
    if secret_type in REFUSED_TYPES:
        raise InputError(f"spec.sops: a Secret of type {secret_type} is refused (it grants API access)")
    data: dict[str, str] = {}
    for field in ("data", "stringData"):
        if not isinstance(doc.get(field) or {}, Mapping):
            raise InputError(f"spec.sops: {field} must be a mapping")
    for k, v in (doc.get("data") or {}).items():
        data[str(k)] = str(v or "")
    for k, v in (doc.get("stringData") or {}).items():
        data[str(k)] = base64.b64encode(str(v).encode()).decode()
    out_meta: dict[str, Any] = {"name": name, "namespace": ns}
    for field in ("labels", "annotations"):
        if dmeta.get(field):
            out_meta[field] = {str(k): str(v) for k, v in dict(dmeta[field]).items()}
    out_meta["ownerReferences"] = [
        {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "name": name,
            "uid": str(meta.get("uid") or ""),
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    secret: Obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": out_meta,
        "type": secret_type,
        "data": data,
    }
    if doc.get("immutable") is not None:
        secret["immutable"] = bool(doc["immutable"])
    return secret


class SopsSecretsController(Controller):
    name: ClassVar[str] = "sopssecrets"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        #: data keys by MAC: an unchanged SopsSecret costs no key-service call
        self.datakeys = DataKeyCache()
        self.seen: dict[Key, tuple[Any, ...]] = {}
        self.failed: set[Key] = set()
        self.owned = OwnedWrites()

    def setup(self) -> None:
        self.primaries = [
            self.ctx.informer(API_VERSION, KIND, ns, handlers=[self._on_sops]) for ns in self.ctx.namespaces()
        ]
        self.informers = list(self.primaries)
        if not self.ctx.settings.once:
            self.informers += [
                self.ctx.informer(
                    "v1", "Secret", ns, keep=False, metadata_only=True, handlers=[self._on_secret]
                )
                for ns in self.ctx.namespaces()
            ]
            s = self.ctx.settings
            if s.decryption_secret:
                selector = f"metadata.name={s.decryption_secret}"
                self.informers.append(
                    self.ctx.informer(
                        "v1",
                        "Secret",
                        s.namespace,
                        keep=False,
                        field_selector=selector,
                        handlers=[self._on_keys],
                    )
                )

    def _on_sops(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if kind == "DELETED":
            self.seen.pop(key, None)
            self.failed.discard(key)
            return
        if kind == "MODIFIED" and self.seen.get(key) == _signature(obj):
            return
        self.queue.add(key)

    def _on_keys(self, kind: str, obj: Obj) -> None:
        """The decryption Secret changed: new keys may open what did not open."""
        del kind, obj
        for key in list(self.failed):
            self.queue.add(key)

    def _on_secret(self, kind: str, obj: Obj) -> None:
        """An owned Secret deleted or changed by someone else (``owned.OwnedWrites``): write it again now."""
        meta = obj.get("metadata") or {}
        for ref in meta.get("ownerReferences") or []:
            if (
                ref.get("kind") == KIND
                and ref.get("controller")
                and ref.get("apiVersion") == API_VERSION
                and self.owned.foreign(kind, obj)
            ):
                key = (str(meta.get("namespace") or ""), str(ref.get("name") or ""))
                self.seen.pop(key, None)
                self.queue.add(key)

    def _keys(self) -> Any:
        s = self.ctx.settings
        secret = (
            self.ctx.kube.get("v1", "Secret", s.namespace, s.decryption_secret)
            if s.decryption_secret
            else None
        )
        # *.asc entries: a private keyring for this decryption only (removed when the block ends)
        return decryption_keys(self.ctx.env, secret, f"Secret {s.namespace}/{s.decryption_secret}")

    def decrypt(self, obj: Obj) -> Obj:
        """The Secret ``obj`` stands for (MAC verified); raises with a message that names no value."""
        spec = obj.get("spec") or {}
        text = spec.get("sops") if isinstance(spec, Mapping) else None
        fmt = str((spec.get("format") if isinstance(spec, Mapping) else None) or "yaml")
        if not isinstance(text, str) or not text.strip():
            raise InputError("spec.sops: the encrypted Secret manifest is missing")
        if fmt not in FORMATS:
            raise InputError(f"spec.format: must be one of {', '.join(FORMATS)}")
        data = text.encode()
        encrypted = load_encrypted(data, fmt, where="spec.sops")
        if len(encrypted.branches) != 1:
            raise InputError("spec.sops: must hold exactly one document")
        with self._keys() as keys:
            [doc] = decrypt_documents(data, fmt, ctx=keys, cache=self.datakeys, where="spec.sops")
        calls = sum(keys.calls.values())
        if calls:
            self.ctx.metrics.provider_calls.labels(self.name, "key-service").inc(calls)
        secret = secret_from_document(doc, obj)
        guard_objects([secret], "SopsSecret")
        return secret

    def reconcile(self, key: Key) -> Result:
        obj = self.cached(key)
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            return Result()
        try:
            desired = self.decrypt(obj)
        except SecretsOpsError as exc:
            if exc.temporary:
                self._status(obj, "False", "KeyServiceUnavailable", str(exc))
                raise
            return self._failed(key, obj, "DecryptionFailed", str(exc))
        live = self.ctx.kube.get("v1", "Secret", key[0], key[1])
        if live is not None and not _controlled_by(live, obj):
            return self._failed(
                key,
                obj,
                "NotOwned",
                f'Secret "{key[1]}" already exists and is not managed by this SopsSecret',
            )
        try:
            if live is None:
                self.owned.wrote(self.ctx.kube.create(desired))
            elif not same_secret(live, desired):
                out = {**live, "data": desired["data"], "type": desired["type"]}
                out["metadata"] = {**live["metadata"], **{k: v for k, v in desired["metadata"].items()}}
                for field in ("labels", "annotations"):
                    if field not in desired["metadata"]:
                        out["metadata"].pop(field, None)
                if "immutable" in desired:
                    out["immutable"] = desired["immutable"]
                self.owned.wrote(self.ctx.kube.replace(out))
        except KubeConflict:
            raise
        except KubeError as exc:
            if not exc.temporary:
                return self._failed(key, obj, "WriteFailed", str(exc))
            raise
        self.failed.discard(key)
        self.seen[key] = _signature(obj)
        self._status(obj, "True", "Decrypted", "Secret was written")
        return Result()

    def _failed(self, key: Key, obj: Obj, reason: str, message: str) -> Result:
        self.failed.add(key)
        self.seen[key] = _signature(obj)
        self._status(obj, "False", reason, message)
        self.ctx.event(obj, reason, message, warning=True)
        return Result(ok=False)

    def _status(self, obj: Obj, status: str, reason: str, message: str) -> None:
        meta = obj.get("metadata") or {}
        old = dict(obj.get("status") or {})
        conditions = set_condition(list(old.get("conditions") or []), "Ready", status, reason, message[:1000])
        new = {"observedGeneration": meta.get("generation"), "conditions": conditions}
        self.write_status(obj, API_VERSION, KIND, new)


def _controlled_by(secret: Obj, owner: Obj) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    refs = (secret.get("metadata") or {}).get("ownerReferences") or []
    return bool(uid) and any(r.get("controller") and r.get("uid") == uid for r in refs)
