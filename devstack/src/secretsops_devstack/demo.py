"""``secretsops-demo``: the whole story on one machine, narrated, without ever showing a value.

It starts a real OpenBao dev server, a real moto server and the Kubernetes API test server on
127.0.0.1, builds a git repository from ``examples/demo`` (the SOPS file is encrypted with an age
key made for this run, the SealedSecret sealed with a sealing key made for this run, the values
random and held in memory only), then runs the engine through: first sync, drift healed, a change
landing, a ``git revert``, and an ExternalSecret refreshed on demand. Everything lives in one
private temporary directory that is removed at the end, with the servers.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from secretsops.errors import UsageError
from secretsops.kube import KubeClient

NAMESPACE = "demo"
ENGINE_NAMESPACE = "secretsops-system"
SOURCE = "demo"
FINGERPRINTS = "secretsops.io/secret-fingerprints"


@dataclass
class DemoOptions:
    examples: Path | None = None
    keep_running: bool = False
    #: seconds to wait for the loop in the refresh act
    wait: float = 20.0


def default_examples() -> Path:
    """The repository's ``examples/`` (the devstack is installed editable from ``devstack/src/``)."""
    return Path(__file__).resolve().parents[3] / "examples"


def private_dir() -> Path:
    """A 0700 directory on a memory filesystem when there is one (keys live here briefly)."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108 - memory-backed on Linux
    return Path(tempfile.mkdtemp(prefix="secretsops-demo-", dir=base))


@dataclass
class Narrator:
    out: TextIO
    #: per-run HMAC key: fingerprints in the narration compare within one run only
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def act(self, title: str) -> None:
        self.say()
        self.say(f"== {title}")

    def fp(self, secret: dict[str, Any] | None) -> str:
        from secretsops.engine.rollout import secret_payload

        if secret is None:
            return "(absent)"
        return hmac.new(self.key, secret_payload(secret), "sha256").hexdigest()[:12]


@dataclass
class DemoRepo:
    """The demo's git origin: real git, a private HOME so no user config or hook applies."""

    path: Path
    env: dict[str, str]

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "--short", "HEAD")


@dataclass
class Stack:
    """Servers, clients and keys of one demo run."""

    work: Path
    bao: Any
    moto: Any
    kube: Any  # KubeApiServer
    repo: DemoRepo
    age_recipient: str
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.kube.api_client())

    def secret(self, name: str) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            obj = self.core().read_namespaced_secret(name, NAMESPACE)
        except ApiException:
            return None
        return {"data": dict(obj.data or {}), "type": obj.type}

    def rollout_annotation(self) -> str:
        from kubernetes import client

        dep: Any = client.AppsV1Api(self.kube.api_client()).read_namespaced_deployment("web", NAMESPACE)
        meta = dep.spec.template.metadata
        return str(((meta.annotations if meta else None) or {}).get(FINGERPRINTS, ""))


def new_value() -> str:
    """A fresh random secret value (held in memory; tests replace it with canaries)."""
    return secrets.token_urlsafe(18)


def _random_values(keys: list[str]) -> dict[str, str]:
    return {k: new_value() for k in keys}


def _git_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "secretsops demo",
        "GIT_AUTHOR_EMAIL": "demo@secretsops.invalid",
        "GIT_COMMITTER_NAME": "secretsops demo",
        "GIT_COMMITTER_EMAIL": "demo@secretsops.invalid",
    }


@contextmanager
def _services(work: Path) -> Iterator[tuple[Any, Any, Any]]:
    from secretsops_devstack.kubeapi import KubeApiServer
    from secretsops_devstack.services import moto_server, openbao_dev

    with ExitStack() as stack:
        bao = stack.enter_context(openbao_dev(token=secrets.token_hex(16)))
        moto = stack.enter_context(moto_server())
        kube = stack.enter_context(KubeApiServer())
        kube.write_kubeconfig(work / "kubeconfig")
        yield bao, moto, kube


def _write_sops(stack: Stack, spec: dict[str, Any], values: dict[str, str]) -> None:
    from secretsops.keysources.age import AgeKeySource
    from secretsops.keysources.base import KeyContext
    from secretsops.sops.api import EncryptOptions, encrypt_bytes

    meta = {"name": spec["secret"]["name"], "namespace": spec["secret"]["namespace"]}
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "stringData": values}
    plain = yaml.safe_dump(doc, sort_keys=False).encode()
    enc = encrypt_bytes(
        plain,
        "yaml",
        groups=[[AgeKeySource(stack.age_recipient)]],
        options=EncryptOptions(encrypted_regex="^(data|stringData)$"),
        ctx=KeyContext(),
    )
    (stack.repo.path / spec["file"]).write_bytes(enc)


