"""``secretsops seal|unseal|keygen sealing|sealing-keys`` end to end, kubesealpy on the other side."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
import yaml
from kubesealpy import SealedSecret, Sealer
from kubesealpy import Unsealer as TheirUnsealer

from tests.helpers import assert_no_canary

SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  pw: {value}\n"
)


def _secret_file(tmp_path, value):
    path = tmp_path / "secret.yaml"
    path.write_text(SECRET.format(value=value))
    return path


def test_seal_then_kubesealpy_unseals(run_cli, kp, tmp_path, canary):
    code, out, err = run_cli("seal", "--cert", str(kp.cert_path), str(_secret_file(tmp_path, canary)))
    assert code == 0, err
    sealed = json.loads(out)
    assert_no_canary(canary, out, err)
    opened = TheirUnsealer([kp.key]).unseal(SealedSecret.model_validate(sealed))
    assert opened.get_data_decoded() == {"pw": canary.encode()}


def test_seal_reads_stdin_and_writes_yaml_with_format_flag(run_cli, kp, canary):
    code, out, _ = run_cli(
        "seal", "--cert", str(kp.cert_path), "-o", "yaml", stdin=SECRET.format(value=canary).encode()
    )
    assert code == 0 and out.startswith(b"---\napiVersion: bitnami.com/v1alpha1\n")


def test_seal_scope_flag(run_cli, kp, tmp_path):
    code, out, _ = run_cli(
        "seal", "--cert", str(kp.cert_path), "--scope", "cluster-wide", str(_secret_file(tmp_path, "x"))
    )
    assert json.loads(out)["metadata"]["annotations"] == {"sealedsecrets.bitnami.com/cluster-wide": "true"}


def test_unseal_prints_the_secret_from_kubesealpy_output(run_cli, keypairs, tmp_path, canary):
    sealed = Sealer(keypairs[1].public).seal("db", "shop", {"pw": canary.encode()})
    path = tmp_path / "sealed.yaml"
    path.write_text(sealed.to_yaml())
    keys = [arg for k in keypairs for arg in ("--private-key", str(k.key_path))]
    code, out, err = run_cli("unseal", *keys, str(path))
    assert code == 0, err
    assert base64.b64decode(json.loads(out)["data"]["pw"]).decode() == canary
    assert_no_canary(canary, err)


def test_unseal_accepts_recovery_flag_name_and_key_secret_backup(run_cli, kp, tmp_path):
    from secretsops.sealed.keypairs import key_secret

    backup = tmp_path / "backup.yaml"
    backup.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [key_secret(kp.key, kp.cert)]})
    )
    sealed = Sealer(kp.public).seal("db", "shop", {"k": b"v"})
    code, out, _ = run_cli(
        "unseal", "--recovery-private-key", str(backup), "-o", "yaml", stdin=sealed.to_yaml().encode()
    )
    assert code == 0 and yaml.safe_load(out.decode().removeprefix("---\n"))["data"] == {"k": "dg=="}


def test_unseal_failure_is_one_line_on_stderr_and_nothing_on_stdout(run_cli, keypairs, tmp_path, canary):
    sealed = Sealer(keypairs[0].public).seal("db", "shop", {"pw": canary.encode()})
    obj = sealed.model_dump(by_alias=True, exclude_none=True)
    obj["metadata"]["namespace"] = "payments"
    code, out, err = run_cli(
        "unseal", "--private-key", str(keypairs[0].key_path), stdin=json.dumps(obj).encode()
    )
    assert code == 1 and out == b""
    assert err.count("\n") == 1 and "sealed strict for shop/db, found in payments/db" in err


def test_raw_prints_base64_without_newline(run_cli, kp, tmp_path):
    value = tmp_path / "value.bin"
    value.write_bytes(b"\x00\x01raw")
    code, out, _ = run_cli(
        "seal",
        "--raw",
        "--cert",
        str(kp.cert_path),
        "--name",
        "db",
        "--namespace",
        "shop",
        "--from-file",
        f"pw={value}",
    )
    assert code == 0 and not out.endswith(b"\n")
    assert TheirUnsealer([kp.key]).unseal_value(base64.b64decode(out), "shop", "db") == b"\x00\x01raw"


def test_raw_strict_scope_needs_a_name(run_cli, kp):
    code, _, err = run_cli("seal", "--raw", "--cert", str(kp.cert_path), stdin=b"x")
    assert code == 1 and "--name" in err


def test_from_file_without_raw_is_a_usage_error(run_cli, kp):
    code, _, err = run_cli("seal", "--cert", str(kp.cert_path), "--from-file", "x")
    assert code == 2 and "--from-file requires --raw" in err


def test_merge_into_updates_the_file_in_place_keeping_format(run_cli, kp, tmp_path):
    run_cli(
        "seal", "--cert", str(kp.cert_path), "-w", str(tmp_path / "db.yaml"), str(_secret_file(tmp_path, "a"))
    )
    target = tmp_path / "db.yaml"
    before = yaml.safe_load(target.read_text())
    new = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\nstringData:\n  extra: b\n"
    code, out, err = run_cli(
        "seal", "--cert", str(kp.cert_path), "--merge-into", str(target), stdin=new.encode()
    )
    assert code == 0, err
    assert target.read_text().startswith("---\n")
    after = yaml.safe_load(target.read_text())
    assert after["spec"]["encryptedData"]["pw"] == before["spec"]["encryptedData"]["pw"]
    opened = TheirUnsealer([kp.key]).unseal(SealedSecret.model_validate(after))
    assert opened.get_data_decoded() == {"pw": b"a", "extra": b"b"}


def test_re_encrypt_offline_with_old_key_and_new_cert(run_cli, keypairs, tmp_path, canary):
    old, new = keypairs[0], keypairs[1]
    run_cli(
        "seal",
        "--cert",
        str(old.cert_path),
        "-w",
        str(tmp_path / "s.json"),
        str(_secret_file(tmp_path, canary)),
    )
    code, out, err = run_cli(
        "seal",
        "--re-encrypt",
        "--private-key",
        str(old.key_path),
        "--cert",
        str(new.cert_path),
        str(tmp_path / "s.json"),
    )
    assert code == 0, err
    assert_no_canary(canary, out, err)
    opened = TheirUnsealer([new.key]).unseal(SealedSecret.model_validate(json.loads(out)))
    assert opened.get_data_decoded() == {"pw": canary.encode()}


def test_several_certs_give_one_annotated_object_per_cluster(run_cli, keypairs, tmp_path):
    code, out, _ = run_cli(
        "seal",
        "--cert",
        str(keypairs[0].cert_path),
        "--cert",
        str(keypairs[1].cert_path),
        "-o",
        "yaml",
        str(_secret_file(tmp_path, "x")),
    )
    docs = list(yaml.safe_load_all(out))
    assert len(docs) == 2
    fps = [d["metadata"]["annotations"]["secretsops.io/sealing-cert-fingerprint"] for d in docs]
    for doc, kp in zip(docs, keypairs[:2], strict=True):
        assert TheirUnsealer([kp.key]).unseal(SealedSecret.model_validate(doc)).get_data_decoded() == {
            "pw": b"x"
        }
    assert len(set(fps)) == 2


def test_validate_with_private_key(run_cli, keypairs, tmp_path):
    sealed = Sealer(keypairs[0].public).seal("db", "shop", {"k": b"v"}).to_yaml().encode()
    assert run_cli("seal", "--validate", "--private-key", str(keypairs[0].key_path), stdin=sealed)[0] == 0
    assert run_cli("seal", "--validate", "--private-key", str(keypairs[1].key_path), stdin=sealed)[0] == 1


def test_fetch_cert_prints_the_certificate(run_cli, kp):
    code, out, _ = run_cli("seal", "--fetch-cert", "--cert", str(kp.cert_path))
    assert code == 0 and out == kp.cert_path.read_bytes()


def test_expired_certificate_is_refused(run_cli, tmp_path):
    import datetime as dt

    from secretsops.sealed.keypairs import cert_pem, generate_key

    _, cert = generate_key(2048, dt.timedelta(days=1), now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    (tmp_path / "old.crt").write_bytes(cert_pem(cert))
    code, _, err = run_cli(
        "seal", "--cert", str(tmp_path / "old.crt"), stdin=SECRET.format(value="x").encode()
    )
    assert code == 1 and "expired certificate" in err


def test_failed_seal_writes_no_output_file(run_cli, kp, tmp_path):
    out_file = tmp_path / "out.yaml"
    code, _, _ = run_cli(
        "seal",
        "--cert",
        str(kp.cert_path),
        "-w",
        str(out_file),
        stdin=b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n",
    )
    assert code == 1 and not out_file.exists()


def test_empty_input_is_an_error(run_cli, kp):
    code, out, err = run_cli("seal", "--cert", str(kp.cert_path), stdin=b"")
    assert code == 1 and out == b"" and "empty input" in err


def test_keygen_writes_key_0600_and_certificate(run_cli, tmp_path):
    code, _, err = run_cli("keygen", "sealing", "--keys-dir", str(tmp_path / "keys"), "--key-size", "2048")
    assert code == 0, err
    key = next((tmp_path / "keys").glob("*.key"))
    assert key.stat().st_mode & 0o777 == 0o600 and key.with_suffix(".crt").exists()


def test_keygen_output_secret_is_a_controller_key_secret(run_cli, tmp_path):
    code, out, _ = run_cli("keygen", "sealing", "--output-secret", "--key-size", "2048")
    obj = yaml.safe_load(out)
    assert obj["type"] == "kubernetes.io/tls"
    assert obj["metadata"]["labels"] == {"sealedsecrets.bitnami.com/sealed-secrets-key": "active"}


def test_sealing_keys_rotate_list_export_round_trip(run_cli, tmp_path):
    keys_dir = str(tmp_path / "keys")
    run_cli("keygen", "sealing", "--keys-dir", keys_dir, "--key-size", "2048")
    code, _, err = run_cli("sealing-keys", "rotate", "--keys-dir", keys_dir, "--key-size", "2048")
    assert code == 0 and "nothing to do" in err
    run_cli("sealing-keys", "rotate", "--keys-dir", keys_dir, "--key-size", "2048", "--force")
    code, out, _ = run_cli("sealing-keys", "list", "--keys-dir", keys_dir)
    lines = out.decode().splitlines()
    assert len(lines) == 3 and lines[1].endswith("sealing") and lines[2].endswith("opening")
    backup = tmp_path / "backup.yaml"
    assert run_cli("sealing-keys", "export", "--keys-dir", keys_dir, "-w", str(backup))[0] == 0
    assert backup.stat().st_mode & 0o777 == 0o600
    assert len(yaml.safe_load(backup.read_text())["items"]) == 2


def test_bad_input_never_prints_a_traceback(tmp_path, kp):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: x}\nspec: 3\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECRETSOPS_")}
    proc = subprocess.run(
        [sys.executable, "-m", "secretsops", "unseal", "--private-key", str(kp.key_path), str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_cert_can_be_fetched_from_a_loopback_url(run_cli, kp, tmp_path):
    import http.server
    import threading

    pem = kp.cert_path.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200 if self.path == "/v1/cert.pem" else 404)
            self.end_headers()
            if self.path == "/v1/cert.pem":
                self.wfile.write(pem)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        code, out, _ = run_cli(
            "seal", "--cert", f"{base}/v1/cert.pem", stdin=SECRET.format(value="x").encode()
        )
        assert code == 0 and TheirUnsealer([kp.key]).unseal(SealedSecret.model_validate(json.loads(out)))
        code, _, err = run_cli("seal", "--cert", f"{base}/missing", stdin=SECRET.format(value="x").encode())
        assert code == 1 and "HTTP 404" in err
    finally:
        server.shutdown()


def test_unseal_reads_kubeseals_concatenated_json_output(run_cli, kp, tmp_path):
    two = "\n".join(SECRET.format(value=v).replace("name: db", f"name: db{v}") for v in ("a", "b"))
    code, out, _ = run_cli(
        "seal",
        "--cert",
        str(kp.cert_path),
        stdin=two.replace("\napiVersion", "\n---\napiVersion", 1).encode(),
    )
    assert code == 0 and out.count(b'"kind": "SealedSecret"') == 2
    code, opened, err = run_cli("unseal", "--private-key", str(kp.key_path), stdin=out)
    assert code == 0, err
    assert opened.count(b'"kind": "Secret"') == 2


def test_seal_reads_tab_indented_json(run_cli, kp):
    doc = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "stringData": {"a": "b"},
        },
        indent="\t",
    )
    assert run_cli("seal", "--cert", str(kp.cert_path), stdin=doc.encode())[0] == 0


def test_sealed_secrets_env_vars_set_flag_defaults_like_kubeseal(run_cli, kp, monkeypatch):
    monkeypatch.setenv("SEALED_SECRETS_CERT", str(kp.cert_path))
    code, out, _ = run_cli("seal", stdin=SECRET.format(value="x").encode())
    assert code == 0 and json.loads(out)["kind"] == "SealedSecret"


def test_unseal_renders_sprig_templates_with_the_go_template_engine(run_cli, kp):
    from secretsops.sealed.sealing import SealOptions, seal_secret

    sealed = seal_secret(
        kp.public,
        {"kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "stringData": {"user": "app"}},
        SealOptions(),
    )
    sealed["spec"]["template"]["data"] = {"dsn": "{{ .user | upper }}@{{ .absent }}"}
    code, out, err = run_cli("unseal", "--private-key", str(kp.key_path), stdin=json.dumps(sealed).encode())
    assert code == 0, err
    assert base64.b64decode(json.loads(out)["data"]["dsn"]) == b"APP@<no value>"


@pytest.mark.parametrize(
    ("field", "value"),
    [("metadata", 5), ("spec", True), ("encryptedData", "x"), ("template", ["a"]), ("template.metadata", 5)],
)
def test_merge_into_a_malformed_sealed_secret_is_a_one_line_error_and_leaves_it(
    run_cli, kp, tmp_path, field, value
):
    target = tmp_path / "db.yaml"
    run_cli("seal", "--cert", str(kp.cert_path), "-w", str(target), str(_secret_file(tmp_path, "a")))
    obj = yaml.safe_load(target.read_text())
    if field in ("metadata", "spec"):
        obj[field] = value
    elif field == "template.metadata":
        obj["spec"]["template"]["metadata"] = value
    else:
        obj["spec"][field] = value
    target.write_text(yaml.safe_dump(obj))
    before = target.read_text()
    new = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\nstringData:\n  extra: b\n"
    code, out, err = run_cli(
        "seal", "--cert", str(kp.cert_path), "--merge-into", str(target), stdin=new.encode()
    )
    text = err.decode() if isinstance(err, bytes) else err
    assert code != 0 and not out
    assert "must be a mapping" in text and text.count("\n") == 1 and "internal error" not in text
    assert target.read_text() == before


def test_unwritable_output_paths_are_one_line_errors(run_cli, kp, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for args in (
        (
            "seal",
            "--cert",
            str(kp.cert_path),
            "-w",
            str(tmp_path / "missing" / "s.yaml"),
            str(_secret_file(tmp_path, "a")),
        ),
        ("keygen", "sealing", "--keys-dir", str(blocker / "keys"), "--key-size", "2048"),
        ("keygen", "sealing", "--output-secret", str(tmp_path / "missing" / "k.yaml"), "--key-size", "2048"),
    ):
        code, out, err = run_cli(*args)
        text = err.decode() if isinstance(err, bytes) else err
        assert code != 0 and not out
        assert "cannot write" in text and text.count("\n") == 1 and "internal error" not in text
