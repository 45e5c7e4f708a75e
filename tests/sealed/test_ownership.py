"""The controller's rules for a Secret that already exists."""

from __future__ import annotations

import pytest

from secretsops.errors import SealedError
from secretsops.sealed.ownership import secret_to_write

SEALED = {"kind": "SealedSecret", "metadata": {"name": "db", "namespace": "shop", "uid": "u1"}}
OWNER = [
    {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "name": "db",
        "uid": "u1",
        "controller": True,
    }
]
DESIRED = {
    "kind": "Secret",
    "metadata": {"name": "db", "labels": {"new": "1"}, "ownerReferences": OWNER},
    "data": {"a": "MQ=="},
    "type": "Opaque",
}


def _live(annotations=None, owner=None):
    meta = {"name": "db", "labels": {"old": "1"}, "annotations": dict(annotations or {})}
    if owner:
        meta["ownerReferences"] = owner
    return {"kind": "Secret", "metadata": meta, "data": {"a": "MA==", "keep": "Mg=="}}


def test_missing_secret_is_created_as_desired():
    assert secret_to_write(None, DESIRED, SEALED) is DESIRED


def test_foreign_secret_is_not_overwritten():
    with pytest.raises(SealedError, match='"db" already exists and is not managed by SealedSecret'):
        secret_to_write(_live(), DESIRED, SEALED)


def test_owned_secret_is_replaced():
    out = secret_to_write(_live(owner=OWNER), DESIRED, SEALED)
    assert out["data"] == {"a": "MQ=="} and out["metadata"]["labels"] == {"new": "1"}


def test_managed_secret_is_taken_over():
    out = secret_to_write(_live({"sealedsecrets.bitnami.com/managed": "true"}), DESIRED, SEALED)
    assert out["data"] == {"a": "MQ=="} and out["metadata"]["ownerReferences"] == OWNER


def test_patch_merges_keys_labels_and_keeps_the_rest():
    out = secret_to_write(_live({"sealedsecrets.bitnami.com/patch": "true"}), DESIRED, SEALED)
    assert out["data"] == {"a": "MQ==", "keep": "Mg=="}
    assert out["metadata"]["labels"] == {"old": "1", "new": "1"}
    assert "ownerReferences" not in out["metadata"]