def _write_sealed(stack: Stack, spec: dict[str, Any], values: dict[str, str]) -> None:
    from secretsops.sealed.keyring import cluster_keys, newest_first
    from secretsops.sealed.sealing import new_sealed_secret

    key = newest_first(cluster_keys(KubeClient(stack.kube.api_client()), "kube-system"))[0]
    assert key.cert is not None
    meta = {"name": spec["secret"]["name"], "namespace": spec["secret"]["namespace"]}
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": data}
    sealed = new_sealed_secret(key.cert.public_key(), secret, spec["file"])  # type: ignore[arg-type]
    sealed["metadata"] = {k: v for k, v in sealed["metadata"].items() if v is not None}
    (stack.repo.path / spec["file"]).write_text(yaml.safe_dump(sealed, sort_keys=False))


def _bootstrap(stack: Stack, plan: dict[str, Any], age_identity: str, say: Callable[[str], None]) -> None:
    """Cluster-side credentials (never in git), remote values, and the first commit."""
    import boto3
    import hvac

    from secretsops.engine.bootstrap.manifests import shipped_objects
    from secretsops.sealed.keyring import create_cluster_key

    core = stack.core()
    for ns in (NAMESPACE, ENGINE_NAMESPACE):
        core.create_namespace({"metadata": {"name": ns}})
    # the CRDs `secretsops bootstrap` installs: the repository's stores are applied, then used
    kube = KubeClient(stack.kube.api_client())
    for crd in shipped_objects():
        if crd.get("kind") == "CustomResourceDefinition":
            kube.create(crd)

    def secret(ns: str, name: str, values: dict[str, str]) -> None:
        core.create_namespaced_secret(ns, {"metadata": {"name": name}, "stringData": values})

    secret(ENGINE_NAMESPACE, "sops-age", {"demo.agekey": age_identity})
    secret(NAMESPACE, "openbao-token", {"token": stack.bao.token})
    secret(NAMESPACE, "aws-credentials", {"access-key-id": "demo", "secret-access-key": "demo"})
    create_cluster_key(kube, "kube-system")
    say("  cluster: CRDs, age key Secret (Flux format), OpenBao token, AWS credentials, a sealing key")

    bao = hvac.Client(url=stack.bao.url, token=stack.bao.token)
    for item in plan.get("openbao") or []:
        values = stack.values[f"openbao:{item['path']}"] = _random_values(list(item["keys"]))
        bao.secrets.kv.v2.create_or_update_secret(path=item["path"], secret=values, mount_point="secret")
    sm = boto3.client(
        "secretsmanager",
        endpoint_url=stack.moto.url,
        region_name="us-east-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo",  # noqa: S106 - moto's throw-away credentials
    )
    for item in plan.get("aws") or []:
        sm.create_secret(Name=item["name"], SecretString=new_value())
    say("  remote stores: random values written to OpenBao KV and AWS Secrets Manager (moto)")


def _build_repo(stack: Stack, examples: Path, plan: dict[str, Any]) -> str:
    for src in sorted((examples / "demo").glob("*.yaml")):
        text = src.read_text().replace("${OPENBAO_ADDR}", stack.bao.url)
        (stack.repo.path / src.name).write_text(text)
    for spec in plan.get("sops") or []:
        stack.values[spec["file"]] = _random_values(list(spec["keys"]))
        _write_sops(stack, spec, stack.values[spec["file"]])
    for spec in plan.get("sealed") or []:
        _write_sealed(stack, spec, _random_values(list(spec["keys"])))
    return stack.repo.commit("demo app: ciphertext and references only")


def _load_plan(examples: Path) -> dict[str, Any]:
    plan_file = examples / "demo-secrets.yaml"
    if not (examples / "demo").is_dir() or not plan_file.is_file():
        raise UsageError(f"{examples}: not the secretsops examples directory (use --examples DIR)")
    plan = yaml.safe_load(plan_file.read_text()) or {}
    if not isinstance(plan, dict):
        raise UsageError(f"{plan_file}: expected a mapping")
    return plan


def _engine(stack: Stack) -> Any:
    from secretsops.engine.builder import build_engine
    from secretsops.engine.config import EngineSettings, SecretRef, SourceSpec
    from secretsops.engine.source import GitRef

    spec = SourceSpec(
        name=SOURCE,
        url=str(stack.repo.path),
        ref=GitRef(branch="main"),
        interval=10.0,
        decryption_secret=SecretRef(ENGINE_NAMESPACE, "sops-age"),
    )
    settings = EngineSettings(namespace=ENGINE_NAMESPACE, work_dir=stack.work)
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(stack.work / "home"),
        "AWS_ENDPOINT_URL": stack.moto.url,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return build_engine([spec], settings, KubeClient(stack.kube.api_client()), environ)


