"""Both directions against kubesealpy: what it seals we open, what we seal it opens."""

from __future__ import annotations

import base64

import pytest
from kubesealpy import SealedSecret, Sealer, SealingScope
from kubesealpy import Unsealer as TheirUnsealer

from secretsops.sealed.crypto import SealedValue
from secretsops.sealed.scope import Scope
from secretsops.sealed.sealing import SealOptions, seal_raw, seal_secret
from secretsops.sealed.unsealing import Unsealer

from .conftest import secret

BINARY = bytes(range(256))
SCOPES = [
    (Scope.STRICT, SealingScope.STRICT),
    (Scope.NAMESPACE_WIDE, SealingScope.NAMESPACE_WIDE),
    (Scope.CLUSTER_WIDE, SealingScope.CLUSTER_WIDE),
]


@pytest.mark.parametrize(("ours", "theirs"), SCOPES)
def test_kubesealpy_opens_what_we_seal(kp, ours, theirs, canary):
    obj = secret(type="Opaque", stringData={"pw": canary}, data={"bin": base64.b64encode(BINARY).decode()})
    sealed = seal_secret(kp.public, obj, SealOptions(scope=ours))
    opened = TheirUnsealer([kp.key]).unseal(SealedSecret.model_validate(sealed))
    assert opened.get_data_decoded() == {"pw": canary.encode(), "bin": BINARY}


@pytest.mark.parametrize(("ours", "theirs"), SCOPES)
def test_we_open_what_kubesealpy_seals(kp, ours, theirs, canary):
    sealed = Sealer(kp.public).seal("db", "shop", {"pw": canary.encode(), "bin": BINARY}, scope=theirs)
    obj = sealed.model_dump(by_alias=True, exclude_none=True)
    out = Unsealer([kp.sealing_key()]).unseal(obj)
    assert {k: base64.b64decode(v) for k, v in out["data"].items()} == {"pw": canary.encode(), "bin": BINARY}


@pytest.mark.parametrize(("ours", "theirs"), SCOPES)
def test_raw_value_opens_with_kubesealpy(kp, ours, theirs):
    raw = seal_raw(kp.public, BINARY, ours, "shop", "db")
    assert TheirUnsealer([kp.key]).unseal_value(base64.b64decode(raw), "shop", "db", theirs) == BINARY


def test_kubesealpy_raw_value_opens_with_our_unsealer(kp):
    blob = Sealer(kp.public).seal_value(b"raw", "shop", "db", SealingScope.STRICT)
    opened = Unsealer([kp.sealing_key()]).open_value(SealedValue.parse(blob), b"shop/db")
    assert opened is not None and opened[0] == b"raw"


def test_any_of_several_keys_opens_kubesealpy_output(keypairs):
    sealed = Sealer(keypairs[2].public).seal("db", "shop", {"k": b"v"})
    ring = [kp.sealing_key() for kp in keypairs]
    out = Unsealer(ring).unseal_with_report(sealed.model_dump(by_alias=True, exclude_none=True))
    assert out.key_fingerprints == {keypairs[2].sealing_key().fingerprint}


def test_kubesealpy_with_several_keys_opens_ours(keypairs):
    sealed = seal_secret(keypairs[1].public, secret(stringData={"k": "v"}), SealOptions())
    opened = TheirUnsealer([kp.key for kp in keypairs]).unseal(SealedSecret.model_validate(sealed))
    assert opened.get_data_decoded() == {"k": b"v"}
