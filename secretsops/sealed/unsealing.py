"""Open SealedSecrets with every key given, as the controller's Unseal does, and say why not.

The result is the Secret the controller would create: ``spec.template`` metadata, type and
immutable, the decrypted ``encryptedData`` plus rendered ``template.data``, name and namespace
of the SealedSecret, and an ownerReference back to it (unless the template opts out).

When a value does not open, every key is tried against the other scopes' labels and the
template's name/namespace, so the error can say what the value was really sealed for.

``UnsealMemory`` is what makes bulk unsealing cheap: which key opened which object (tried first
next time) and the RSA-unwrapped session keys, keyed by key fingerprint so a key that is
removed from the keyring no longer opens anything through the cache.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from secretsops.errors import SealedError, TemplateError, UnsealError
from secretsops.manifests import Obj, ObjectId
from secretsops.sealed.crypto import SealedValue, TooShort, go_b64decode, open_payload, unwrap_session_key
from secretsops.sealed.keypairs import SealingKey
from secretsops.sealed.output import order_meta, sorted_map
from secretsops.sealed.scope import SKIP_SET_OWNER_REFERENCES, Scope, scope_of
from secretsops.sealed.sealing import API_VERSION, KIND

NO_KEY = "no key could decrypt secret"
_MAX_DIAGNOSED = 3


@dataclass
class UnsealMemory:
    """Per-process memory of what opened what; safe to keep across passes (memory only)."""

    opened_by: dict[str, str] = field(default_factory=dict)
    #: how many values each key opened: keys that open most are tried first for unknown objects
    hits: dict[str, int] = field(default_factory=dict)
    session_keys: dict[tuple[str, bytes], bytes] = field(default_factory=dict)
    rsa_operations: int = 0


@dataclass
class UnsealResult:
    secret: Obj
    key_fingerprints: set[str]


def identity(sealed: Mapping[str, Any]) -> str:
    """Object identity for the memory: group/kind/namespace/name plus uid when present."""
    meta = sealed.get("metadata") or {}
    return f"{ObjectId.of(dict(sealed))}#{meta.get('uid') or ''}"


class Unsealer:
    """Opens SealedSecrets with a fixed list of keys (newest first is the best order)."""

    def __init__(
        self,
        keys: Sequence[SealingKey],
        memory: UnsealMemory | None = None,
    ) -> None:
        if not keys:
            raise UnsealError("no private key to unseal with")
        self.keys = list(keys)
        self.by_fp = {k.fingerprint: k for k in self.keys}
        self.memory = memory if memory is not None else UnsealMemory()

    # -- values ------------------------------------------------------------------------------

    @staticmethod
    def _slot_digest(value: SealedValue, label: bytes) -> bytes:
        return hashlib.sha256(label + b"\0" + value.wrapped_key).digest()

    def _is_cached(self, value: SealedValue, label: bytes) -> bool:
        digest = self._slot_digest(value, label)
        return any((fp, digest) in self.memory.session_keys for fp in self.by_fp)

    def _session_key(self, key: SealingKey, fp: str, value: SealedValue, label: bytes) -> bytes | None:
        slot = (fp, self._slot_digest(value, label))
        cached = self.memory.session_keys.get(slot)
        if cached is not None:
            return cached
        self.memory.rsa_operations += 1
        session = unwrap_session_key(key.private_key, value, label)
        if session is not None:
            self.memory.session_keys[slot] = session
        return session

    def _order(self, preferred: Sequence[str]) -> list[str]:
        """Remembered key(s) first, then keys by how often they opened something, then ring order."""
        hits = self.memory.hits
        by_use = sorted(self.by_fp, key=lambda fp: -hits.get(fp, 0))
        return list(dict.fromkeys([fp for fp in preferred if fp in self.by_fp] + by_use))

    def open_value(
        self, value: SealedValue, label: bytes, preferred: Sequence[str] = ()
    ) -> tuple[bytes, str] | None:
        """(plaintext, fingerprint of the key that opened it) or None (HybridDecrypt)."""
        for fp in self._order(preferred):
            session = self._session_key(self.by_fp[fp], fp, value, label)
            if session is None:
                continue
            plain = open_payload(session, value)
            if plain is not None:
                self.memory.hits[fp] = self.memory.hits.get(fp, 0) + 1
                return plain, fp
        return None

    def diagnose(self, value: SealedValue, label: bytes, sealed: Mapping[str, Any]) -> str:
        """Why a value does not open: sealed for another scope/name, tampered, or foreign key."""
        meta = sealed.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        tmeta = ((sealed.get("spec") or {}).get("template") or {}).get("metadata") or {}
        candidates: list[tuple[Scope, str, str]] = [
            (Scope.STRICT, ns, name),
            (Scope.NAMESPACE_WIDE, ns, name),
            (Scope.CLUSTER_WIDE, "", ""),
        ]
        tns, tname = str(tmeta.get("namespace") or ns), str(tmeta.get("name") or name)
        candidates += [(Scope.STRICT, tns, tname), (Scope.NAMESPACE_WIDE, tns, tname)]
        here = f"in {ns}/{name} ({scope_of(meta).value})"
        tried: set[bytes] = {label}
        for scope, cns, cname in candidates:
            other = scope.label(cns, cname)
            if other in tried:
                continue
            tried.add(other)
            opened = self.open_value(value, other)
            if opened is not None:
                return f"{NO_KEY}: it was sealed {scope.describe(cns, cname)}, found {here}"
        for fp, key in self.by_fp.items():
            session = self._session_key(key, fp, value, label)
            if session is not None and open_payload(session, value) is None:
                return (
                    "ciphertext was tampered with or corrupted (the session key opens but the data does not)"
                )
        sizes = {k.private_key.key_size // 8 for k in self.keys}
        if len(value.wrapped_key) not in sizes:
            return f"{NO_KEY}: value is not sealed for a key of this size (tampered or garbage?)"
        fps = ", ".join(sorted(self.by_fp))
        return (
            f"{NO_KEY}: none of the {len(self.by_fp)} key(s) given ({fps}) opens it for {ns}/{name}, "
            f"namespace {ns} or cluster-wide: it was sealed with another key, or for a name the object "
            "no longer records"
        )

    def warm(self, objects: Iterable[Mapping[str, Any]], workers: int = 2) -> int:
        """Unwrap the session keys of many SealedSecrets ahead of time, RSA work spread on threads.

        OpenSSL releases the GIL during RSA, so a unit of SealedSecrets opens faster when its RSA
        operations run side by side. Only session keys land in the memory (plaintexts are dropped);
        ``unseal`` then costs AES-GCM per value. The first value is opened alone so the others
        start with the key that is most likely right. Returns the number of values warmed.
        """
        tasks: list[tuple[SealedValue, bytes, list[str]]] = []
        for sealed in objects:
            meta = sealed.get("metadata") or {}
            spec = sealed.get("spec") or {}
            encrypted = spec.get("encryptedData") if isinstance(spec, Mapping) else None
            if not isinstance(encrypted, Mapping):
                continue
            label = scope_of(meta).label(str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            remembered = self.memory.opened_by.get(identity(sealed))
            for text in encrypted.values():
                try:
                    value = SealedValue.parse(go_b64decode(text or ""))
                except (binascii.Error, ValueError, TooShort):
                    continue
                if self._is_cached(value, label):
                    continue
                tasks.append((value, label, [remembered] if remembered else []))
        if not tasks:
            return 0
        self.open_value(*tasks[0])
        if len(tasks) > 1:
            with ThreadPoolExecutor(max(1, workers)) as pool:
                list(pool.map(lambda task: self.open_value(*task) is not None, tasks[1:]))
        return len(tasks)

    # -- objects -----------------------------------------------------------------------------

    def unseal(self, sealed: Obj, where: str = "<input>") -> Obj:
        return self.unseal_with_report(sealed, where).secret

    def unseal_with_report(self, sealed: Obj, where: str = "<input>") -> UnsealResult:
        """The Secret a SealedSecret stands for (the controller's Unseal); fails as a whole."""
        meta = sealed.get("metadata") or {}
        if not isinstance(meta, Mapping):
            raise UnsealError(f"{where}: SealedSecret metadata must be a mapping")
        _check_shape(sealed, meta, where)
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        spec = sealed.get("spec")
        if not isinstance(spec, Mapping):
            raise UnsealError(f"{where}: SealedSecret {ns}/{name} has no spec")
        label = scope_of(meta).label(ns, name)
        ident = identity(sealed)
        used: set[str] = set()
        if spec.get("data") is not None:
            secret = self._unseal_v1(spec, label, ident=ident, used=used, where=where, what=f"{ns}/{name}")
        else:
            secret = self._unseal_v2(sealed, spec, label, ident=ident, used=used, where=where)
        meta_out = dict(secret.get("metadata") or {})
        meta_out["namespace"] = ns
        meta_out["name"] = name
        annotations = (((spec.get("template") or {}).get("metadata") or {}).get("annotations")) or {}
        if annotations.get(SKIP_SET_OWNER_REFERENCES) != "true":
            meta_out["ownerReferences"] = [
                {
                    "apiVersion": str(sealed.get("apiVersion") or API_VERSION),
                    "kind": str(sealed.get("kind") or KIND),
                    "name": name,
                    "uid": str(meta.get("uid") or ""),
                    "controller": True,
                }
            ]
        secret["metadata"] = order_meta(meta_out)
        return UnsealResult(_secret_in_go_order(secret), used)

    def _unseal_v2(
        self, sealed: Obj, spec: Mapping[str, Any], label: bytes, *, ident: str, used: set[str], where: str
    ) -> Obj:
        template = spec.get("template") or {}
        encrypted = spec.get("encryptedData") or {}
        if not isinstance(encrypted, Mapping) or not isinstance(template, Mapping):
            raise UnsealError(f"{where}: spec.encryptedData and spec.template must be mappings")
        data: dict[str, bytes] = {}
        errors: list[str] = []
        diagnosed = 0
        preferred = [self.memory.opened_by[ident]] if ident in self.memory.opened_by else []
        for key in sorted(encrypted):
            try:
                blob = go_b64decode(encrypted[key] or "")
                value = SealedValue.parse(blob)
            except TooShort as exc:  # a ValueError too: must come first
                errors.append(f"{key}: {exc}")
                continue
            except (binascii.Error, ValueError):
                errors.append(f"{key}: illegal base64 data")
                continue
            opened = self.open_value(value, label, preferred)
            if opened is None:
                diagnosed += 1
                why = self.diagnose(value, label, sealed) if diagnosed <= _MAX_DIAGNOSED else NO_KEY
                errors.append(f"{key}: {why}")
                continue
            data[key], fp = opened
            used.add(fp)
            preferred = [fp]
            self.memory.opened_by[ident] = fp
        templates = template.get("data") or {}
        if templates:  # the engine (sprig, x509, RE2) is imported only when a template needs it
            from secretsops.golang.template import SPRIG, string_map

            strings = string_map(data)
        for key, text in sorted(templates.items()):
            if text is None:  # the controller deletes a key whose template is null
                data.pop(key, None)
                continue
            try:
                # sealed-secrets: template.New(key).Funcs(sprig).Parse(value), default missingkey
                tpl = SPRIG.compile(str(text), name=key, missingkey="default")
                data[key] = tpl.execute_bytes(strings)
            except TemplateError as exc:  # Go's message, position and no value
                errors.append(f"{key}: {exc}")
        if errors:
            meta = sealed.get("metadata") or {}
            what = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
            raise UnsealError(f"{where}: cannot unseal SealedSecret {what}: " + _grouped(errors))
        secret: Obj = {"kind": "Secret", "apiVersion": "v1", "metadata": dict(template.get("metadata") or {})}
        if template.get("immutable") is not None:
            secret["immutable"] = bool(template["immutable"])
        secret["data"] = {k: base64.b64encode(v).decode() for k, v in sorted(data.items())}
        if template.get("type"):
            secret["type"] = template["type"]
        return secret

    def _unseal_v1(
        self, spec: Mapping[str, Any], label: bytes, *, ident: str, used: set[str], where: str, what: str
    ) -> Obj:
        if spec.get("encryptedData"):
            raise UnsealError(
                f"{where}: {what}: cannot use the field 'encryptedData' and the deprecated field 'data' "
                "at the same time"
            )
        try:
            value = SealedValue.parse(go_b64decode(spec["data"]))
        except (binascii.Error, ValueError, TooShort):
            raise UnsealError(f"{where}: {what}: spec.data is not a sealed value") from None
        preferred = [self.memory.opened_by[ident]] if ident in self.memory.opened_by else []
        opened = self.open_value(value, label, preferred)
        if opened is None:
            raise UnsealError(f"{where}: cannot unseal SealedSecret {what}: {NO_KEY}")
        plain, fp = opened
        used.add(fp)
        self.memory.opened_by[ident] = fp
        try:
            secret = json.loads(plain)
        except ValueError:
            raise UnsealError(f"{where}: {what}: deprecated spec.data does not hold a Secret") from None
        if not isinstance(secret, dict):
            raise UnsealError(f"{where}: {what}: deprecated spec.data does not hold a Secret")
        body = {k: v for k, v in secret.items() if k not in ("kind", "apiVersion")}
        return {"kind": "Secret", "apiVersion": "v1", **body}


def _check_shape(sealed: Obj, meta: Mapping[str, Any], where: str) -> None:
    """Fields the controller decodes as maps must be maps: a one-line error, not a crash."""
    for name in ("labels", "annotations"):
        if meta.get(name) is not None and not isinstance(meta[name], Mapping):
            raise UnsealError(f"{where}: metadata.{name} must be a mapping")
    spec = sealed.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    if template is None:
        return
    if not isinstance(template, Mapping):
        raise UnsealError(f"{where}: spec.template must be a mapping")
    tmeta = template.get("metadata")
    if tmeta is not None and not isinstance(tmeta, Mapping):
        raise UnsealError(f"{where}: spec.template.metadata must be a mapping")
    for name in ("labels", "annotations"):
        value = (tmeta or {}).get(name)
        if value is not None and not isinstance(value, Mapping):
            raise UnsealError(f"{where}: spec.template.metadata.{name} must be a mapping")
    if template.get("data") is not None and not isinstance(template["data"], Mapping):
        raise UnsealError(f"{where}: spec.template.data must be a mapping")


def _grouped(errors: list[str]) -> str:
    """``a: why; b: why`` → ``a, b: why``: one line that stays readable for many keys."""
    by_reason: dict[str, list[str]] = {}
    for error in errors:
        key, _, reason = error.partition(": ")
        by_reason.setdefault(reason, []).append(key)
    return "; ".join(f"{', '.join(keys)}: {reason}" for reason, keys in by_reason.items())


def _secret_in_go_order(secret: Obj) -> Obj:
    """v1.Secret field order: kind, apiVersion, metadata, immutable, data, stringData, type."""
    out: Obj = {"kind": "Secret", "apiVersion": "v1", "metadata": secret["metadata"]}
    for key in ("immutable", "data", "stringData", "type"):
        if secret.get(key) is not None:
            out[key] = sorted_map(secret[key]) if key in ("data", "stringData") else secret[key]
    return out


def re_encrypt(sealed: Obj, unsealer: Unsealer, public_key: Any, where: str = "<input>") -> Obj:
    """Re-seal every value for ``public_key`` with the same scope label; template kept as is.

    Unlike the controller's /v1/rotate (which unseals and seals the resulting Secret, baking
    template.data into values), this keeps templates and metadata untouched.
    """
    from secretsops.sealed.crypto import hybrid_encrypt

    unsealer.unseal(sealed, where)  # fail closed (and shape-checked) before touching anything
    meta = sealed.get("metadata") or {}
    spec = sealed.get("spec") or {}
    if spec.get("data") is not None:
        raise SealedError(f"{where}: re-encrypting the deprecated spec.data format is not supported")
    label = scope_of(meta).label(str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    out_values: dict[str, str] = {}
    ident = identity(sealed)
    for key, text in sorted((spec.get("encryptedData") or {}).items()):
        value = SealedValue.parse(go_b64decode(text))
        preferred = [unsealer.memory.opened_by.get(ident, "")]
        opened = unsealer.open_value(value, label, preferred)
        if opened is None:  # pragma: no cover - unseal above already proved it opens
            raise UnsealError(f"{where}: {key}: {NO_KEY}")
        out_values[key] = base64.b64encode(hybrid_encrypt(public_key, opened[0], label)).decode()
    new_spec = {**spec, "encryptedData": out_values}
    return {**sealed, "spec": new_spec}