def _show_pass(n: Narrator, res: Any) -> None:
    if not res.ok:
        n.say(f"  pass FAILED: {res.reason}: {res.error}")
        return
    n.say(f"  revision {res.revision}: {len(res.applied)} applied, {len(res.pruned)} pruned")


def _show_secrets(n: Narrator, stack: Stack, names: list[str]) -> dict[str, str]:
    prints = {}
    for name in names:
        live = stack.secret(name)
        keys = ", ".join(sorted((live or {}).get("data") or {}))
        prints[name] = n.fp(live)
        n.say(f"    Secret {NAMESPACE}/{name:<15} keys [{keys}]  fp {prints[name]}")
    return prints


SECRETS = ["app-config", "signing-key", "db-credentials", "api-key"]


def _story(n: Narrator, stack: Stack, engine: Any, plan: dict[str, Any]) -> bool:
    rec = engine.engine.reconcilers[0]
    ok = True

    n.act("1. Sync: the engine pulls git, decrypts in memory, applies")
    res = rec.reconcile()
    _show_pass(n, res)
    ok &= bool(res.ok)
    n.say("  every value below was decrypted (SOPS), unsealed (SealedSecret) or fetched (ExternalSecret)")
    n.say("  in the engine's memory only; the demo prints HMAC fingerprints, never values:")
    first = _show_secrets(n, stack, SECRETS)
    rollout_first = stack.rollout_annotation()
    n.say(f"    Deployment {NAMESPACE}/web pod template: {FINGERPRINTS}={rollout_first}")

    n.act("2. Drift: someone edits a Secret in the cluster by hand")
    stack.core().patch_namespaced_secret(
        "app-config", NAMESPACE, {"stringData": {"SESSION_SECRET": new_value()}}
    )
    n.say(f"    Secret {NAMESPACE}/app-config is now fp {n.fp(stack.secret('app-config'))} (hand-edited)")
    res = rec.reconcile()
    for d in res.drifted:
        n.say(f"  drift detected: {d.describe()}")
    n.say(f"  healed: {res.healed}")
    healed = _show_secrets(n, stack, ["app-config"])
    ok &= bool(res.ok and res.healed and healed["app-config"] == first["app-config"])

    n.act("3. A change lands: a commit rotates FEATURE_TOKEN (re-encrypted with SOPS)")
    spec = next(s for s in plan["sops"] if s["secret"]["name"] == "app-config")
    rotated = {**stack.values[spec["file"]], "FEATURE_TOKEN": new_value()}
    _write_sops(stack, spec, rotated)
    commit = stack.repo.commit("rotate FEATURE_TOKEN")
    n.say(f"  git commit {commit}: rotate FEATURE_TOKEN")
    res = rec.reconcile()
    _show_pass(n, res)
    changed = _show_secrets(n, stack, ["app-config"])
    rollout_changed = stack.rollout_annotation()
    n.say(f"    Deployment {NAMESPACE}/web pod template: {FINGERPRINTS}={rollout_changed}")
    n.say("  the fingerprint annotation changed, so Kubernetes rolls the Deployment (restart-on-change)")
    ok &= bool(res.ok and changed["app-config"] != first["app-config"] and rollout_changed != rollout_first)

    n.act("4. Roll back: git revert")
    stack.repo.git("revert", "--no-edit", "HEAD")
    n.say(f"  git revert -> {stack.repo.git('rev-parse', '--short', 'HEAD')}")
    res = rec.reconcile()
    _show_pass(n, res)
    back = _show_secrets(n, stack, ["app-config"])
    rollout_back = stack.rollout_annotation()
    n.say(f"    Deployment {NAMESPACE}/web pod template: {FINGERPRINTS}={rollout_back}")
    n.say("  values and the rollout annotation are back to step 1's fingerprints")
    ok &= bool(res.ok and back["app-config"] == first["app-config"] and rollout_back == rollout_first)
    return ok


