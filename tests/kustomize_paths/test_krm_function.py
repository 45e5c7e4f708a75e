"""The KRM function under standalone kustomize (``build --enable-alpha-plugins --enable-exec``).

As a transformer it opens SOPS resources and SOPS generator output from bases; as a generator it
reads KSOPS' own manifest, so a KSOPS user switches by changing ``exec.path``. Without
``--enable-exec`` kustomize skips it silently, and ``check -`` says so.
"""

from __future__ import annotations

import base64
from pathlib import Path

from tests.helpers import assert_no_canary, new_canary
from tests.kustomize_paths.conftest import PLUGIN, Env, decoded, objects, secret, write

TRANSFORMER = (PLUGIN / "decrypt.yaml").read_text()


def with_function(directory: Path) -> None:
    """What plugins/kustomize/decrypt.yaml says to do: the config and the executable beside it."""
    write(directory / "decrypt.yaml", TRANSFORMER)
    (directory / "secretsops-krm").symlink_to(PLUGIN / "secretsops-krm")


def base_with_secrets(env: Env, base: Path, canary: str) -> None:
    env.encrypt(base / "secret.enc.yaml", secret("db", canary))
    env.encrypt(base / "app.env", f"TOKEN={canary}-env\n")
    env.encrypt(base / "config.yaml", f"password: {canary}\n", regex=None)
    write(
        base / "kustomization.yaml",
        "resources: [secret.enc.yaml]\n"
        "secretGenerator:\n- name: creds\n  envs: [app.env]\n  files: [config.yaml]\n",
    )


def ksops(body: str, path: str = "secretsops-krm") -> str:
    return (
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\n  annotations:\n"
        f"    config.kubernetes.io/function: |\n      exec:\n        path: {path}\n{body}"
    )


def test_the_transformer_in_an_overlay_opens_resources_and_generators_of_its_base(
    env: Env, tmp_path: Path
) -> None:
    canary = new_canary()
    base_with_secrets(env, tmp_path / "base", canary)
    overlay = tmp_path / "overlay"
    write(
        overlay / "kustomization.yaml",
        "resources: [../base]\nnamespace: prod\nnamePrefix: prod-\ntransformers: [decrypt.yaml]\n",
    )
    with_function(overlay)
    done = env.build(overlay)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)
    assert got["Secret/prod-db"]["stringData"] == {"PASSWORD": canary}
    assert got["Secret/prod-db"]["metadata"]["namespace"] == "prod"
    creds = next(o for k, o in got.items() if k.startswith("Secret/prod-creds-"))
    assert decoded(creds) == {"TOKEN": f"{canary}-env", "config.yaml": f"password: {canary}\n"}
    assert "config.kubernetes.io" not in done.stdout


def test_a_ksops_generator_works_by_changing_the_function_name(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    app = tmp_path / "app"
    env.encrypt(app / "secret.enc.yaml", secret("whole", canary))
    env.encrypt(app / "app.env", f"TOKEN={canary}-env\n")
    env.encrypt(app / "tls.enc.yaml", f"key: {canary}-tls\n", regex=None)
    env.encrypt(app / "blob.bin", f"{canary}-binary")
    write(
        app / "generator.yaml",
        ksops(
            "files:\n- ./secret.enc.yaml\n"
            "secretFrom:\n- metadata:\n    name: from-files\n    labels: {app: foo}\n"
            "  type: Opaque\n  files:\n  - ./tls.enc.yaml\n  - renamed.yaml=./tls.enc.yaml\n"
            "  binaryFiles:\n  - blob=./blob.bin\n  envs:\n  - ./app.env\n"
        ),
    )
    write(app / "kustomization.yaml", "generators: [generator.yaml]\n")
    env.environ["PATH"] = f"{PLUGIN}:{env.environ['PATH']}"
    done = env.build(app)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)
    assert got["Secret/whole"]["stringData"] == {"PASSWORD": canary}
    made = got["Secret/from-files"]
    assert made["metadata"]["labels"] == {"app": "foo"} and made["type"] == "Opaque"
    assert decoded(made) == {
        "tls.enc.yaml": f"key: {canary}-tls\n",
        "renamed.yaml": f"key: {canary}-tls\n",
        "TOKEN": f"{canary}-env",
        "blob": f"{canary}-binary",
    }
    assert base64.b64decode(made["data"]["blob"]) == f"{canary}-binary".encode()


