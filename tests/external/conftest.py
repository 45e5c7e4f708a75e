"""Fixtures for ExternalSecret resolution: a real OpenBao dev server and moto_server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import hvac
import pytest

from secretsops.external import ObjectLookup, ProviderSettings, Resolver
from secretsops.external.resolve import ExternalCache
from secretsops_devstack.services import Service
from tests.external import eso_schema

Obj = dict[str, Any]


@pytest.fixture(scope="session")
def bao(openbao: Service) -> hvac.Client:
    """Root client on the session's OpenBao, with a KV v1 mount at ``kv1`` and AppRole/userpass auth."""
    client = hvac.Client(url=openbao.url, token=openbao.token)
    client.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    client.sys.enable_auth_method("approle")
    client.sys.enable_auth_method("userpass")
    client.sys.create_or_update_policy("read-all", 'path "*" { capabilities = ["read", "list"] }')
    client.sys.create_or_update_policy("nothing", 'path "sys/nothing" { capabilities = ["read"] }')
    return client


@pytest.fixture
def uniq() -> str:
    """A fresh path prefix so tests sharing the session server never see each other's data."""
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
def counter() -> dict[str, int]:
    return {}


@pytest.fixture
def resolve(counter: dict[str, int]) -> Callable[..., list[Obj]]:
    """Resolve the ExternalSecret named ``name`` among ``objs`` (one pass)."""

    def run(
        objs: list[Obj],
        name: str | None = None,
        cache: ExternalCache | None = None,
        check_schema: bool = True,
        **settings: Any,
    ) -> list[Obj]:
        def count(what: str, n: int) -> None:
            counter[what] = counter.get(what, 0) + n

        for obj in objs if check_schema else ():
            eso_schema.validate(obj)  # the manifests are ones ESO's CRDs accept
        resolver = Resolver(ObjectLookup(objs), ProviderSettings(**settings), cache or ExternalCache(), count)
        es = [
            o
            for o in objs
            if o.get("kind") == "ExternalSecret" and (name is None or o["metadata"]["name"] == name)
        ]
        assert es, "no ExternalSecret in the test manifests"
        return resolver.resolve(es[0])

    return run
