"""`kubectl secretsops …`: the installed `kubectl-secretsops` run by the real kubectl, and the Krew
manifest's archive (rebuilt reproducibly, its sha256 checked)."""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from secretsops.sealed.keypairs import cert_pem, generate_key, private_key_pem
from tests.integrations.conftest import VENV_BIN, SopsAge, child_env, tool_path

KUBECTL_DIR = Path(__file__).resolve().parents[2] / "plugins" / "kubectl"
PROXY = "/api/v1/namespaces/kube-system/services"


def kubectl(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool_path("kubectl"), *args],
        input=stdin,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def sealing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """(private key file, certificate PEM) of a sealed-secrets key pair."""
    key, cert = generate_key(2048)
    path = tmp_path_factory.mktemp("sealing") / "active.key"
    path.write_bytes(private_key_pem(key))
    return path, cert_pem(cert)


@pytest.fixture
def cluster(sealing_key: tuple[Path, bytes], tmp_path: Path) -> Iterator[Path]:
    """A kubeconfig for a loopback stand-in API server that proxies to a sealed-secrets controller
    the way kubeseal --fetch-cert reaches it (the real kube-apiserver will not proxy to loopback)."""
    cert = sealing_key[1]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == f"{PROXY}/sealed-secrets-controller":
                body, ctype = (
                    json.dumps(
                        {
                            "kind": "Service",
                            "apiVersion": "v1",
                            "metadata": {"name": "sealed-secrets-controller"},
                            "spec": {"ports": [{"name": "http", "port": 8080}]},
                        }
                    ).encode(),
                    "application/json",
                )
            elif self.path == f"{PROXY}/http:sealed-secrets-controller:http/proxy/v1/cert.pem":
                body, ctype = cert, "application/x-pem-file"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": url}}],
        "users": [{"name": "c", "user": {}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c", "namespace": "shop"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    yield path
    server.shutdown()


def test_the_package_installs_the_plugin_kubectl_finds(tmp_path):
    out = kubectl("plugin", "list", PATH=f"{VENV_BIN}:/usr/bin:/bin")
    assert str(VENV_BIN / "kubectl-secretsops") in out.stdout, out.stdout + out.stderr


def test_kubectl_secretsops_seal_uses_the_clusters_certificate(cluster, sealing_key, canary):
    secret = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {canary}\n"
    sealed = kubectl("secretsops", "seal", stdin=secret, KUBECONFIG=str(cluster))
    assert sealed.returncode == 0, sealed.stderr
    assert canary not in sealed.stdout
    assert json.loads(sealed.stdout)["metadata"]["namespace"] == "shop"  # the context's namespace
    opened = kubectl("secretsops", "unseal", "--private-key", str(sealing_key[0]), stdin=sealed.stdout)
    assert opened.returncode == 0, opened.stderr
    assert base64.b64decode(json.loads(opened.stdout)["data"]["password"]).decode() == canary


def test_kubectl_secretsops_render_decrypts_a_sops_file(tmp_path, sops_age: SopsAge, canary):
    secret = tmp_path / "app" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n"
        f"stringData:\n  pw: {canary}\n"
    )
    sops_age.encrypt(secret)
    out = kubectl("secretsops", "render", str(secret.parent), SOPS_AGE_KEY=sops_age.identity)
    assert out.returncode == 0, out.stderr
    assert f"pw: {canary}" in out.stdout


def test_a_command_the_plugin_does_not_offer_is_a_usage_error():
    out = kubectl("secretsops", "encrypt", "x.yaml")
    assert out.returncode == 2
    assert "unknown command 'encrypt'" in out.stderr


def test_krew_manifest_names_the_archive_build_krew_archive_sh_makes(tmp_path):
    archive = tmp_path / "kubectl-secretsops.tar.gz"
    built = subprocess.run(
        [str(KUBECTL_DIR / "build-krew-archive.sh"), str(archive)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    manifest = yaml.safe_load((KUBECTL_DIR / "secretsops.yaml").read_text())
    (platform,) = manifest["spec"]["platforms"]
    assert platform["sha256"] == built.stdout.strip()
    assert platform["bin"] in {f["from"] for f in platform["files"]}
    listed = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True, check=True)
    assert set(listed.stdout.split()) == {f["from"] for f in platform["files"]}


def test_the_krew_shim_runs_the_installed_package(tmp_path):
    out = subprocess.run(
        [str(KUBECTL_DIR / "kubectl-secretsops"), "--help"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "usage: kubectl secretsops COMMAND" in out.stdout
