"""Fixtures for the controllers: a cluster with our CRDs, sealing keys, objects as kubectl creates them."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.controllers.manager import ControllerSettings, Manager
from secretsops.kube.client import KubeClient
from secretsops.manifests import Obj
from secretsops.sealed.keypairs import SealingKey, generate_key, key_secret
from secretsops.sealed.sealing import SealOptions, seal_secret

CRDS = Path(__file__).resolve().parents[2] / "deploy" / "crds"
KEY_NAMESPACE = "kube-system"


def crd_documents() -> list[Obj]:
    docs: list[Obj] = []
    for path in sorted(CRDS.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


@dataclass
class Cluster:
    """The API server under test, as the controllers and a user with kubectl see it."""

    kube: KubeClient
    kubeconfig: Path
    #: the API server's TLS certificate and key (for a loopback stand-in in front of it)
    serving_pair: tuple[Path, Path]
    keys: list[SealingKey] = field(default_factory=list)

    def namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        if self.kube.get("v1", "Namespace", "", name) is None:
            meta: dict[str, Any] = {"name": name}
            if labels:
                meta["labels"] = labels
            self.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})

    def create(self, obj: Obj) -> Obj:
        ns = (obj.get("metadata") or {}).get("namespace")
        if ns:
            self.namespace(str(ns))
        return self.kube.create(obj)

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        return self.kube.get(api_version, kind, namespace, name)

    def secret(self, namespace: str, name: str) -> Obj | None:
        return self.kube.get("v1", "Secret", namespace, name)

    def secret_values(self, namespace: str, name: str) -> dict[str, str]:
        secret = self.secret(namespace, name) or {}
        return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}

    def sealing_key(self, bits: int = 2048, age: dt.timedelta = dt.timedelta(0)) -> SealingKey:
        """A key Secret as the Bitnami controller writes it, in kube-system (made ``age`` ago)."""
        key, cert = generate_key(bits, now=dt.datetime.now(dt.UTC) - age)
        self.namespace(KEY_NAMESPACE)
        created = self.kube.create(key_secret(key, cert, KEY_NAMESPACE))
        sk = SealingKey(key, f"secret {created['metadata']['name']}", cert, created["metadata"]["name"])
        self.keys.insert(0, sk)
        return sk

    def seal(self, namespace: str, name: str, values: dict[str, str], **meta: Any) -> Obj:
        """What ``kubeseal`` makes of a Secret (strict scope unless annotated otherwise)."""
        secret: Obj = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace, **meta},
            "stringData": values,
        }
        key = self.keys[0] if self.keys else self.sealing_key()
        return seal_secret(key.private_key.public_key(), secret, SealOptions(namespace=namespace))

    def manager(self, env: dict[str, str] | None = None, **settings: Any) -> Manager:
        """The controllers with ``settings``; ``env`` is the process environment they are given."""
        settings.setdefault("metrics_port", None)
        settings.setdefault("key_size", 2048)
        return Manager(self.kube, ControllerSettings(**settings), env or {})

    def once(self, env: dict[str, str] | None = None, **settings: Any) -> int:
        return self.manager(env, once=True, **settings).run_once()


def install_crds(kube: KubeClient, timeout: float = 30.0) -> None:
    """Create our CRDs and wait until the API server serves every kind (they are Established)."""
    docs = crd_documents()
    deadline = time.monotonic() + timeout
    for doc in docs:
        _put_crd(kube, doc, deadline)
    for doc in docs:
        spec = doc["spec"]
        versions = tuple(v["name"] for v in spec["versions"])
        while True:
            kube.forget_discovery()
            if all(kube.served_version(spec["group"], (v,), spec["names"]["kind"]) for v in versions):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"CRD {doc['metadata']['name']} not served after {timeout:g}s")
            time.sleep(0.1)


def _put_crd(kube: KubeClient, doc: Obj, deadline: float) -> None:
    """Ours, whatever another test module left: one still being deleted is waited out, any other
    (e.g. a v1-only stand-in) is replaced by ours."""
    name = doc["metadata"]["name"]
    while True:
        live = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)
        if live is None:
            kube.create(doc)
            return
        meta = live.get("metadata") or {}
        if not meta.get("deletionTimestamp"):
            kube.replace({**doc, "metadata": {**doc["metadata"], "resourceVersion": meta["resourceVersion"]}})
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"CRD {name} still being deleted by another test after the timeout")
        time.sleep(0.2)


@pytest.fixture(scope="package")
def controller_crds(realkube_server: Any) -> Iterator[None]:
    """Our CRDs, installed once for this package's tests (as envtest installs CRDs) and then removed.

    ``reset()`` keeps them meanwhile (they join its baseline): deleting and re-establishing five CRDs
    around every test costs seconds each on a loaded machine. Their objects are still removed between
    tests (``wipe_custom_objects``). Afterwards they leave the baseline and are deleted, so tests of
    other packages find a cluster without them.
    """
    kube = KubeClient(realkube_server.api_client())
    install_crds(kube)
    names = {d["metadata"]["name"] for d in crd_documents()}
    kept = {
        crd["metadata"]["uid"]
        for crd in kube.list_objects("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        if crd["metadata"]["name"] in names
    }
    realkube_server._baseline.update(kept)
    yield
    realkube_server._baseline.difference_update(kept)
    wipe_custom_objects(kube)
    for name in names:
        kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)
    deadline = time.monotonic() + 120
    while any(kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", n) for n in names):
        if time.monotonic() > deadline:
            raise AssertionError("our CRDs were not removed within 120 s")
        time.sleep(0.2)


def wipe_custom_objects(kube: KubeClient, timeout: float = 30.0) -> None:
    """Delete every object of our CRDs (``reset()`` knows only the built-in kinds), finalizers dropped."""
    for doc in crd_documents():
        spec = doc["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("storage"))
        api_version, kind = f"{spec['group']}/{version}", spec["names"]["kind"]
        deadline = time.monotonic() + timeout
        while items := kube.list_objects(api_version, kind):
            for item in items:
                meta = item["metadata"]
                ns, name = str(meta.get("namespace") or ""), meta["name"]
                if meta.get("finalizers"):
                    kube.patch_merge(api_version, kind, ns, name, {"metadata": {"finalizers": None}})
                kube.delete(api_version, kind, ns, name)
            if time.monotonic() > deadline:
                raise AssertionError(f"{kind} objects still exist after {timeout:g}s")
            time.sleep(0.05)


@pytest.fixture
def cluster(controller_crds: None, realkube: Any, tmp_path: Path) -> Iterator[Cluster]:
    """The real API server (etcd + kube-apiserver) with our CRDs installed and no objects."""
    kube = KubeClient(realkube.api_client())
    install_crds(kube)
    wipe_custom_objects(kube)
    yield Cluster(kube, realkube.write_kubeconfig(tmp_path / "kubeconfig"), realkube.serving_pair)


@contextmanager
def running(cluster: Cluster, **settings: Any) -> Iterator[Manager]:
    """The controllers running (watching) in a thread, as in the Deployment; stopped on exit."""
    manager = cluster.manager(**settings)
    thread = threading.Thread(target=manager.run, daemon=True)
    thread.start()
    try:
        yield manager
    finally:
        manager.stop.set()
        thread.join(15)


def eventually(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (test helper: the controller is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g}s")
        time.sleep(0.1)


@dataclass
class Vault:
    """The session's OpenBao as a store sees it: a KV v2 mount ``secret`` and a root token Secret."""

    url: str
    token: str
    client: Any

    def put(self, path: str, **values: str) -> None:
        self.client.secrets.kv.v2.create_or_update_secret(path=path, secret=values, mount_point="secret")

    def delete(self, path: str) -> None:
        self.client.secrets.kv.v2.delete_metadata_and_all_versions(path=path, mount_point="secret")

    def provider(self, token_namespace: str = "") -> Obj:
        ref: dict[str, str] = {"name": "vault-token", "key": "token"}
        if token_namespace:
            ref["namespace"] = token_namespace
        return {
            "vault": {
                "server": self.url,
                "path": "secret",
                "version": "v2",
                "auth": {"tokenSecretRef": ref},
            }
        }

    def store(self, cluster: Cluster, namespace: str, name: str = "vault") -> Obj:
        """A SecretStore in ``namespace`` with the token Secret it uses."""
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "vault-token", "namespace": namespace},
                "stringData": {"token": self.token},
            }
        )
        return cluster.create(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"provider": self.provider()},
            }
        )