def _refresh_act(n: Narrator, stack: Stack, engine: Any, options: DemoOptions) -> tuple[bool, Any]:
    """The loop runs in a thread with the HTTP server; rotate in OpenBao, POST /refresh."""
    import hvac

    from secretsops.engine.server import Runtime, serve_runtime

    n.act("5. Refresh on demand: rotate the password in OpenBao, then POST /refresh")
    import secrets

    token = secrets.token_urlsafe(32)
    (stack.work / "webhook-token").write_text(token + "\n")
    (stack.work / "webhook-token").chmod(0o600)
    server = serve_runtime(Runtime(engine.engine, webhook_token=token.encode()), "127.0.0.1", 0)
    loop = threading.Thread(target=engine.engine.run_forever, name="demo-loop", daemon=True)
    loop.start()
    n.say(f"  engine loop running; endpoints on {server.url} (/healthz /readyz /metrics /refresh /reconcile)")
    before = n.fp(stack.secret("db-credentials"))
    bao = hvac.Client(url=stack.bao.url, token=stack.bao.token)
    path = "demo/db"
    values = {**stack.values[f"openbao:{path}"], "password": new_value()}
    bao.secrets.kv.v2.create_or_update_secret(path=path, secret=values, mount_point="secret")
    n.say(f"  OpenBao secret/{path}: password rotated (the ExternalSecret's refreshInterval is 1h)")
    url = f"{server.url}/refresh/{NAMESPACE}/db-credentials"
    auth = {"Authorization": f"Bearer {token}"}  # the endpoints need --webhook-token-file's token
    req = urllib.request.Request(url, data=b"", method="POST", headers=auth)  # noqa: S310 - loopback
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
        n.say(f"  POST /refresh/{NAMESPACE}/db-credentials -> HTTP {resp.status}")
    deadline = time.monotonic() + options.wait
    after = before
    while time.monotonic() < deadline and after == before:
        time.sleep(0.2)
        after = n.fp(stack.secret("db-credentials"))
    n.say(f"    Secret {NAMESPACE}/db-credentials fp {before} -> {after}")
    return after != before, server


def run_demo(options: DemoOptions, out: TextIO) -> int:
    """Run the narrated demo; 0 when every act behaved as told. Removes everything it made."""
    examples = options.examples or default_examples()
    plan = _load_plan(examples)
    n = Narrator(out)
    work = private_dir()
    try:
        return _run(n, work, examples, plan, options)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(n: Narrator, work: Path, examples: Path, plan: dict[str, Any], options: DemoOptions) -> int:
    from secretsops.keysources.age import generate_identity

    n.say("secretsops demo: GitOps with secrets on one machine. Values are never printed.")
    (work / "home").mkdir()
    origin = work / "origin"
    origin.mkdir()
    with _services(work) as (bao, moto, kube):
        n.say(f"  OpenBao dev server {bao.url}, moto {moto.url}, Kubernetes API test server {kube.url}")
        identity, recipient = generate_identity()
        key_file = work / "age.key"
        key_file.write_text(identity + "\n")
        key_file.chmod(0o600)
        n.say(f"  age key for this run in a private temp dir (recipient {recipient[:16]}…)")
        repo = DemoRepo(origin, _git_env(work / "home"))
        repo.git("init", "-q", "-b", "main")
        stack = Stack(work, bao, moto, kube, repo, recipient)
        _bootstrap(stack, plan, identity, n.say)
        head = _build_repo(stack, examples, plan)
        n.say(f"  git repo from {examples / 'demo'}: commit {head} (ciphertext and references only)")
        engine = _engine(stack)
        server = None
        try:
            ok = _story(n, stack, engine, plan)
            refreshed, server = _refresh_act(n, stack, engine, options)
            ok &= refreshed
            n.act("Status (what `secretsops status` shows)")
            from secretsops.engine.status import StatusStore, table

            n.say(table(StatusStore(engine.engine.deps.kube, ENGINE_NAMESPACE).list_all()).rstrip())
            n.say(
                "  (Progressing: the API test server runs no kubelet, so the Deployment never becomes ready)"
            )
            if options.keep_running:
                _keep_running(n, stack, server)
            n.say()
            n.say("demo finished: " + ("every step behaved as told" if ok else "SOME STEP DID NOT BEHAVE"))
            return 0 if ok else 1
        finally:
            engine.engine.stop.set()
            if server is not None:
                server.close()
            engine.close()


def _keep_running(n: Narrator, stack: Stack, server: Any) -> None:
    try:
        n.act("Still running (Ctrl-C to stop and remove everything)")
        n.say(f"  export KUBECONFIG={stack.kube.kubeconfig}")
        n.say("  kubectl get secrets -n demo; secretsops status")
        n.say(
            f"  secretsops refresh {NAMESPACE}/db-credentials --url {server.url}"
            f" --token-file {stack.work / 'webhook-token'}"
        )
        n.say(f"  git -C {stack.repo.path} log --oneline   # commit here; the loop applies it")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        n.say("  stopping")
