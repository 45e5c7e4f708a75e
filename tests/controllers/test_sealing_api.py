"""Key renewal and the sealed-secrets HTTP API (/v1/cert.pem, /v1/verify, /v1/rotate) of the controller."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from kubesealpy import Sealer
from kubesealpy.certificate import load_certificate_from_url_sync

from secretsops.controllers.manager import Manager
from secretsops.errors import KubeRejected, SecretsOpsError
from secretsops.sealed.keypairs import KEY_LABEL, generate_key, key_from_secret, key_secret
from secretsops.sealed.unsealing import Unsealer
from tests.controllers.conftest import Cluster, eventually, running
from tests.controllers.service_proxy import ServiceProxy, service_proxy

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _key_secrets(cluster: Cluster) -> list[dict]:
    return cluster.kube.list_objects("v1", "Secret", "kube-system", f"{KEY_LABEL}=active")


def _post(url: str, body: dict) -> tuple[int, bytes]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback test server
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_cluster_without_a_key_gets_one_with_bitnamis_label(cluster: Cluster) -> None:
    with running(cluster, controllers=("sealedsecrets",)):
        [secret] = eventually(lambda: _key_secrets(cluster), what="a key Secret")
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"]["name"].startswith("sealed-secrets-key")
    assert set(secret["data"]) == {"tls.crt", "tls.key"}


def test_a_key_older_than_the_renew_period_gets_a_successor(cluster: Cluster) -> None:
    old_key, old_cert = generate_key(2048, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    cluster.namespace("kube-system")
    cluster.kube.create(key_secret(old_key, old_cert, "kube-system"))
    with running(cluster, controllers=("sealedsecrets",), key_renew_period=dt.timedelta(days=30)):
        eventually(lambda: len(_key_secrets(cluster)) == 2, what="a renewed key")


def test_a_key_within_the_renew_period_is_kept_alone(cluster: Cluster) -> None:
    cluster.sealing_key()
    with running(cluster, controllers=("sealedsecrets",), key_renew_period=dt.timedelta(days=30)) as manager:
        eventually(lambda: manager.keyring is not None and manager.keyring.current(), what="keyring loaded")
    assert len(_key_secrets(cluster)) == 1


def test_kubeseal_fetches_the_certificate_and_its_seal_opens_in_the_controller(cluster: Cluster) -> None:
    cluster.sealing_key()
    with running(
        cluster, controllers=("sealedsecrets",), metrics_port=0, bind_address="127.0.0.1"
    ) as manager:
        url = eventually(lambda: manager.server and manager.server.url, what="HTTP API")
        eventually(manager.keyring.current, what="keyring loaded")
        _cert, public = load_certificate_from_url_sync(f"{url}/v1/cert.pem")
        sealed = Sealer(public).seal("db", "shop", {"password": b"hunter2"})
        cluster.create(sealed.model_dump(by_alias=True, exclude_none=True))
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "hunter2"}, what="Secret")


def test_verify_says_200_for_a_sealed_secret_that_opens_and_409_for_one_that_does_not(
    cluster: Cluster,
) -> None:
    ours = cluster.seal("shop", "db", {"password": "hunter2"})
    stranger_key, _ = generate_key(2048)
    theirs = Sealer(stranger_key.public_key()).seal("db", "shop", {"password": b"x"})
    with running(
        cluster, controllers=("sealedsecrets",), metrics_port=0, bind_address="127.0.0.1"
    ) as manager:
        url = eventually(lambda: manager.server and manager.server.url, what="HTTP API")
        eventually(manager.keyring.current, what="keyring loaded")
        assert _post(f"{url}/v1/verify", ours)[0] == 200
        assert _post(f"{url}/v1/verify", theirs.model_dump(by_alias=True, exclude_none=True))[0] == 409


def test_rotate_reseals_for_the_newest_key(cluster: Cluster) -> None:
    cluster.sealing_key(age=dt.timedelta(days=1))
    sealed = cluster.seal("shop", "db", {"password": "hunter2"})
    newest = cluster.sealing_key()
    with running(
        cluster, controllers=("sealedsecrets",), metrics_port=0, bind_address="127.0.0.1"
    ) as manager:
        url = eventually(lambda: manager.server and manager.server.url, what="HTTP API")
        eventually(lambda: len(manager.keyring.current()) == 2, what="keyring loaded")
        status, body = _post(f"{url}/v1/rotate", sealed)
    assert status == 200
    rotated = json.loads(body)
    secret = Unsealer([newest]).unseal(rotated)
    assert secret["data"] == {"password": "aHVudGVyMg=="}


def test_metrics_are_served_with_the_bitnami_and_eso_names(cluster: Cluster) -> None:
    cluster.create(cluster.seal("shop", "db", {"password": "hunter2"}))
    with running(cluster, metrics_port=0, bind_address="127.0.0.1") as manager:
        url = eventually(lambda: manager.server and manager.server.url, what="HTTP API")
        eventually(lambda: cluster.secret("shop", "db"), what="Secret")
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:  # noqa: S310
            text = resp.read().decode()
    assert "sealed_secrets_controller_unseal_requests_total" in text
    assert "secretsops_controller_reconciles_total" in text


def _kubeseal() -> str:
    from tests.realkube import tool

    return tool("kubeseal")


def test_the_real_kubeseal_fetches_the_certificate_and_seals_for_the_controller(
    cluster: Cluster, tmp_path: Path
) -> None:
    """kubeseal (built from its Go module) reads /v1/cert.pem by URL; what it seals opens in the controller.

    --validate and --re-encrypt reach a controller only through the API server's service proxy, whose
    Endpoints may not point at loopback addresses; the same endpoints are tested over HTTP above.
    """
    cluster.sealing_key()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}}
    secret["stringData"] = {"password": "hunter2"}
    with running(
        cluster, controllers=("sealedsecrets",), metrics_port=0, bind_address="127.0.0.1"
    ) as manager:
        url = eventually(lambda: manager.server and manager.server.url, what="HTTP API")
        eventually(manager.keyring.current, what="keyring loaded")
        env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}
        fetched = subprocess.run(
            [_kubeseal(), "--fetch-cert", "--cert", f"{url}/v1/cert.pem"],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        assert fetched.stdout.startswith(b"-----BEGIN CERTIFICATE-----")
        (tmp_path / "cert.pem").write_bytes(fetched.stdout)
        sealed = subprocess.run(
            [_kubeseal(), "--cert", str(tmp_path / "cert.pem"), "-o", "json"],
            input=json.dumps(secret).encode(),
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        cluster.create(json.loads(sealed.stdout))
        eventually(lambda: cluster.secret_values("shop", "db") == {"password": "hunter2"}, what="Secret")


def test_a_standby_replica_serves_the_certificate_too(cluster: Cluster) -> None:
    cluster.namespace("secretsops-system")
    cluster.sealing_key()
    flags = {"controllers": ("sealedsecrets",), "leader_elect": True, "lease_duration": 3.0}
    web = {"metrics_port": 0, "bind_address": "127.0.0.1"}
    with running(cluster, **flags) as leader:
        eventually(lambda: leader.elector is not None and leader.elector.is_leader(), what="a leader")
        with running(cluster, **flags, **web) as standby:
            url = eventually(lambda: standby.server and standby.server.url, what="HTTP API")
            eventually(standby.keyring.current, what="keyring loaded")
            eventually(lambda: standby.elector is not None, what="campaigning")
            assert not standby.leading()
            with urllib.request.urlopen(f"{url}/v1/cert.pem", timeout=10) as resp:  # noqa: S310
                assert resp.read().startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_api_server_refuses_loopback_endpoints_so_the_service_proxy_cannot_reach_a_local_controller(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Why `kubeseal --validate`/`--re-encrypt` go through a loopback stand-in for the service proxy.

    kube-apiserver proxies a Service only to an Endpoints address that (1) passes ValidateEndpointIP
    (no 127.0.0.0/8, ::1, link-local or unspecified address) and (2) is the IP of the Pod its
    targetRef names. A controller on 127.0.0.1 can satisfy neither; should a future API server accept
    loopback Endpoints, this fails and the proxy path can be tested for real. Meanwhile the real
    kubeseal finds our Service's port by itself and reaches the API server's proxy, which answers
    that the Service has no endpoint it may proxy to. The kubeseal tests below
    (``test_the_real_kubeseal_validates_...``, ``test_the_real_kubeseal_re_encrypts_...``) therefore
    put ``tests/controllers/service_proxy.py`` in front of this API server: it stands in for the
    service proxy alone and forwards every other request, e.g. kubeseal's lookup of the Service.
    """
    ns = f"sealing-proxy-{uuid.uuid4().hex[:6]}"
    cluster.namespace(ns)
    service = yaml.safe_load((DEPLOY / "components/controllers/service.yaml").read_text())
    service["metadata"]["namespace"] = ns
    cluster.create(service)
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "secretsops-sealing", "namespace": ns},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 8080}]}],
    }
    with pytest.raises(KubeRejected) as refused:
        cluster.create(endpoints)
    assert refused.value.status == 422
    endpoints.pop("subsets")  # what is left: a Service whose Endpoints hold no address
    cluster.create(endpoints)
    sealed = cluster.seal(ns, "db", {"password": "hunter2"})
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"], "KUBECONFIG": str(cluster.kubeconfig)}
    argv = [
        _kubeseal(),
        "--validate",
        "--controller-namespace",
        ns,
        "--controller-name",
        "secretsops-sealing",
    ]
    done = subprocess.run(
        argv, input=json.dumps(sealed).encode(), env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert b"no endpoints available" in done.stderr


def _sealing_service(namespace: str) -> dict:
    service = yaml.safe_load((DEPLOY / "components/controllers/service.yaml").read_text())
    service["metadata"]["namespace"] = namespace
    return dict(service)


@contextmanager
def _kubeseal_through_the_service_proxy(
    cluster: Cluster, tmp_path: Path, namespace: str, **settings: object
) -> Iterator[tuple[Manager, ServiceProxy, dict[str, str]]]:
    """The deployed Service in ``namespace``, the controller serving its HTTP API on loopback, and the
    environment in which kubeseal's kubeconfig reaches the real API server through the stand-in proxy."""
    service = _sealing_service(namespace)
    cluster.create(service)
    with running(
        cluster, controllers=("sealedsecrets",), metrics_port=0, bind_address="127.0.0.1", **settings
    ) as manager:
        url = eventually(lambda: manager.server and manager.server.url, what="HTTP API")
        eventually(manager.keyring.current, what="keyring loaded")
        with service_proxy(cluster.kubeconfig, service, url, cluster.serving_pair) as proxy:
            kubeconfig = proxy.write_kubeconfig(tmp_path / "kubeconfig-proxied")
            env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"], "KUBECONFIG": str(kubeconfig)}
            yield manager, proxy, env


def _kubeseal_on(namespace: str, *flags: str) -> list[str]:
    return [
        _kubeseal(),
        *flags,
        "--controller-namespace",
        namespace,
        "--controller-name",
        "secretsops-sealing",
    ]


def _reached_through_the_proxy(proxy: ServiceProxy, namespace: str, endpoint: str) -> bool:
    """kubeseal read the Service from the real API server and then reached ``endpoint`` via its proxy."""
    service_path = f"/api/v1/namespaces/{namespace}/services/secretsops-sealing"
    looked_up = any(r.path == service_path and r.status == 200 for r in proxy.to("apiserver"))
    proxied = f"{service_path.replace('secretsops-sealing', 'http:secretsops-sealing:http')}/proxy{endpoint}"
    return looked_up and any(r.path == proxied for r in proxy.to("controller"))


def test_the_real_kubeseal_validates_a_sealed_secret_that_opens_in_the_controller(
    cluster: Cluster, tmp_path: Path
) -> None:
    ns = f"sealing-validate-{uuid.uuid4().hex[:6]}"
    sealed = cluster.seal(ns, "db", {"password": "hunter2"})
    with _kubeseal_through_the_service_proxy(cluster, tmp_path, ns) as (_manager, proxy, env):
        done = subprocess.run(
            _kubeseal_on(ns, "--validate"),
            input=json.dumps(sealed).encode(),
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    assert _reached_through_the_proxy(proxy, ns, "/v1/verify")


def test_the_real_kubeseal_rejects_a_sealed_secret_sealed_with_another_key(
    cluster: Cluster, tmp_path: Path
) -> None:
    ns = f"sealing-validate-{uuid.uuid4().hex[:6]}"
    cluster.sealing_key()
    stranger_key, _ = generate_key(2048)
    theirs = Sealer(stranger_key.public_key()).seal("db", ns, {"password": b"x"})
    with _kubeseal_through_the_service_proxy(cluster, tmp_path, ns) as (_manager, proxy, env):
        done = subprocess.run(
            _kubeseal_on(ns, "--validate"),
            input=json.dumps(theirs.model_dump(by_alias=True, exclude_none=True)).encode(),
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.returncode != 0
    assert b"unable to decrypt sealed secret: db" in done.stderr
    assert _reached_through_the_proxy(proxy, ns, "/v1/verify")


def test_the_real_kubeseal_re_encrypts_for_the_key_the_controller_renewed(
    cluster: Cluster, tmp_path: Path
) -> None:
    ns = f"sealing-rotate-{uuid.uuid4().hex[:6]}"
    old = cluster.sealing_key(age=dt.timedelta(days=40))
    sealed = cluster.seal(ns, "db", {"password": "hunter2"})
    renewal = {"key_renew_period": dt.timedelta(days=30)}
    with _kubeseal_through_the_service_proxy(cluster, tmp_path, ns, **renewal) as (manager, proxy, env):
        [renewed] = eventually(
            lambda: [s for s in _key_secrets(cluster) if s["metadata"]["name"] != old.name],
            what="a renewed key",
        )
        newest = key_from_secret(renewed, "renewed key")
        eventually(lambda: manager.keyring.newest().fingerprint == newest.fingerprint, what="renewal loaded")
        (tmp_path / "old.json").write_text(json.dumps(sealed))
        with (tmp_path / "old.json").open("rb") as old_json, (tmp_path / "new.json").open("wb") as new_json:
            done = subprocess.run(  # kubeseal --re-encrypt ... < old.json > new.json
                [*_kubeseal_on(ns, "--re-encrypt"), "-o", "json"],
                stdin=old_json,
                stdout=new_json,
                stderr=subprocess.PIPE,
                env=env,
                timeout=60,
                check=False,
            )
    assert done.returncode == 0, done.stderr.decode()
    assert _reached_through_the_proxy(proxy, ns, "/v1/rotate")
    rotated = json.loads((tmp_path / "new.json").read_text())
    assert Unsealer([newest]).unseal(rotated)["data"] == {"password": "aHVudGVyMg=="}
    with pytest.raises(SecretsOpsError):
        Unsealer([old]).unseal(rotated)
