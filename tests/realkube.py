"""A real Kubernetes control plane for tests: etcd + kube-apiserver on 127.0.0.1, started like envtest.

The in-memory server (devstack) is our own reading of the API; this one is the API. Both binaries come
from ``scripts/install-tools.sh`` (pinned in ``scripts/tools.lock``, built from the Go modules into
``~/.cache/secretsops/tools/bin``). What is set up, and why:

- etcd keeps its data in a memory filesystem (``/dev/shm`` where there is one): tests put Secret values
  in the cluster and plaintext must not reach disk. The apiserver also encrypts Secrets at rest.
- kube-apiserver serves TLS with a certificate from a throw-away CA, checks RBAC
  (``--authorization-mode=RBAC``), signs ServiceAccount tokens with a generated RSA key (so TokenRequest
  and TokenReview are real) and knows one admin (a static token in ``system:masters``).
- There is no kube-controller-manager: no garbage collection, no namespace finalisation, no token or
  ServiceAccount controller. :meth:`ControlPlane.reset` does the namespace controller's job for the
  objects tests create, so one control plane serves a whole session.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ISSUER = "https://kubernetes.default.svc.cluster.local"
CONTEXT = "realkube"
TOOLS_BIN = Path(os.environ.get("SECRETSOPS_TOOLS_DIR") or Path.home() / ".cache/secretsops/tools") / "bin"
INSTALL_HINT = "run `bash scripts/install-tools.sh` (scripts/test.sh does) to build the pinned tools"


class ProcessExited(RuntimeError):
    """etcd or kube-apiserver ended while starting: most often a free port taken before it bound."""


class ControlPlaneError(RuntimeError):
    """The control plane could not be started or answered unexpectedly (the message names the log)."""


def tool(name: str) -> str:
    """The pinned build of ``name`` from the tool cache; a clear error when it has not been built."""
    path = TOOLS_BIN / name
    if not os.access(path, os.X_OK):
        raise ControlPlaneError(f"{name} not found in {TOOLS_BIN}: {INSTALL_HINT}")
    return str(path)


#: free_port() is only free when asked: another process can bind the port before etcd or
#: kube-apiserver does, and then the control plane is started again on new ports
START_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_dir() -> Path:
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="secretsops-realkube-", dir=base))


@dataclass(frozen=True)
class Certificates:
    """A throw-away CA, the apiserver's serving pair (127.0.0.1) and the ServiceAccount signing pair."""

    ca: Path
    serving_cert: Path
    serving_key: Path
    sa_public: Path
    sa_private: Path

    @classmethod
    def generate(cls, directory: Path) -> Certificates:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.UTC)

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def pem_key(key: Any) -> bytes:
            return bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name("secretsops-realkube-ca"))
            .issuer_name(name("secretsops-realkube-ca"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        serving_key = ec.generate_private_key(ec.SECP256R1())
        sans = [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.DNSName("localhost"),
            x509.DNSName("kubernetes.default.svc"),
        ]
        serving_cert = (
            x509.CertificateBuilder()
            .subject_name(name("kube-apiserver"))
            .issuer_name(ca_cert.subject)
            .public_key(serving_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        out = cls(
            ca=directory / "ca.crt",
            serving_cert=directory / "apiserver.crt",
            serving_key=directory / "apiserver.key",
            sa_public=directory / "sa.pub",
            sa_private=directory / "sa.key",
        )
        directory.mkdir(parents=True, exist_ok=True)
        out.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        out.serving_cert.write_bytes(serving_cert.public_bytes(serialization.Encoding.PEM))
        out.serving_key.write_bytes(pem_key(serving_key))
        out.sa_private.write_bytes(pem_key(sa_key))
        out.sa_public.write_bytes(
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        for p in (out.serving_key, out.sa_private):
            p.chmod(0o600)
        return out


@dataclass
class ControlPlane:
    """etcd + kube-apiserver as child processes; ``with ControlPlane() as cp: cp.api_client()``."""

    root: Path = field(default_factory=_memory_dir)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    port: int = 0
    kubeconfig: Path | None = None
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _baseline: set[str] = field(default_factory=set)
    _resources: list[tuple[str, bool]] = field(default_factory=list)
    _certs: Certificates | None = None
    _conn: http.client.HTTPSConnection | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self, timeout: float = 180.0) -> ControlPlane:
        etcd_bin, apiserver_bin = tool("etcd"), tool("kube-apiserver")
        self._certs = Certificates.generate(self.root / "pki")
        client_port, peer_port, self.port = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{client_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        self._spawn(
            "etcd",
            [
                etcd_bin,
                "--name=default",
                f"--data-dir={self.root / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        tokens = self.root / "tokens.csv"
        tokens.write_text(f'{self.token},admin,admin-uid,"system:masters"\n')
        tokens.chmod(0o600)
        encryption = self.root / "encryption.yaml"
        encryption.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "apiserver.config.k8s.io/v1",
                    "kind": "EncryptionConfiguration",
                    "resources": [
                        {
                            "resources": ["secrets"],
                            "providers": [
                                {
                                    "secretbox": {
                                        "keys": [
                                            {
                                                "name": "k1",
                                                "secret": base64.b64encode(os.urandom(32)).decode(),
                                            }
                                        ]
                                    }
                                },
                                {"identity": {}},
                            ],
                        }
                    ],
                }
            )
        )
        encryption.chmod(0o600)
        audit_policy = self.root / "audit-policy.yaml"
        audit_policy.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "audit.k8s.io/v1",
                    "kind": "Policy",
                    "omitStages": ["RequestReceived"],
                    # who did what to which object, never a request or response body
                    "rules": [{"level": "Metadata"}],
                }
            )
        )
        c = self._certs
        self._spawn(
            "kube-apiserver",
            [
                apiserver_bin,
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={self.root / 'certs'}",
                f"--tls-cert-file={c.serving_cert}",
                f"--tls-private-key-file={c.serving_key}",
                f"--client-ca-file={c.ca}",
                f"--token-auth-file={tokens}",
                f"--service-account-issuer={ISSUER}",
                f"--service-account-key-file={c.sa_public}",
                f"--service-account-signing-key-file={c.sa_private}",
                "--service-cluster-ip-range=10.96.0.0/12",  # kubeadm's default
                "--authorization-mode=RBAC",
                "--allow-privileged=true",
                f"--encryption-provider-config={encryption}",
                f"--audit-policy-file={audit_policy}",
                f"--audit-log-path={self.audit_log}",
                "--audit-log-format=json",
                # idle CPU: many control planes run at once on two cores (one per test worker)
                "--enable-priority-and-fairness=false",
                "--endpoint-reconciler-type=none",
                "--feature-gates=APIServerIdentity=false",
                "--profiling=false",
                "--v=0",
            ],
        )
        self._wait_ready(timeout)
        self._resources = self._discover()
        self._baseline = {uid for uid, _, _ in self._all_objects()}
        return self

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / f"{name}.log").open("wb")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.root)}
        self._procs.append(
            subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        )
        log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for p in self._procs:
                if p.poll() is not None:
                    raise ProcessExited(f"{p.args[0]} exited with {p.returncode}: {self._log_tail()}")  # type: ignore[index]
            try:
                status, body = self.request("GET", "/readyz")
                if status == 200:
                    return
                last = body.decode(errors="replace")[-300:]
            except OSError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise ControlPlaneError(
            f"kube-apiserver not ready after {timeout:.0f} s ({last}): {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        tails = []
        for name in ("etcd", "kube-apiserver"):
            log = self.root / f"{name}.log"
            if log.exists():
                tails.append(f"{name}: …{log.read_text(errors='replace')[-600:]}")
        return " | ".join(tails)

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        for p in reversed(self._procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self._procs.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                return self.start()
            except ProcessExited:
                self.stop()
                if attempt == START_ATTEMPTS:
                    raise
                self.root.mkdir(mode=0o700)  # stop() removed it; new ports on the next start
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and credentials ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.log"

    def audit_mark(self) -> int:
        """Where the audit log ends now: pass it to :meth:`audit` to see only what came after."""
        return self.audit_log.stat().st_size if self.audit_log.exists() else 0

    def audit(self, username: str, since: int = 0) -> list[dict[str, Any]]:
        """The audit events (metadata only) of requests ``username`` made, oldest first.

        ``since`` (from :meth:`audit_mark`) skips what earlier tests did on this shared server, e.g.
        another test acting as the same ServiceAccount name.
        """
        events = []
        with self.audit_log.open("rb") as fh:
            fh.seek(since)
            text = fh.read().decode()
        for line in text.splitlines():
            event = json.loads(line)
            if event.get("user", {}).get("username") == username:
                events.append(event)
        return events

    @property
    def ca_file(self) -> Path:
        assert self._certs is not None
        return self._certs.ca

    @property
    def serving_pair(self) -> tuple[Path, Path]:
        """The API server's certificate (127.0.0.1, signed by ``ca_file``) and key: a loopback
        stand-in in front of it can serve with them and stay trusted by the same kubeconfigs."""
        assert self._certs is not None
        return self._certs.serving_cert, self._certs.serving_key

    @property
    def sa_public_key_file(self) -> Path:
        """The public half of the ServiceAccount token signing key (what a JWT verifier trusts)."""
        assert self._certs is not None
        return self._certs.sa_public

    def kubeconfig_dict(
        self, token: str | None = None, context: str = CONTEXT, namespace: str = "default"
    ) -> dict[str, Any]:
        ca = base64.b64encode(self.ca_file.read_bytes()).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": context, "cluster": {"server": self.url, "certificate-authority-data": ca}}
            ],
            "users": [{"name": context, "user": {"token": token or self.token}}],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}
            ],
            "current-context": context,
        }

    def write_kubeconfig(self, path: Path, token: str | None = None) -> Path:
        """Write a kubeconfig (the admin's unless ``token`` is given); the admin's is remembered."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.kubeconfig_dict(token), sort_keys=False))
        path.chmod(0o600)
        if token is None:
            self.kubeconfig = path
        return path

    def api_client(self, token: str | None = None) -> Any:
        """A ``kubernetes.client.ApiClient`` as the admin (or as whoever ``token`` belongs to)."""
        import kubernetes.client

        config = kubernetes.client.Configuration()
        config.host = self.url
        config.ssl_ca_cert = str(self.ca_file)
        config.api_key = {"authorization": f"Bearer {token or self.token}"}
        return kubernetes.client.ApiClient(config)

    def service_account_token(
        self, namespace: str, name: str, audiences: list[str] | None = None, seconds: int = 3600
    ) -> str:
        """A token for an existing ServiceAccount via TokenRequest (no token controller needed)."""
        status, body = self.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"audiences": audiences or [ISSUER], "expirationSeconds": seconds},
            },
        )
        if status != 201:
            raise ControlPlaneError(f"TokenRequest for {namespace}/{name}: HTTP {status} {body[:200]!r}")
        return str(json.loads(body)["status"]["token"])

    def service_account_kubeconfig(self, namespace: str, name: str, path: Path) -> Path:
        """A kubeconfig that acts as ServiceAccount ``namespace/name`` (RBAC decides what it may do)."""
        return self.write_kubeconfig(path, token=self.service_account_token(namespace, name))

    # -- raw requests (reset, TokenRequest) --------------------------------------------------------
    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, bytes]:
        """One request as the admin on a kept-alive connection (a reset makes ~100 of them)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    ctx = ssl.create_default_context(cafile=str(self.ca_file))
                    self._conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=30)
                try:
                    self._conn.request(method, path, body=data, headers=headers)
                    resp = self._conn.getresponse()
                    return int(resp.status), resp.read()
                except (OSError, http.client.HTTPException):
                    self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _json(self, path: str) -> dict[str, Any]:
        status, body = self.request("GET", path)
        if status != 200:
            raise ControlPlaneError(f"GET {path}: HTTP {status}")
        return dict(json.loads(body))

    def _discover(self) -> list[tuple[str, bool]]:
        """(collection path prefix, namespaced) for every built-in resource that can be listed and deleted."""
        out: list[tuple[str, bool]] = []
        versions = ["/api/v1"] + [
            f"/apis/{g['preferredVersion']['groupVersion']}" for g in self._json("/apis")["groups"]
        ]
        for base in versions:
            for r in self._json(base)["resources"]:
                if "/" in r["name"] or not {"list", "delete"} <= set(r.get("verbs", [])):
                    continue
                out.append((f"{base}/{r['name']}", bool(r["namespaced"])))
        return out

    def _all_objects(self) -> list[tuple[str, str, bool]]:
        """(uid, object path, has finalisers) of every object of the discovered kinds."""
        found: list[tuple[str, str, bool]] = []
        for collection, namespaced in self._resources:
            status, body = self.request("GET", collection)
            if status != 200:
                continue
            base, plural = collection.rsplit("/", 1)
            for item in json.loads(body).get("items", []):
                meta = item["metadata"]
                if namespaced:
                    path = f"{base}/namespaces/{meta['namespace']}/{plural}/{meta['name']}"
                else:
                    path = f"{collection}/{meta['name']}"
                found.append((meta["uid"], path, bool(meta.get("finalizers"))))
        return found

    # -- test controls ------------------------------------------------------------------------------
    def reset(self, timeout: float = 120.0) -> None:
        """Remove everything tests created since start, as the namespace controller and GC would.

        CRDs go first (the apiserver's own finaliser deletes their objects); then every other new object
        (finalisers stripped: no controller would ever remove them); namespaces last, finalised by hand.
        """
        created = [(path, fin) for uid, path, fin in self._all_objects() if uid not in self._baseline]
        crds = [p for p, _ in created if "/customresourcedefinitions/" in p]
        namespaces = [p for p, _ in created if p.startswith("/api/v1/namespaces/") and p.count("/") == 4]
        for path in crds:
            self._strip_custom_finalizers(path)
        for path, fin in sorted(created, key=lambda c: c[0] not in crds):
            if path not in namespaces:
                self._delete(path, fin)
        for path in namespaces:
            self._delete(path, False)
            status, body = self.request("GET", path)
            if status == 200:
                ns = json.loads(body)
                ns["spec"]["finalizers"] = []
                self.request("PUT", f"{path}/finalize", ns)
                self._delete(path, False)
        deadline = time.monotonic() + timeout
        for path in crds + namespaces:
            while self.request("GET", path)[0] != 404:
                if time.monotonic() > deadline:
                    raise ControlPlaneError(f"reset: {path} still exists after {timeout:.0f} s")
                time.sleep(0.05)

    def _strip_custom_finalizers(self, crd_path: str) -> None:
        """A CRD is gone only once its objects are: drop their finalizers (no controller runs here
        to remove them, and ``_all_objects`` lists only the built-in kinds)."""
        status, body = self.request("GET", crd_path)
        if status != 200:
            return
        spec = json.loads(body)["spec"]
        version = next((v["name"] for v in spec.get("versions") or [] if v.get("storage")), None)
        if version is None:
            return
        status, body = self.request("GET", f"/apis/{spec['group']}/{version}/{spec['names']['plural']}")
        if status != 200:
            return
        merge = "application/merge-patch+json"
        for item in json.loads(body).get("items") or []:
            meta = item.get("metadata") or {}
            if meta.get("finalizers"):
                ns = f"/namespaces/{meta['namespace']}" if meta.get("namespace") else ""
                path = f"/apis/{spec['group']}/{version}{ns}/{spec['names']['plural']}/{meta['name']}"
                self.request("PATCH", path, {"metadata": {"finalizers": None}}, content_type=merge)

    def _delete(self, path: str, finalizers: bool) -> None:
        if finalizers:
            merge = "application/merge-patch+json"
            self.request("PATCH", path, {"metadata": {"finalizers": None}}, content_type=merge)
        self.request("DELETE", path, {"propagationPolicy": "Background"})
