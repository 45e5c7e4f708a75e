"""Drift by keyed fingerprints: only declared fields count, nothing of a value is kept."""

from __future__ import annotations

import copy

from secretsops.engine.drift import Fingerprinter
from secretsops.manifests import ObjectId

DESIRED = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "s", "namespace": "ns", "labels": {"a": "1"}},
    "data": {"password": "c2VjcmV0", "user": "YWRtaW4="},
}
OID = ObjectId.of(DESIRED)


def live_copy() -> dict:
    live = copy.deepcopy(DESIRED)
    live["metadata"].update(uid="u", resourceVersion="7", creationTimestamp="2026-01-01T00:00:00Z")
    live["type"] = "Opaque"
    return live


def test_live_object_with_server_fields_only_is_not_drift() -> None:
    fp = Fingerprinter()
    assert fp.compare(OID, fp.print_of(DESIRED), live_copy()) is None


def test_changed_value_is_drift_naming_the_field_not_the_value() -> None:
    fp = Fingerprinter()
    live = live_copy()
    live["data"]["password"] = "Q0FOQVJZ"
    drift = fp.compare(OID, fp.print_of(DESIRED), live)
    assert drift is not None and drift.changed[0].startswith("data.password")
    assert "Q0FOQVJZ" not in drift.describe() and "c2VjcmV0" not in drift.describe()


def test_removed_key_and_deleted_object_are_drift() -> None:
    fp = Fingerprinter()
    live = live_copy()
    del live["data"]["user"]
    drift = fp.compare(OID, fp.print_of(DESIRED), live)
    assert drift is not None and "data.user" in drift.describe()
    gone = fp.compare(OID, fp.print_of(DESIRED), None)
    assert gone is not None and gone.missing


def test_extra_list_item_is_drift_but_defaulted_item_fields_are_not() -> None:
    desired = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a"}]},
    }
    fp = Fingerprinter()
    print_ = fp.print_of(desired)
    defaulted = copy.deepcopy(desired)
    defaulted["spec"]["containers"][0]["imagePullPolicy"] = "Always"
    assert fp.compare(ObjectId.of(desired), print_, defaulted) is None
    extra = copy.deepcopy(desired)
    extra["spec"]["containers"].append({"name": "sidecar"})
    assert fp.compare(ObjectId.of(desired), print_, extra) is not None


def test_fingerprint_compares_against_what_the_server_stored() -> None:
    desired = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "x"}, "spec": {"cpu": "0.5"}}
    stored = {**desired, "spec": {"cpu": "500m"}}
    fp = Fingerprinter()
    assert fp.compare(ObjectId.of(desired), fp.print_of(desired, stored), stored) is None


def test_fingerprints_are_keyed_per_process() -> None:
    a, b = Fingerprinter(), Fingerprinter()
    assert a.print_of(DESIRED).fields != b.print_of(DESIRED).fields
    assert all("c2VjcmV0" not in str(v) for v in a.print_of(DESIRED).fields.values())
