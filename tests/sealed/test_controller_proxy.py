"""kubeseal's conversation with the controller through the API server's service proxy.

The Kubernetes API test server does not proxy to services, so a loopback stand-in plays API server
+ controller here: it checks that requests take kubeseal's paths (the Service is read for its port
name, then ``/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/v1/{cert.pem,verify,rotate}``).
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest
import yaml

from secretsops.sealed.sealing import SealOptions, seal_secret
from secretsops.sealed.unsealing import Unsealer, re_encrypt

from .conftest import secret

PREFIX = "/api/v1/namespaces/kube-system/services"


@pytest.fixture
def controller(keypairs, tmp_path):
    """(kubeconfig path, request log) of a stand-in API server proxying to a sealed-secrets controller."""
    old, new = keypairs[0], keypairs[1]
    log: list[tuple[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, code, body=b"", ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            log.append(("GET", self.path))
            if self.path == f"{PREFIX}/sealed-secrets-controller":
                svc = {
                    "kind": "Service",
                    "apiVersion": "v1",
                    "metadata": {"name": "sealed-secrets-controller"},
                    "spec": {"ports": [{"name": "http", "port": 8080}]},
                }
                return self._send(200, json.dumps(svc).encode())
            if self.path == f"{PREFIX}/http:sealed-secrets-controller:http/proxy/v1/cert.pem":
                return self._send(200, new.cert_path.read_bytes(), "application/x-pem-file")
            return self._send(404, b'{"kind":"Status","code":404}')

        def do_POST(self):  # noqa: N802
            log.append(("POST", self.path))
            sealed = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ring = Unsealer([old.sealing_key(), new.sealing_key()])
            if self.path.endswith("/proxy/v1/verify"):
                try:
                    ring.unseal(sealed)
                except Exception:
                    return self._send(409)
                return self._send(200)
            if self.path.endswith("/proxy/v1/rotate"):
                out = re_encrypt(sealed, ring, new.public)
                out.pop("kind"), out.pop("apiVersion")
                out["metadata"]["generation"] = 4
                return self._send(200, json.dumps(out).encode())
            return self._send(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": url}}],
                "users": [{"name": "c", "user": {}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c", "namespace": "team"}}],
            }
        )
    )
    yield kubeconfig, log
    server.shutdown()


def test_seal_without_cert_fetches_it_through_the_service_proxy(run_cli, controller, keypairs):
    kubeconfig, log = controller
    code, out, err = run_cli(
        "seal",
        "--kubeconfig",
        str(kubeconfig),
        stdin=b"kind: Secret\nmetadata: {name: db}\nstringData: {a: b}\n",
    )
    assert code == 0, err
    sealed = json.loads(out)
    assert sealed["metadata"]["namespace"] == "team"  # the kubeconfig context's namespace
    assert Unsealer([keypairs[1].sealing_key()]).unseal(sealed)["data"] == {"a": "Yg=="}
    assert log[-1] == ("GET", f"{PREFIX}/http:sealed-secrets-controller:http/proxy/v1/cert.pem")


def test_fetch_cert_prints_the_controllers_certificate(run_cli, controller, keypairs):
    code, out, _ = run_cli("seal", "--fetch-cert", "--kubeconfig", str(controller[0]))
    assert code == 0 and out == keypairs[1].cert_path.read_bytes()


def test_validate_asks_the_controller(run_cli, controller, keypairs):
    good = seal_secret(keypairs[0].public, secret(stringData={"a": "b"}), SealOptions())
    bad = seal_secret(keypairs[2].public, secret(stringData={"a": "b"}), SealOptions())
    assert (
        run_cli("seal", "--validate", "--kubeconfig", str(controller[0]), stdin=json.dumps(good).encode())[0]
        == 0
    )
    code, _, err = run_cli(
        "seal", "--validate", "--kubeconfig", str(controller[0]), stdin=json.dumps(bad).encode()
    )
    assert code == 1 and "unable to decrypt sealed secret: db" in err
    assert ("POST", f"{PREFIX}/http:sealed-secrets-controller:http/proxy/v1/verify") in controller[1]


def test_re_encrypt_without_private_key_asks_the_controller(run_cli, controller, keypairs):
    old = seal_secret(keypairs[0].public, secret(stringData={"a": "b"}), SealOptions())
    code, out, err = run_cli(
        "seal",
        "--re-encrypt",
        "--kubeconfig",
        str(controller[0]),
        "-o",
        "yaml",
        stdin=json.dumps(old).encode(),
    )
    assert code == 0, err
    rotated = yaml.safe_load(out.decode().removeprefix("---\n"))
    assert rotated["kind"] == "SealedSecret" and "generation" not in rotated["metadata"]
    assert Unsealer([keypairs[1].sealing_key()]).unseal(rotated)["data"] == {"a": "Yg=="}


def test_missing_controller_service_points_at_the_flags(run_cli, controller):
    code, _, err = run_cli(
        "seal",
        "--kubeconfig",
        str(controller[0]),
        "--controller-name",
        "nope",
        stdin=b"kind: Secret\nmetadata: {name: db}\nstringData: {a: b}\n",
    )
    assert code == 1 and "--controller-name and --controller-namespace" in err