def test_ksops_hash_and_behaviour_annotations_act_as_with_ksops(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    base = tmp_path / "base"
    write(
        base / "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: shared}\ndata: {KEEP: YmFzZQ==}\n",
    )
    write(base / "kustomization.yaml", "resources: [secret.yaml]\n")
    overlay = tmp_path / "overlay"
    env.encrypt(overlay / "app.env", f"TOKEN={canary}\n")
    write(
        overlay / "generator.yaml",
        ksops(
            "secretFrom:\n- metadata:\n    name: shared\n    annotations:\n"
            "      kustomize.config.k8s.io/behavior: merge\n  envs: [./app.env]\n"
            "- metadata:\n    name: hashed\n    annotations:\n"
            '      kustomize.config.k8s.io/needs-hash: "true"\n  envs: [./app.env]\n',
            path="./secretsops-krm",
        ),
    )
    (overlay / "secretsops-krm").symlink_to(PLUGIN / "secretsops-krm")
    write(overlay / "kustomization.yaml", "resources: [../base]\ngenerators: [generator.yaml]\n")
    done = env.build(overlay)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)
    assert decoded(got["Secret/shared"]) == {"KEEP": "base", "TOKEN": canary}
    hashed = [k for k in got if k.startswith("Secret/hashed-")]
    assert len(hashed) == 1


def test_without_enable_exec_check_says_the_plugin_did_not_run(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    base_with_secrets(env, tmp_path / "base", canary)
    overlay = tmp_path / "overlay"
    write(overlay / "kustomization.yaml", "resources: [../base]\ntransformers: [decrypt.yaml]\n")
    with_function(overlay)
    built = env.build(overlay, exec_plugins=False)
    assert built.returncode == 0 and "ENC[AES256_GCM," in built.stdout  # kustomize's silent skip
    import sys

    checked = env.run([sys.executable, "-m", "secretsops", "check", "-"], tmp_path, stdin=built.stdout)
    assert checked.returncode == 1
    assert (
        "[kustomize-not-decrypted]" in checked.stdout
        and "the decryption plugin did not run" in checked.stdout
    )
    assert "--enable-exec" in checked.stdout and "k8s-secret-plaintext" not in checked.stdout
    assert_no_canary(canary, checked.stdout)


def test_the_function_fails_closed_on_ciphertext_it_cannot_open(env: Env, tmp_path: Path) -> None:
    app = tmp_path / "app"
    write(
        app / "settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
        "data:\n  password: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n",
    )
    write(app / "kustomization.yaml", "resources: [settings.yaml]\ntransformers: [decrypt.yaml]\n")
    with_function(app)
    done = env.build(app)
    assert done.returncode != 0 and done.stdout == ""
    assert "still holds SOPS ciphertext" in done.stderr


def test_the_shipped_ksops_example_builds(env: Env, tmp_path: Path) -> None:
    canary = new_canary()
    app = tmp_path / "app"
    write(app / "generator.yaml", (PLUGIN / "ksops-generator.yaml").read_text())
    (app / "secretsops-krm").symlink_to(PLUGIN / "secretsops-krm")
    env.encrypt(app / "secret.enc.yaml", secret("whole", canary))
    env.encrypt(app / "config.enc.yaml", f"password: {canary}\n", regex=None)
    env.encrypt(app / "settings.enc.yaml", "mode: prod\n", regex=None)
    env.encrypt(app / "keystore.enc.bin", f"{canary}-keystore")
    env.encrypt(app / "app.enc.env", f"TOKEN={canary}\n")
    write(app / "kustomization.yaml", "generators: [generator.yaml]\n")
    done = env.build(app)
    assert done.returncode == 0, done.stderr
    got = objects(done.stdout)
    made = next(o for k, o in got.items() if k.startswith("Secret/app-config-"))
    assert decoded(made)["TOKEN"] == canary and decoded(made)["settings.yaml"] == "mode: prod\n"
    assert got["Secret/whole"]["stringData"] == {"PASSWORD": canary}


def test_a_ksops_path_outside_the_kustomization_is_refused(env: Env, tmp_path: Path) -> None:
    import sys

    import yaml

    env.encrypt(tmp_path / "outside.enc.yaml", secret("x", new_canary()))
    (tmp_path / "app").mkdir()
    config = yaml.safe_load(ksops("files: [../outside.enc.yaml]\n"))
    stdin = yaml.safe_dump(
        {
            "apiVersion": "config.kubernetes.io/v1",
            "kind": "ResourceList",
            "items": [config],
            "functionConfig": config,
        }
    )
    done = env.run([sys.executable, "-m", "secretsops", "krm"], tmp_path / "app", stdin=stdin)
    assert done.returncode == 2 and done.stdout == ""
    assert "outside the kustomization directory" in done.stderr
