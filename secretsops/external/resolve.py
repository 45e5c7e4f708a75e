"""Resolve an ExternalSecret into the Secret ESO would write.

``Resolver.resolve`` runs ESO's reconcile in memory: find the store(s), fetch ``dataFrom``
entries in order (later ones overwrite), then ``data[]`` (overwrites those), apply the
template, and stamp ESO's markers (``reconcile.external-secrets.io/managed``, the
``data-hash`` annotation, the ``created-by`` label and the controller ownerReference for
``creationPolicy: Owner``), so a cluster moving from ESO keeps its ownership semantics.

One ``Resolver`` serves one pass: providers (and their answers) are created once per store
and namespace; ``prefetch`` asks every provider for all keys of the pass up front, batched.
Every failure names the ExternalSecret, the field, the store and the remote key; never a value.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from secretsops.errors import ExternalError, InputError, SecretsOpsError
from secretsops.external import privileged
from secretsops.external import transforms as keyops
from secretsops.external.lookup import ObjectLookup
from secretsops.external.providers.base import NoSecret, Provider, ProviderSettings, StoreContext
from secretsops.external.providers.registry import provider_class
from secretsops.external.resources import (
    DataFrom,
    DataItem,
    ExternalSecret,
    RemoteRef,
    Store,
    StoreRef,
)
from secretsops.external.templating import Executor, render_template
from secretsops.golang import regexp
from secretsops.manifests import Obj

LABEL_MANAGED = "reconcile.external-secrets.io/managed"
LABEL_MANAGED_VALUE = "true"
LABEL_OWNER = "reconcile.external-secrets.io/created-by"
ANNOTATION_DATA_HASH = "reconcile.external-secrets.io/data-hash"
ES_API_VERSION = "external-secrets.io/v1"


def object_hash_of_data(data: dict[str, bytes]) -> str:
    """ESO's ``ObjectHash(secret.Data)``: SHA3-224 of Go's ``%+v`` of ``map[string][]byte``."""
    parts = [f"{k}:[{' '.join(str(b) for b in data[k])}]" for k in sorted(data, key=lambda s: s.encode())]
    return hashlib.sha3_224(("map[" + " ".join(parts) + "]").encode("utf-8", "surrogateescape")).hexdigest()


def owner_label(namespace: str, name: str) -> str:
    return hashlib.sha3_224(f"{namespace}/{name}".encode()).hexdigest()


@dataclass
class ExternalCache:
    """State the caller keeps: connections and logins across passes, providers for one pass."""

    connections: dict[Any, Any] = field(default_factory=dict)
    providers: dict[Any, Provider] = field(default_factory=dict)

    def begin_pass(self) -> None:
        """Forget every provider answer: the next resolve reads the stores again."""
        self.providers.clear()


#: LabelSelector operators, spelled as Kubernetes spells them (anything else is refused)
_SET_OPERATORS = frozenset({"In", "NotIn"})
_EXISTS_OPERATORS = frozenset({"Exists", "DoesNotExist"})


def _selector_matches(selector: Any, labels: dict[str, str], where: str) -> bool:
    """``metav1.LabelSelectorAsSelector(selector).Matches(labels)``, failing closed as ESO does.

    An invalid selector (an operator spelled ``in``, ``In`` without values, ``Exists`` with
    values, a non-mapping) is an error, never "matches" or "does not match": a store admin's typo
    must not open the store to every namespace. An empty selector matches every namespace, as
    in Kubernetes.
    """
    if not isinstance(selector, dict):
        raise ExternalError(f"{where}: invalid namespaceSelector (expected a mapping)")
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        raise ExternalError(f"{where}: invalid namespaceSelector (matchLabels/matchExpressions)")
    checks: list[tuple[str, str, list[str]]] = [("In", str(k), [str(v)]) for k, v in match_labels.items()]
    for i, expr in enumerate(expressions):
        if not isinstance(expr, dict) or not isinstance(expr.get("values") or [], list):
            raise ExternalError(f"{where}: invalid namespaceSelector.matchExpressions[{i}]")
        op, key = expr.get("operator"), str(expr.get("key") or "")
        values = [str(v) for v in expr.get("values") or []]
        if not key:
            raise ExternalError(f"{where}: namespaceSelector.matchExpressions[{i}] needs a key")
        if op in _SET_OPERATORS and not values:
            raise ExternalError(f"{where}: namespaceSelector.matchExpressions[{i}]: {op} needs values")
        if op in _EXISTS_OPERATORS and values:
            raise ExternalError(f"{where}: namespaceSelector.matchExpressions[{i}]: {op} takes no values")
        if op not in _SET_OPERATORS | _EXISTS_OPERATORS:
            raise ExternalError(
                f"{where}: namespaceSelector.matchExpressions[{i}]: {str(op)[:40]!r} is not a valid"
                " operator (In, NotIn, Exists, DoesNotExist)"
            )
        checks.append((str(op), key, values))
    for op, key, values in checks:
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _refs_need_namespace(spec: Any) -> bool:
    """True when some Secret/ServiceAccount/CA reference in a store spec omits its namespace."""
    if isinstance(spec, dict):
        if (
            isinstance(spec.get("name"), str)
            and "namespace" not in spec
            and set(spec)
            <= {
                "name",
                "key",
                "audiences",
                "type",
            }
        ):
            return True
        return any(_refs_need_namespace(v) for v in spec.values())
    if isinstance(spec, list):
        return any(_refs_need_namespace(v) for v in spec)
    return False


class Resolver:
    """Resolves ExternalSecrets for one pass."""

    def __init__(
        self,
        lookup: ObjectLookup,
        settings: ProviderSettings | None = None,
        cache: ExternalCache | None = None,
        count: Callable[[str, int], None] | None = None,
    ) -> None:
        self.lookup = lookup
        self.settings = settings or ProviderSettings()
        self.cache = cache or ExternalCache()
        self._count = count or (lambda what, n: None)

    # --- stores and providers --------------------------------------------------------------

    def store(self, es: ExternalSecret, ref: StoreRef | None) -> Store:
        ref = ref or es.store_ref
        if ref is None or not ref.name:
            raise InputError("spec.secretStoreRef.name is required")
        obj = self.lookup.store(ref.kind, es.namespace, ref.name)
        if obj is None:
            where = f" in namespace {es.namespace!r}" if ref.kind == "SecretStore" and es.namespace else ""
            raise ExternalError(f"{ref.kind} {ref.name!r} not found{where}")
        store = Store.parse(obj)
        if store.kind == "SecretStore" and not store.namespace:
            store.namespace = es.namespace
        self._check_conditions(es, store)
        return store

    def _check_conditions(self, es: ExternalSecret, store: Store) -> None:
        """ESO's ``ClusterSecretStore`` ``conditions``: may this ExternalSecret's namespace use it?

        ``namespaces`` and ``namespaceRegexes`` match the namespace *name*; ``namespaceSelector``
        matches the labels of the live Namespace (``ObjectLookup.namespace_labels``: the API
        server's, read with the engine's identity, never a Namespace from the rendered set). Read
        only when a selector needs them. Checked before the provider exists: an excluded namespace
        makes no read of the store's credentials and no request to its backend.
        """
        if store.kind != "ClusterSecretStore" or not store.conditions:
            return
        ns = es.namespace
        where = f"{store}: spec.conditions"
        labels: dict[str, str] | None = None
        for i, cond in enumerate(store.conditions):
            if not isinstance(cond, dict):
                raise ExternalError(f"{where}[{i}] must be a mapping")
            names = cond.get("namespaces") or []
            regexes = cond.get("namespaceRegexes") or []
            if not isinstance(names, list) or not isinstance(regexes, list):
                raise ExternalError(f"{where}[{i}]: namespaces and namespaceRegexes must be lists")
            if ns and ns in [str(n) for n in names]:
                return
            for rx in regexes:
                try:
                    if ns and regexp.search(str(rx), ns):
                        return
                except regexp.error:
                    raise ExternalError(f"{where}[{i}]: invalid namespaceRegexes entry") from None
            if cond.get("namespaceSelector") is not None:
                if labels is None:
                    labels = self.lookup.namespace_labels(ns)
                if _selector_matches(cond["namespaceSelector"], labels, f"{where}[{i}]"):
                    return
        raise ExternalError(f"{store} does not allow namespace {ns!r} (spec.conditions)")

    def provider(self, es: ExternalSecret, store: Store) -> Provider:
        # A ClusterSecretStore whose references all name their namespace sees the same backend from
        # every namespace: one provider (and one read per remote key) for all of them.
        scope = es.namespace if store.kind == "SecretStore" or _refs_need_namespace(store.provider) else "*"
        key = (store.kind, store.namespace, store.name, scope)
        found = self.cache.providers.get(key)
        if found is None:
            # an administrator's ClusterSecretStore may use the engine's ambient credentials (its
            # ServiceAccount token, AWS environment), as ESO's controller does; a SecretStore, which
            # a tenant may write, only when the source is the engine itself
            settings = (
                replace(self.settings, engine_credentials_allowed=True)
                if store.kind == "ClusterSecretStore"
                else self.settings
            )
            sc = StoreContext(
                store,
                es.namespace,
                self.lookup.for_store(store.kind, store.provider),
                settings,
                self.cache.connections,
                self._count,
            )
            found = self.cache.providers[key] = provider_class(store)(sc)
        return found

    # --- batching ---------------------------------------------------------------------------

    def prefetch(self, externals: list[ExternalSecret]) -> None:
        """Ask each provider for every remote key of the pass at once (best effort)."""
        wanted: dict[Any, tuple[Provider, list[RemoteRef]]] = {}
        for es in externals:
            try:
                privileged.check_template(es.target.template)
            except SecretsOpsError:
                continue  # refused: nothing is fetched for it (resolve_parsed reports why)
            refs: list[tuple[StoreRef | None, RemoteRef]] = [(d.store_ref, d.remote) for d in es.data]
            refs += [(d.store_ref, d.extract) for d in es.data_from if d.extract is not None]
            for sref, ref in refs:
                try:
                    store = self.store(es, sref)
                    prov = self.provider(es, store)
                except SecretsOpsError:
                    continue  # the real resolve reports it with full context
                wanted.setdefault(id(prov), (prov, []))[1].append(ref)
        for prov, remote_refs in wanted.values():
            try:
                prov.prefetch(remote_refs)
            except SecretsOpsError:
                continue

    # --- ESO's GetProviderSecretData ---------------------------------------------------------

    def _fail(
        self, es: ExternalSecret, where: str, store: Store | None, what: str, exc: SecretsOpsError
    ) -> SecretsOpsError:
        """The failure located at the ExternalSecret and its ``spec.data[i]``; the store named once."""
        exc.at(object=str(es), key=f"{where} ({what})")
        if store is not None and not exc.message.startswith(str(store)):
            exc.message = f"{store}: {exc.message}"
        return exc

    def provider_data(self, es: ExternalSecret) -> tuple[dict[str, bytes], bool]:
        """The fetched key/values and whether anything was missing and skipped."""
        skip_missing = es.target.deletion_policy != "Retain"
        ex = Executor(es.delims)
        out: dict[str, bytes] = {}
        skipped = False
        for i, df in enumerate(es.data_from):
            where = f"spec.dataFrom[{i}]"
            store = None
            what = df.extract.describe() if df.extract is not None else df.find.describe() if df.find else ""
            try:
                store = self.store(es, df.store_ref)
                prov = self.provider(es, store)
                secret_map = self._data_from(prov, df, ex)
            except NoSecret as exc:
                if skip_missing:
                    skipped = True
                    continue
                raise self._fail(es, where, store, what, exc) from None
            except SecretsOpsError as exc:
                raise self._fail(es, where, store, what, exc) from None
            out.update(secret_map)
        for i, item in enumerate(es.data):
            where = f"spec.data[{i}]"
            store = None
            try:
                store = self.store(es, item.store_ref)
                value = self._data_item(self.provider(es, store), item)
            except NoSecret as exc:
                if skip_missing:
                    skipped = True
                    continue
                raise self._fail(es, where, store, item.remote.describe(), exc) from None
            except SecretsOpsError as exc:
                raise self._fail(es, where, store, item.remote.describe(), exc) from None
            out[item.secret_key] = value
        return out, skipped

    @staticmethod
    def _data_item(prov: Provider, item: DataItem) -> bytes:
        value = prov.get_secret(item.remote)
        value = keyops.decode(item.remote.decoding, value, item.secret_key)
        if item.remote.null_bytes == "Fail" and b"\0" in value:
            raise ExternalError(f"fetched secret value for key {item.secret_key!r} contains null bytes")
        return value

    @staticmethod
    def _data_from(prov: Provider, df: DataFrom, ex: Executor) -> dict[str, bytes]:
        if df.find is not None:
            data = prov.get_all_secrets(df.find)
            conversion, decoding, null_bytes = df.find.conversion, df.find.decoding, df.find.null_bytes
        else:
            assert df.extract is not None
            data = prov.get_secret_map(df.extract)
            conversion, decoding, null_bytes = (
                df.extract.conversion,
                df.extract.decoding,
                df.extract.null_bytes,
            )
        data = keyops.rewrite(list(df.rewrite), data, ex.transform_key)
        if not df.rewrite:
            data = keyops.convert_keys(conversion, data)
        data = keyops.validate_keys(data)
        data = keyops.decode_map(decoding, data)
        if null_bytes == "Fail":
            for k in sorted(data):
                if b"\0" in data[k]:
                    raise ExternalError(f"fetched secret value for key {k!r} contains null bytes")
        return data

    # --- the Secret -------------------------------------------------------------------------

    def resolve(self, obj: Obj) -> list[Obj]:
        """The Secret the ExternalSecret stands for ([] for creationPolicy None or nothing to write)."""
        es = ExternalSecret.parse(obj)
        return self.resolve_parsed(es)

    def resolve_parsed(self, es: ExternalSecret) -> list[Obj]:
        privileged.check_template(es.target.template)  # before anything is fetched, as ESO's webhook
        data_map, _skipped = self.provider_data(es)
        target = es.target
        if target.creation_policy == "None":
            return []
        if not data_map and target.deletion_policy in ("Delete", "Retain"):
            # ESO deletes (Delete) or leaves alone (Retain) the Secret when nothing was fetched
            return []
        labels: dict[str, str]
        annotations: dict[str, str]
        tpl = target.template
        secret_type = "Opaque"
        finalizers: list[str] = []
        if tpl is None:
            labels, annotations = dict(es.labels), dict(es.annotations)
            data = dict(data_map)
        else:
            meta = tpl.get("metadata") or {}
            labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
            annotations = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
            finalizers = [str(f) for f in meta.get("finalizers") or []]
            if tpl.get("type"):
                secret_type = str(tpl["type"])
            data = {}
            no_data_template = not tpl.get("data") and not tpl.get("templateFrom")
            if tpl.get("mergePolicy") == "Merge" or no_data_template:
                data.update(data_map)
            try:
                rendered = render_template(es, data_map, self.lookup)
            except SecretsOpsError as exc:
                raise exc.at(object=str(es), key="spec.target.template") from None
            data.update(rendered.data)
            labels.update(rendered.labels)
            annotations.update(rendered.annotations)
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        if target.creation_policy == "Owner":
            labels[LABEL_OWNER] = owner_label(es.namespace, es.name)
        else:
            labels.pop(LABEL_OWNER, None)
        labels[LABEL_MANAGED] = LABEL_MANAGED_VALUE
        annotations[ANNOTATION_DATA_HASH] = object_hash_of_data(data)
        metadata: dict[str, Any] = {"name": target.name}
        if es.namespace:
            metadata["namespace"] = es.namespace
        metadata["labels"] = labels
        metadata["annotations"] = annotations
        if finalizers:
            metadata["finalizers"] = finalizers
        if target.creation_policy == "Owner" and es.uid:
            metadata["ownerReferences"] = [
                {
                    "apiVersion": ES_API_VERSION,
                    "kind": "ExternalSecret",
                    "name": es.name,
                    "uid": es.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": metadata}
        if target.immutable:
            secret["immutable"] = True
        secret["type"] = secret_type
        secret["data"] = {k: base64.b64encode(data[k]).decode() for k in sorted(data)}
        privileged.check_secret(secret)
        return [secret]
