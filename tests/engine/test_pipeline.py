"""``engine.pipeline``: the one decryption pipeline render, the engine and the KRM function run."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from secretsops.decryptors.base import DecryptCache, DecryptFailed
from secretsops.engine.pipeline import build_pipeline
from secretsops.keysources.base import KeyContext
from secretsops.manifests import SourcedObject
from secretsops.sealed.keypairs import generate_key, private_key_pem
from secretsops.sealed.sealing import new_sealed_secret


@pytest.fixture(scope="module")
def sealing_key():  # type: ignore[no-untyped-def]
    key, _cert = generate_key(key_size=2048)
    return key


def _sealed(key, value: str, *, namespace: bool = True) -> SourcedObject:  # type: ignore[no-untyped-def]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "apps"}}
    secret["stringData"] = {"password": value}
    sealed = new_sealed_secret(key.public_key(), secret)
    if not namespace:
        del sealed["metadata"]["namespace"]
    return SourcedObject(sealed, "db.sealed.yaml")


def _key_file(tmp_path: Path, key) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "sealing.key"
    path.write_bytes(private_key_pem(key))
    return str(path)


def test_a_sealed_secret_opens_into_a_secret_without_an_owner_reference(
    tmp_path, sealing_key, canary
) -> None:  # type: ignore[no-untyped-def]
    pipeline = build_pipeline(KeyContext(), sealing_key_files=[_key_file(tmp_path, sealing_key)])
    (out,) = pipeline.run([_sealed(sealing_key, canary)])
    assert base64.b64decode(out.obj["data"]["password"]).decode() == canary
    assert "ownerReferences" not in out.obj["metadata"]


def test_scope_puts_objects_in_their_namespace_before_the_decryptors_look(
    tmp_path, sealing_key, canary
) -> None:  # type: ignore[no-untyped-def]
    def scope(obj: dict) -> None:
        obj["metadata"].setdefault("namespace", "apps")

    keys = [_key_file(tmp_path, sealing_key)]
    (out,) = build_pipeline(KeyContext(), sealing_key_files=keys, scope=scope).run(
        [_sealed(sealing_key, canary, namespace=False)]
    )
    assert out.obj["metadata"]["namespace"] == "apps"


def test_without_scope_a_namespace_less_strict_sealed_secret_does_not_open(
    tmp_path, sealing_key, canary
) -> None:  # type: ignore[no-untyped-def]
    keys = [_key_file(tmp_path, sealing_key)]
    with pytest.raises(DecryptFailed) as err:
        build_pipeline(KeyContext(), sealing_key_files=keys).run(
            [_sealed(sealing_key, canary, namespace=False)]
        )
    assert str(err.value).startswith("db.sealed.yaml: SealedSecret.bitnami.com/db:")
    assert canary not in str(err.value)


def test_the_callers_cache_outlives_one_pipeline(tmp_path, sealing_key, canary) -> None:  # type: ignore[no-untyped-def]
    cache = DecryptCache()
    keys = [_key_file(tmp_path, sealing_key)]
    build_pipeline(KeyContext(), sealing_key_files=keys, cache=cache).run([_sealed(sealing_key, canary)])
    Path(keys[0]).unlink()  # the next pass finds the keyring in the cache, not on disk
    (out,) = build_pipeline(KeyContext(), sealing_key_files=keys, cache=cache).run(
        [_sealed(sealing_key, "x")]
    )
    assert base64.b64decode(out.obj["data"]["password"]) == b"x"


def test_keep_before_keeps_a_copy_of_the_items_as_that_decryptor_received_them(
    tmp_path, sealing_key, canary
) -> None:  # type: ignore[no-untyped-def]
    keys = [_key_file(tmp_path, sealing_key)]
    pipeline = build_pipeline(KeyContext(), sealing_key_files=keys)
    (out,) = pipeline.run([_sealed(sealing_key, canary)], keep_before="sealed")
    out.obj["data"]["password"] = "edited after the pipeline"
    assert pipeline.kept is not None
    (kept,) = pipeline.kept
    assert kept.obj["kind"] == "SealedSecret"


def test_start_at_resumes_from_what_was_kept(tmp_path, sealing_key, canary) -> None:  # type: ignore[no-untyped-def]
    keys = [_key_file(tmp_path, sealing_key)]
    first = build_pipeline(KeyContext(), sealing_key_files=keys)
    first.run([_sealed(sealing_key, canary)], keep_before="sealed")
    assert first.kept is not None
    (out,) = build_pipeline(KeyContext(), sealing_key_files=keys).run(first.kept, start_at="sealed")
    assert base64.b64decode(out.obj["data"]["password"]).decode() == canary


def test_nothing_is_kept_when_that_decryptor_claims_nothing(tmp_path, sealing_key, canary) -> None:  # type: ignore[no-untyped-def]
    pipeline = build_pipeline(KeyContext(), sealing_key_files=[_key_file(tmp_path, sealing_key)])
    pipeline.run([_sealed(sealing_key, canary)], keep_before="external")
    assert pipeline.kept is None


def test_start_at_an_unknown_decryptor_is_refused(sealing_key, canary) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="no decryptor named"):
        build_pipeline(KeyContext()).run([_sealed(sealing_key, canary)], start_at="nonesuch")
