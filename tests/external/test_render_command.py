"""``secretsops render DIR``: the whole pipeline on a directory, against OpenBao and the real sops."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pyrage
import pytest
import yaml

from secretsops.cli.main import main
from secretsops.decryptors.base import DecryptContext, DecryptFailed, run_decryptors
from secretsops.decryptors.external import ExternalDecryptor
from secretsops.manifests import SourcedObject, dump_yaml
from tests.external import eso_schema
from tests.external.manifests import external_secret, token_secret, vault_store
from tests.helpers import assert_no_canary


def _write(dir_: Path, name: str, *objs: dict) -> None:
    for obj in objs:
        eso_schema.validate(obj)
    (dir_ / name).write_text(dump_yaml(list(objs)))


@pytest.fixture
def app_dir(tmp_path: Path, bao, openbao, uniq, canary) -> Path:
    bao.secrets.kv.v2.create_or_update_secret(
        f"{uniq}/db", {"password": canary, "user": "app"}, mount_point="secret"
    )
    d = tmp_path / "app"
    d.mkdir()
    _write(d, "store.yaml", vault_store(openbao.url))
    _write(d, "token.yaml", token_secret("vault-token", openbao.token))
    _write(
        d,
        "es.yaml",
        external_secret(
            data=[
                {"secretKey": "password", "remoteRef": {"key": f"{uniq}/db", "property": "password"}},
                {"secretKey": "user", "remoteRef": {"key": f"{uniq}/db", "property": "user"}},
            ]
        ),
    )
    _write(
        d,
        "cm.yaml",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "plain", "namespace": "apps"},
            "data": {"k": "v"},
        },
    )
    return d


def test_render_replaces_external_secret_and_consumes_store(app_dir, capsys, canary) -> None:
    assert main(["render", str(app_dir)]) == 0
    out = list(yaml.safe_load_all(capsys.readouterr().out))
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in out)
    assert kinds == [("ConfigMap", "plain"), ("Secret", "app-db-secret"), ("Secret", "vault-token")]
    secret = next(o for o in out if o["metadata"]["name"] == "app-db-secret")
    assert base64.b64decode(secret["data"]["password"]).decode() == canary


def test_render_redact_shows_keys_and_fingerprints_only(app_dir, capsys, canary, openbao) -> None:
    assert main(["render", str(app_dir), "--redact", "-o", "json"]) == 0
    out = capsys.readouterr().out
    assert '"password": "<redacted, fp ' in out and '"user": "<redacted, fp ' in out
    assert '"reconcile.external-secrets.io/data-hash": "<redacted, fp ' in out
    assert_no_canary(canary, out)
    assert_no_canary(base64.b64encode(canary.encode()).decode(), out)
    assert_no_canary(base64.b64encode(openbao.token.encode()).decode(), out)


def test_render_failure_prints_nothing_and_names_the_remote_key(app_dir, capsys, uniq, canary) -> None:
    _write(
        app_dir,
        "broken.yaml",
        external_secret(
            "broken",
            data=[
                {"secretKey": "x", "remoteRef": {"key": f"{uniq}/absent", "property": "x"}},
            ],
        ),
    )
    assert main(["render", str(app_dir)]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        f"{uniq}/absent" in captured.err and "ExternalSecret.external-secrets.io/apps/broken" in captured.err
    )
    assert "Traceback" not in captured.err
    assert_no_canary(canary, captured.err)


def test_store_token_may_be_sops_encrypted(
    tmp_path, bao, openbao, uniq, canary, sops_bin, monkeypatch, capsys
) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/s", {"v": canary}, mount_point="secret")
    identity = pyrage.x25519.Identity.generate()
    keyfile = tmp_path / "age.key"
    keyfile.write_text(str(identity) + "\n")
    d = tmp_path / "enc"
    d.mkdir()
    plain = tmp_path / "token.yaml"
    plain.write_text(dump_yaml([token_secret("vault-token", openbao.token)]))
    enc = subprocess.run(
        [
            sops_bin,
            "--encrypt",
            "--age",
            str(identity.to_public()),
            "--encrypted-regex",
            "^(data|stringData)$",
            str(plain),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    plain.unlink()
    (d / "token.enc.yaml").write_text(enc)
    assert openbao.token.encode() not in (d / "token.enc.yaml").read_bytes()
    _write(d, "store.yaml", vault_store(openbao.url))
    _write(
        d,
        "es.yaml",
        external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/s", "property": "v"}}]),
    )
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keyfile))
    assert main(["render", str(d)]) == 0
    out = list(yaml.safe_load_all(capsys.readouterr().out))
    secret = next(o for o in out if o["metadata"]["name"] == "app-db-secret")
    assert base64.b64decode(secret["data"]["v"]).decode() == canary


def test_decryptor_reads_each_path_once_per_pass(bao, openbao, uniq) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/shared", {"a": "1", "b": "2"}, mount_point="secret")
    items = [
        SourcedObject(vault_store(openbao.url)),
        SourcedObject(token_secret("vault-token", openbao.token)),
    ]
    for n in range(3):
        items.append(
            SourcedObject(
                external_secret(
                    f"es{n}",
                    data=[
                        {"secretKey": "a", "remoteRef": {"key": f"{uniq}/shared", "property": "a"}},
                        {"secretKey": "b", "remoteRef": {"key": f"{uniq}/shared", "property": "b"}},
                    ],
                )
            )
        )
    ctx = DecryptContext()
    for _ in range(2):
        out = run_decryptors(items, [ExternalDecryptor()], ctx)
        assert [o.obj["kind"] for o in out] == ["Secret", "Secret", "Secret", "Secret"]
    assert ctx.calls == {"vault.read": 2}


def test_decryptor_failure_names_file_and_object(openbao, uniq) -> None:
    items = [
        SourcedObject(vault_store(openbao.url), "store.yaml"),
        SourcedObject(token_secret("vault-token", openbao.token), "token.yaml"),
        SourcedObject(
            external_secret(data=[{"secretKey": "a", "remoteRef": {"key": f"{uniq}/none"}}]), "es.yaml"
        ),
    ]
    with pytest.raises(DecryptFailed, match=r"es.yaml: ExternalSecret.external-secrets.io/apps/app-db"):
        run_decryptors(items, [ExternalDecryptor()], DecryptContext())


def test_external_secrets_and_stores_count_as_protected() -> None:
    dec = ExternalDecryptor()
    es = external_secret(data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    assert dec.claims(es) and dec.is_protected(es)
    assert dec.claims(vault_store("http://127.0.0.1:1"))
    assert not dec.claims(token_secret("t", "x"))


def test_store_token_may_be_a_sealed_secret(tmp_path, bao, openbao, uniq, canary, capsys) -> None:
    from secretsops.sealed.keypairs import generate_key, private_key_pem
    from secretsops.sealed.sealing import new_sealed_secret

    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/s", {"v": canary}, mount_point="secret")
    key, _cert = generate_key(key_size=2048)
    (tmp_path / "sealing.key").write_bytes(private_key_pem(key))
    d = tmp_path / "sealed"
    d.mkdir()
    sealed = new_sealed_secret(key.public_key(), token_secret("vault-token", openbao.token))
    (d / "token.sealed.yaml").write_text(dump_yaml([sealed]))
    _write(d, "store.yaml", vault_store(openbao.url))
    _write(
        d,
        "es.yaml",
        external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/s", "property": "v"}}]),
    )
    assert main(["render", str(d), "--private-key", str(tmp_path / "sealing.key"), "--redact"]) == 0
    out = capsys.readouterr().out
    docs = list(yaml.safe_load_all(out))
    assert sorted(o["metadata"]["name"] for o in docs) == ["app-db-secret", "vault-token"]
    assert_no_canary(canary, out)
    assert_no_canary(openbao.token, out)


def test_render_builds_a_kustomization(tmp_path, bao, openbao, uniq, capsys) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/k", {"v": "kustomized"}, mount_point="secret")
    d = tmp_path / "kust"
    d.mkdir()
    store = vault_store(
        openbao.url,
        name="global",
        kind="ClusterSecretStore",
        auth={"tokenSecretRef": {"name": "vault-token", "namespace": "apps", "key": "token"}},
    )
    _write(d, "store.yaml", store)
    _write(d, "token.yaml", token_secret("vault-token", openbao.token))
    es = external_secret(
        store="global",
        store_kind="ClusterSecretStore",
        data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/k", "property": "v"}}],
    )
    del es["metadata"]["namespace"]
    _write(d, "es.yaml", es)
    (d / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: apps\n"
        "resources: [store.yaml, token.yaml, es.yaml]\n"
    )
    assert main(["render", str(d)]) == 0
    out = list(yaml.safe_load_all(capsys.readouterr().out))
    secret = next(o for o in out if o["metadata"]["name"] == "app-db-secret")
    assert secret["metadata"]["namespace"] == "apps"
    assert base64.b64decode(secret["data"]["v"]) == b"kustomized"


def test_no_answer_outlives_the_pass_in_the_context_cache(bao, openbao, uniq, canary) -> None:
    bao.secrets.kv.v2.create_or_update_secret(f"{uniq}/p", {"v": canary}, mount_point="secret")
    items = [
        SourcedObject(vault_store(openbao.url)),
        SourcedObject(token_secret("vault-token", openbao.token)),
        SourcedObject(
            external_secret(data=[{"secretKey": "v", "remoteRef": {"key": f"{uniq}/p", "property": "v"}}])
        ),
    ]
    ctx = DecryptContext()
    run_decryptors(items, [ExternalDecryptor()], ctx)
    assert ctx.scratch.external_pass is None
    assert ctx.cache.external is not None and not ctx.cache.external.providers
    assert canary not in repr(ctx.cache.external.connections)
    with pytest.raises(DecryptFailed):
        run_decryptors(
            items
            + [
                SourcedObject(
                    external_secret("bad", data=[{"secretKey": "a", "remoteRef": {"key": "none/x"}}])
                )
            ],
            [ExternalDecryptor()],
            ctx,
        )
    assert ctx.scratch.external_pass is None and not ctx.cache.external.providers
