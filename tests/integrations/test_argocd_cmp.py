"""plugins/argocd-cmp run as argocd-cmp-server runs it: the repository copied into a fresh
directory, the working directory the app's path in it, the sidecar's environment plus Argo CD's
build variables and the Application's plugin env as ``ARGOCD_ENV_*``; files encrypted by the real
sops and sealed by ``secretsops seal`` (JSON, its default output)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from secretsops.sealed.keypairs import cert_pem, generate_key, private_key_pem
from tests.integrations.conftest import VENV_BIN, SopsAge, child_env

PLUGIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "plugins/argocd-cmp/plugin.yaml").read_text())
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {value}\n"


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sidecar's /keys: a sealing private key (``*.sealing.key``) and, beside it, its cert."""
    path = tmp_path_factory.mktemp("keys")
    key, cert = generate_key(2048)
    (path / "active.sealing.key").write_bytes(private_key_pem(key))
    (path / "cert.pem").write_bytes(cert_pem(cert))
    return path


def run_as_cmp_server(
    step: dict[str, Any], repo: Path, app_path: str, workdir: Path, keys_dir: Path, **app_env: str
) -> subprocess.CompletedProcess[str]:
    """Copy ``repo`` into a fresh directory and run ``step`` in the app's path with Argo CD's env."""
    fresh = workdir / "cmp-workdir"
    shutil.copytree(repo, fresh)
    env = child_env(
        SECRETSOPS_CMP_KEYS_DIR=str(keys_dir),
        ARGOCD_APP_NAME="shop",
        ARGOCD_APP_PROJECT_NAME="default",
        ARGOCD_APP_REVISION="0123456789abcdef0123456789abcdef01234567",
        ARGOCD_APP_SOURCE_PATH=app_path,
        ARGOCD_APP_SOURCE_REPO_URL="https://git.example.org/shop.git",
        ARGOCD_APP_SOURCE_TARGET_REVISION="HEAD",
        KUBE_VERSION="1.31.0",
        KUBE_API_VERSIONS="v1,apps/v1",
        **app_env,
    )
    argv = [*step["command"], *step.get("args", [])]
    return subprocess.run(
        argv, cwd=fresh / app_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def generate(
    repo: Path, app: str, tmp_path: Path, keys_dir: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return run_as_cmp_server(PLUGIN["spec"]["generate"], repo, app, tmp_path, keys_dir, **env)


def discover(repo: Path, app: str, tmp_path: Path, keys_dir: Path) -> str:
    out = run_as_cmp_server(PLUGIN["spec"]["discover"]["find"], repo, app, tmp_path, keys_dir)
    return out.stdout.strip()


def seal(keys_dir: Path, text: str, namespace: str) -> dict[str, Any]:
    """``secretsops seal`` (strict scope) for ``namespace``, then the namespace removed from the file."""
    obj = yaml.safe_load(text)
    obj["metadata"]["namespace"] = namespace
    done = subprocess.run(
        [str(VENV_BIN / "secretsops"), "seal", "--cert", str(keys_dir / "cert.pem")],
        input=yaml.safe_dump(obj),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    sealed = json.loads(done.stdout)
    sealed["metadata"].pop("namespace")
    sealed["spec"]["template"]["metadata"].pop("namespace", None)
    return sealed


def objects(stdout: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(stdout) if d}


def test_discover_claims_a_json_sops_file(tmp_path, keys_dir, sops_age: SopsAge):
    app = tmp_path / "repo" / "apps" / "shop"
    app.mkdir(parents=True)
    enc = app / "secret.json"
    enc.write_text(json.dumps(yaml.safe_load(SECRET.format(value="x"))))
    sops_age.encrypt(enc)
    assert discover(tmp_path / "repo", "apps/shop", tmp_path, keys_dir) == "./secret.json"


def test_discover_claims_a_json_sealed_secret_as_seal_writes_it(tmp_path, keys_dir):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    (app / "db.sealed.json").write_text(
        json.dumps(seal(keys_dir, SECRET.format(value="x"), "shop"), indent=2)
    )
    assert discover(tmp_path / "repo", "shop", tmp_path, keys_dir) == "./db.sealed.json"


def test_discover_leaves_apps_without_protected_secrets_alone(tmp_path, keys_dir):
    app = tmp_path / "repo" / "plain"
    app.mkdir(parents=True)
    (app / "cm.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}')
    (app / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sops\n")
    assert discover(tmp_path / "repo", "plain", tmp_path, keys_dir) == ""


def test_namespace_less_sealed_secret_opens_in_the_apps_destination_namespace(tmp_path, keys_dir, canary):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    (app / "db.sealed.json").write_text(json.dumps(seal(keys_dir, SECRET.format(value=canary), "shop")))
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_APP_NAMESPACE="shop")
    assert out.returncode == 0, out.stderr
    secret = objects(out.stdout)["Secret"]
    assert secret["metadata"]["namespace"] == "shop"
    assert base64.b64decode(secret["data"]["password"]).decode() == canary


def test_sealed_secret_for_another_namespace_fails_closed(tmp_path, keys_dir, canary):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    (app / "db.sealed.json").write_text(json.dumps(seal(keys_dir, SECRET.format(value=canary), "shop")))
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_APP_NAMESPACE="other")
    assert out.returncode != 0 and out.stdout == ""
    assert "SealedSecret.bitnami.com/other/db" in out.stderr and canary not in out.stderr


def test_namespace_less_sops_secret_takes_the_apps_destination_namespace(
    tmp_path, keys_dir, sops_age, canary
):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    (app / "db.yaml").write_text(SECRET.format(value=canary))
    sops_age.encrypt(app / "db.yaml")
    out = generate(
        tmp_path / "repo",
        "shop",
        tmp_path,
        keys_dir,
        ARGOCD_APP_NAMESPACE="shop",
        SOPS_AGE_KEY=sops_age.identity,
    )
    assert out.returncode == 0, out.stderr
    secret = objects(out.stdout)["Secret"]
    assert (secret["metadata"]["namespace"], secret["stringData"]["password"]) == ("shop", canary)


def test_argocd_env_secretsops_path_renders_a_directory_of_the_app(tmp_path, keys_dir):
    app = tmp_path / "repo" / "shop"
    (app / "manifests").mkdir(parents=True)
    (app / "ignored.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\n")
    (app / "manifests" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n")
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_ENV_SECRETSOPS_PATH="manifests")
    assert out.returncode == 0, out.stderr
    assert objects(out.stdout)["ConfigMap"]["metadata"]["name"] == "inside"
    assert "outside" not in out.stdout


def test_argocd_env_secretsops_path_may_not_leave_the_app(tmp_path, keys_dir):
    (tmp_path / "repo" / "shop").mkdir(parents=True)
    (tmp_path / "repo" / "other.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n")
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_ENV_SECRETSOPS_PATH="../")
    assert out.returncode == 2 and out.stdout == ""
    assert "must stay inside the app" in out.stderr


def test_argocd_env_secretsops_timeout_reaches_render(tmp_path, keys_dir):
    (tmp_path / "repo" / "shop").mkdir(parents=True)
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir, ARGOCD_ENV_SECRETSOPS_TIMEOUT="soon")
    assert out.returncode == 2 and out.stdout == ""
    assert "--timeout" in out.stderr


def test_without_a_destination_namespace_a_namespace_less_strict_sealed_secret_does_not_open(
    tmp_path, keys_dir, canary
):
    app = tmp_path / "repo" / "shop"
    app.mkdir(parents=True)
    (app / "db.sealed.json").write_text(json.dumps(seal(keys_dir, SECRET.format(value=canary), "shop")))
    out = generate(tmp_path / "repo", "shop", tmp_path, keys_dir)
    assert out.returncode != 0 and out.stdout == ""


def test_discover_claims_an_overlay_whose_encrypted_generator_input_is_in_a_base(
    tmp_path, keys_dir, sops_age
):
    repo = tmp_path / "repo"
    base, overlay = repo / "apps" / "base", repo / "apps" / "overlays" / "prod"
    base.mkdir(parents=True)
    overlay.mkdir(parents=True)
    (base / "db.env").write_text("PASSWORD=p\n")
    sops_age.encrypt(base / "db.env", regex=None)
    (base / "kustomization.yaml").write_text("secretGenerator:\n- name: db\n  envs: [db.env]\n")
    (overlay / "kustomization.yaml").write_text("resources:\n- ../../base # the base\nnamespace: shop\n")
    assert discover(repo, "apps/overlays/prod", tmp_path, keys_dir) == "./../../base/db.env"


def test_discover_follows_bases_transitively_and_stops_at_cycles(tmp_path, keys_dir, sops_age):
    repo = tmp_path / "repo"
    for name, refs in {"a": ["../b"], "b": ["../c", "../a"], "c": []}.items():
        (repo / name).mkdir(parents=True)
        (repo / name / "kustomization.yaml").write_text("resources:\n" + "".join(f"- {r}\n" for r in refs))
    assert discover(repo, "a", tmp_path / "plain", keys_dir) == ""
    secret = repo / "c" / "db.yaml"
    secret.write_text(SECRET.format(value="x"))
    sops_age.encrypt(secret)
    assert discover(repo, "a", tmp_path / "with-secret", keys_dir) == "./../b/../c/db.yaml"