@pytest.fixture
def vault(openbao: Any) -> Vault:
    import hvac

    return Vault(openbao.url, openbao.token, hvac.Client(url=openbao.url, token=openbao.token))


def external_secret(namespace: str, name: str, path: str, *keys: str, **spec: Any) -> Obj:
    """An ExternalSecret as users write them for ESO: one data entry per key of one Vault path."""
    body: dict[str, Any] = {
        "secretStoreRef": {"name": "vault", "kind": "SecretStore"},
        "refreshInterval": "1h",
        "target": {"name": name},
        "data": [{"secretKey": k, "remoteRef": {"key": path, "property": k}} for k in keys],
    }
    body.update(spec)
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


@dataclass
class Sops:
    """The real sops binary with one age identity; the controller's key Secret holds the identity."""

    binary: str
    identity: str
    recipient: str

    def encrypt(self, manifest: Obj, fmt: str = "yaml") -> str:
        """The manifest encrypted by sops (values under data/stringData), read from stdin."""
        text = yaml.safe_dump(manifest) if fmt == "yaml" else json.dumps(manifest)
        done = subprocess.run(
            [
                self.binary,
                "--encrypt",
                "--age",
                self.recipient,
                "--encrypted-regex",
                "^(data|stringData)$",
                "--input-type",
                fmt,
                "--output-type",
                fmt,
                "/dev/stdin",
            ],
            input=text.encode(),
            capture_output=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        return done.stdout.decode()

    def key_secret(
        self, cluster: Cluster, namespace: str = "secretsops-system", name: str = "sops-keys"
    ) -> None:
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "stringData": {"identity.agekey": self.identity},
            }
        )

    def sops_secret(self, ns: str, name: str, values: dict[str, str], **doc_meta: Any) -> Obj:
        """A SopsSecret ``ns/name`` carrying a Secret with ``values`` and ``doc_meta`` as its metadata."""
        manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": doc_meta, "stringData": values}
        if not doc_meta:
            manifest.pop("metadata")
        return {
            "apiVersion": "secretsops.io/v1",
            "kind": "SopsSecret",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"sops": self.encrypt(manifest)},
        }


@pytest.fixture
def sops(sops_bin: str) -> Sops:
    from secretsops.keysources.age import generate_identity

    identity, recipient = generate_identity()
    return Sops(sops_bin, identity, recipient)
