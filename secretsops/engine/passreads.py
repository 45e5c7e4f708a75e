"""Reads remembered for one decryption, so N ExternalSecrets of a store ask the API server once.

Every ExternalSecret of a pass looks up its store (``v1``, then ``v1beta1``) twice (prefetch and
resolve) and, through the store, the same auth Secret; with 100 ExternalSecrets of one store
that was ~600 identical GETs per pass, each a round trip the API server has to serve (issue 11
made stores come from the API server). The engine hands the decryptors a :class:`PassReads`
client instead: a GET answered once (the object or "not found") is answered from memory for the
rest of that decryption, a consistent snapshot of what the pass read. Each ExternalSecret also
asks for its own live copy (200 GETs for 100 of them, most "not found"): from the second object
asked for in one collection (kind and namespace) on, one LIST answers them all, except for
Secrets, which are only ever read one by one (a pass reads only the Secrets it needs). Where RBAC
grants ``get`` but not ``list`` (``deploy/rbac.yaml`` does so for ExternalSecrets) the refused LIST
is remembered by the source's reconciler and not asked again: its reads stay GETs, as before.

Scope, so nothing stale or secret outlives it: one instance per decryption, made by the pass and
stopped (memory dropped, caching off) as soon as the decryptors return; a new pass, and the
retry round for waiting ExternalSecrets, read the API server afresh. Any write through it (a
SelfSubjectAccessReview, a TokenRequest) drops what it remembered. Answers are handed out as
copies, so a caller that edits one cannot change what the next caller reads. A client derived
from it (``as_user``, ``with_policy``) is a plain :class:`KubeClient`: another identity never
shares these answers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from secretsops.errors import KubeError, KubeForbidden
from secretsops.kube import KubeClient
from secretsops.manifests import Obj

#: kinds never listed to answer a GET (a pass reads only the Secrets it needs)
NEVER_LISTED = frozenset({"Secret"})


@dataclass
class PassReads(KubeClient):
    """A :class:`KubeClient` whose ``get`` answers are remembered until :meth:`stop`."""

    _gets: dict[tuple[str, str, str, str], Obj | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _active: bool = field(default=True, init=False, repr=False, compare=False)
    #: collections (apiVersion, kind, namespace): objects asked for, listed, LIST refused
    _asked: dict[tuple[str, str, str], int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _listed: set[tuple[str, str, str]] = field(default_factory=set, init=False, repr=False, compare=False)
    _unlistable: set[tuple[str, str, str]] = field(default_factory=set, init=False, repr=False, compare=False)

    #: collections whose LIST RBAC refused (403): the caller may keep this across decryptions
    refused: set[tuple[str, str, str]] = field(default_factory=set, init=False, repr=False, compare=False)

    @classmethod
    def over(cls, client: KubeClient, refused: set[tuple[str, str, str]] | None = None) -> PassReads:
        """The same connection, identity, retry policy and discovery as ``client``; ``refused``:
        collections not to list (kept by the caller, so a refused LIST is asked once, not every pass)."""
        reads = cls(**{f.name: getattr(client, f.name) for f in fields(KubeClient) if f.init})
        if refused is not None:
            reads.refused = refused
        return reads

    def plain(self) -> KubeClient:
        return KubeClient(**{f.name: getattr(self, f.name) for f in fields(KubeClient) if f.init})

    def as_user(self, user: str, groups: Iterable[str] = (), uid: str = "") -> KubeClient:
        return self.plain().as_user(user, groups, uid)

    def with_policy(self, *, attempts: int | None = None, timeout: float | None = None) -> KubeClient:
        return self.plain().with_policy(attempts=attempts, timeout=timeout)

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        if not self._active:
            return super().get(api_version, kind, namespace, name)
        key = (api_version, kind, namespace, name)
        if key not in self._gets:
            collection = (api_version, kind, namespace)
            if collection in self._listed:
                self._gets[key] = None  # not in the listing: absent in this snapshot
            elif self._list_instead(collection):
                return self.get(api_version, kind, namespace, name)
            else:
                self._gets[key] = super().get(api_version, kind, namespace, name)
        found = self._gets[key]
        return copy.deepcopy(found) if found is not None else None

    def _list_instead(self, collection: tuple[str, str, str]) -> bool:
        """On the second distinct object asked for in one collection, one LIST answers the rest.

        Each ExternalSecret's decryption asks for its own live copy (for the Secret's
        ownerReference): with 100 of them that is 100 GETs (200 with the ``v1beta1`` fallback),
        where one LIST per namespace and version does. Never for Secrets: a pass reads only the
        Secrets it needs. A LIST the API server refuses (RBAC may allow get, not list) leaves
        the collection to GETs.
        """
        api_version, kind, namespace = collection
        if kind in NEVER_LISTED or collection in self._unlistable or collection in self.refused:
            return False
        seen = self._asked.setdefault(collection, 0) + 1
        self._asked[collection] = seen
        if seen < 2:
            return False
        try:
            items = self.list_objects(api_version, kind, namespace)
        except KubeForbidden:
            self.refused.add(collection)  # the shipped RBAC grants get, not list, on ExternalSecrets
            return False
        except KubeError:
            self._unlistable.add(collection)
            return False
        self._listed.add(collection)
        for item in items:
            meta = item.get("metadata") or {}
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
            key = (api_version, kind, namespace, str(meta.get("name") or ""))
            if str(meta.get("namespace") or "") == namespace and key not in self._gets:
                self._gets[key] = item
        return True

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if method != "GET":
            self._forget()  # a write may change what a later read should see
        return super().request(method, path, **kwargs)

    def stop(self) -> None:
        """Forget every answer (they may hold Secret data) and read through from now on."""
        self._active = False
        self._forget()

    def _forget(self) -> None:
        self._gets.clear()
        self._asked.clear()
        self._listed.clear()
