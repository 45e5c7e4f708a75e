"""Fixtures for the engine: real git repositories, age keys, SOPS files, recorded children."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from secretsops.engine.proc import ProcessRunner
from secretsops.keysources.age import AgeKeySource, generate_identity
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import EncryptOptions, encrypt_bytes


@dataclass
class GitRepo:
    """A real git repository with helpers that read like the tests' intent."""

    path: Path

    def git(self, *args: str) -> str:
        out = subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def write(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
        return target

    def remove(self, rel: str) -> None:
        self.git("rm", "-q", "-r", rel)

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def revert(self, commit: str = "HEAD") -> str:
        self.git("revert", "--no-edit", commit)
        return self.git("rev-parse", "HEAD")

    @property
    def url(self) -> str:
        return str(self.path)


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    path = tmp_path / "origin"
    path.mkdir()
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    return repo


@dataclass
class AgeKey:
    identity: str
    recipient: str

    def encrypt(self, text: str, fmt: str = "yaml", regex: str = "^(data|stringData)$") -> bytes:
        opts = EncryptOptions(encrypted_regex=regex) if regex else EncryptOptions()
        return encrypt_bytes(
            text.encode(), fmt, groups=[[AgeKeySource(self.recipient)]], options=opts, ctx=KeyContext()
        )

    @property
    def env(self) -> dict[str, str]:
        return {"SOPS_AGE_KEY": self.identity}


@pytest.fixture(scope="session")
def age_key() -> AgeKey:
    return AgeKey(*generate_identity())


@dataclass
class Recorded:
    calls: list[tuple[list[str], dict[str, str]]] = field(default_factory=list)

    def __call__(self, argv: list[str], env: dict[str, str]) -> None:
        self.calls.append((argv, env))


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def runner(recorded: Recorded) -> ProcessRunner:
    return ProcessRunner.from_environ(os.environ, recorder=recorded)


# --- end-to-end harness: real git + the Kubernetes API test server ------------------------------

NAMESPACE_YAML = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n"


def configmap(name: str, value: str = "v") -> str:
    meta = f"metadata:\n  name: {name}\n  namespace: apps\n"
    return f"apiVersion: v1\nkind: ConfigMap\n{meta}data:\n  k: {value!r}\n"


@dataclass
class Harness:
    """One test's world: an origin repo, a cluster, an age key Secret, a recorded runner."""

    api: object  # KubeApiServer
    repo: GitRepo
    age: AgeKey
    recorded: Recorded
    work: Path
    sleeps: list[float] = field(default_factory=list)

    def write_app(self, env: dict[str, str], configmaps: dict[str, str] | None = None) -> None:
        """apps/: a namespace, ConfigMaps, and a SOPS-encrypted env file in a secretGenerator."""
        cms = configmaps if configmaps is not None else {"cm-a": "1"}
        text = "".join(f"{k}={v}\n" for k, v in env.items())
        self.repo.write("apps/db.env", self.age.encrypt(text, "dotenv", regex=""))
        self.repo.write("apps/ns.yaml", NAMESPACE_YAML)
        for name in list((self.repo.path / "apps").glob("cm-*.yaml")):
            name.unlink()
        for name, value in cms.items():
            self.repo.write(f"apps/{name}.yaml", configmap(name, value))
        resources = ", ".join(["ns.yaml", *(f"{n}.yaml" for n in cms)])
        self.repo.write(
            "apps/kustomization.yaml",
            f"resources: [{resources}]\nsecretGenerator:\n- name: db\n  namespace: apps\n  envs: [db.env]\n"
            "  options: {disableNameSuffixHash: true}\n",
        )

    def engine(
        self,
        *,
        prune: bool = True,
        self_heal: bool = True,
        dry_run: bool = False,
        leader_elect: bool = False,
        **kw,
    ):  # type: ignore[no-untyped-def]
        from prometheus_client import CollectorRegistry

        from secretsops.engine.builder import build_engine
        from secretsops.engine.config import EngineSettings, SecretRef, SourceSpec
        from secretsops.engine.metrics import EngineMetrics
        from secretsops.engine.source import GitRef
        from secretsops.kube import Backoff, KubeClient

        spec = SourceSpec(
            name=kw.pop("name", "apps"),
            url=self.repo.url,
            ref=GitRef(branch="main"),
            path="apps",
            prune=prune,
            self_heal=self_heal,
            decryption_secret=SecretRef("secretsops-system", "sops-age"),
            **kw,
        )
        settings = EngineSettings(dry_run=dry_run, work_dir=self.work, leader_elect=leader_elect)
        engine = build_engine(
            [spec],
            settings,
            KubeClient(self.api.api_client()),  # type: ignore[attr-defined]
            {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]},
            runner=ProcessRunner.from_environ(os.environ, recorder=self.recorded),
            metrics=EngineMetrics.create(CollectorRegistry()),
        )
        engine.engine.deps.kube.backoff = Backoff(sleep=self.sleeps.append)
        return engine

    def core(self):  # type: ignore[no-untyped-def]
        from kubernetes import client

        return client.CoreV1Api(self.api.api_client())  # type: ignore[attr-defined]

    def secret(self, name: str = "db", namespace: str = "apps") -> dict[str, str] | None:
        import base64

        from kubernetes.client.exceptions import ApiException

        try:
            s = self.core().read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}

    def configmaps(self) -> dict[str, str]:
        items = self.core().list_namespaced_config_map("apps").items
        return {c.metadata.name: (c.data or {}).get("k") for c in items if c.metadata.name.startswith("cm-")}

    def status(self, source: str = "apps") -> dict:
        import json

        cm = self.core().read_namespaced_config_map(f"secretsops-status-{source}", "secretsops-system")
        return json.loads(cm.data["status.json"])

    def condition(self, type_: str = "Ready", source: str = "apps") -> dict:
        return next(c for c in self.status(source)["conditions"] if c["type"] == type_)


@pytest.fixture
def harness(kubeapi, git_repo: GitRepo, age_key: AgeKey, recorded: Recorded, tmp_path: Path) -> Harness:  # type: ignore[no-untyped-def]
    import base64

    from kubernetes import client

    core = client.CoreV1Api(kubeapi.api_client())
    core.create_namespace({"metadata": {"name": "secretsops-system"}})
    core.create_namespaced_secret(
        "secretsops-system",
        {
            "metadata": {"name": "sops-age"},
            "data": {"identity.agekey": base64.b64encode(age_key.identity.encode()).decode()},
        },
    )
    work = tmp_path / "work"
    work.mkdir()
    return Harness(kubeapi, git_repo, age_key, recorded, work)
