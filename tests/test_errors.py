"""Errors carry where they happened as fields, render each part once, and exit by one table."""

from __future__ import annotations

import importlib
import pkgutil

import secretsops
from secretsops.decryptors.base import DecryptFailed
from secretsops.errors import (
    EXIT_CODES,
    ExternalError,
    KeySourceError,
    MacMismatch,
    NotEncrypted,
    SecretsOpsError,
    TemporaryKeySourceError,
    UsageError,
)
from secretsops.manifests import SourcedObject

ES = {
    "apiVersion": "external-secrets.io/v1",
    "kind": "ExternalSecret",
    "metadata": {"name": "db", "namespace": "shop"},
}


def test_location_renders_file_object_key_then_the_message() -> None:
    err = ExternalError("SecretStore shop/vault: not found", file="es.yaml", object="ExternalSecret shop/db")
    err.at(key="spec.data[0]")
    assert str(err) == "es.yaml: ExternalSecret shop/db: spec.data[0]: SecretStore shop/vault: not found"


def test_what_is_known_closer_in_is_kept_when_the_error_travels_out() -> None:
    err = ExternalError("boom", key="spec.data[1]").at(key="spec", object="ExternalSecret shop/db")
    assert (err.key, err.object) == ("spec.data[1]", "ExternalSecret shop/db")


def test_a_decryptor_failure_names_the_file_and_the_object_once() -> None:
    cause = ExternalError("does not exist", object="ExternalSecret shop/db", key="spec.data[0]")
    failed = DecryptFailed(SourcedObject(ES, "es.yaml"), cause)
    assert str(failed) == "es.yaml: ExternalSecret.external-secrets.io/shop/db: spec.data[0]: does not exist"


def test_a_cause_that_prefixed_its_own_file_does_not_repeat_it() -> None:
    cause = MacMismatch("secrets.yaml#1: MAC mismatch")
    failed = DecryptFailed(SourcedObject(ES, "secrets.yaml", 1), cause)
    assert str(failed) == "secrets.yaml#1: ExternalSecret.external-secrets.io/shop/db: MAC mismatch"
    assert failed.exit_code == MacMismatch.exit_code


def test_a_cause_about_another_object_keeps_naming_it() -> None:
    cause = ExternalError("Kubernetes API answered 403", object="Secret/kube-system/key")
    failed = DecryptFailed(SourcedObject(ES, "es.yaml"), cause)
    assert "Secret/kube-system/key: Kubernetes API answered 403" in str(failed)


def test_a_wrapped_failure_keeps_the_causes_exit_code_and_temporariness() -> None:
    failed = DecryptFailed(SourcedObject(ES, "es.yaml"), TemporaryKeySourceError("kms down"))
    assert failed.temporary and failed.exit_code == 128


def test_subclasses_without_a_table_entry_exit_like_their_parent() -> None:
    assert TemporaryKeySourceError.exit_code == EXIT_CODES[KeySourceError] == 128
    assert NotEncrypted.exit_code == 1 and UsageError.exit_code == 2


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


def test_every_exit_code_comes_from_the_one_table() -> None:
    for info in pkgutil.walk_packages(secretsops.__path__, "secretsops."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    defined_elsewhere = [
        cls.__qualname__
        for cls in _all_subclasses(SecretsOpsError)
        if "exit_code" in vars(cls) and cls not in EXIT_CODES
    ]
    assert defined_elsewhere == []


def test_a_failure_in_another_object_is_named_inside_the_outer_one() -> None:
    err = ExternalError("is not valid base64", object="Secret shop/token", key="data.token")
    err.at(object="ExternalSecret shop/db", key="spec.data[0]")
    assert (
        str(err) == "ExternalSecret shop/db: spec.data[0]: Secret shop/token: data.token: is not valid base64"
    )
