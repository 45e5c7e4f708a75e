"""Helm: the post-renderer run by the real `helm template --post-renderer`, and encrypted values
files handed to the real helm through a pipe (never a file)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integrations.conftest import VENV_BIN, SopsAge, child_env, tool_path

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "helm" / "secretsops-post-renderer"
SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n"
    "stringData:\n  password: {value}\n"
)


def chart(root: Path, templates: dict[str, str], files: dict[str, str] | None = None) -> Path:
    path = root / "chart"
    (path / "templates").mkdir(parents=True)
    (path / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    for name, text in templates.items():
        (path / "templates" / name).write_text(text)
    for name, text in (files or {}).items():
        (path / name).write_text(text)
    return path


def chart_with_sops_secret(tmp_path: Path, sops_age: SopsAge, value: str) -> Path:
    """A chart that ships a SOPS-encrypted Secret (made by the real sops) as a file it includes."""
    enc = tmp_path / "secret.enc.yaml"
    enc.write_text(SECRET.format(value=value))
    sops_age.encrypt(enc)
    return chart(
        tmp_path, {"secret.yaml": '{{ .Files.Get "secret.enc.yaml" }}'}, {"secret.enc.yaml": enc.read_text()}
    )


def helm_template(path: Path, *post: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [tool_path("helm"), "template", "demo", str(path), *post]
    return subprocess.run(
        argv, env=child_env(**env), capture_output=True, text=True, timeout=120, check=False
    )


def test_post_renderer_decrypts_a_sops_secret_rendered_by_helm(tmp_path, sops_age, canary):
    path = chart_with_sops_secret(tmp_path, sops_age, canary)
    out = helm_template(
        path,
        "--post-renderer",
        "secretsops",
        "--post-renderer-args",
        "helm-post-renderer",
        SOPS_AGE_KEY=sops_age.identity,
    )
    assert out.returncode == 0, out.stderr
    assert f"password: {canary}" in out.stdout
    assert "ENC[AES256_GCM," not in out.stdout and "sops:" not in out.stdout


def test_the_shipped_wrapper_script_is_a_working_post_renderer(tmp_path, sops_age, canary):
    path = chart_with_sops_secret(tmp_path, sops_age, canary)
    out = helm_template(path, "--post-renderer", str(PLUGIN), SOPS_AGE_KEY=sops_age.identity)
    assert out.returncode == 0, out.stderr
    assert f"password: {canary}" in out.stdout


def test_without_the_key_helm_fails_and_prints_nothing(tmp_path, sops_age, canary):
    path = chart_with_sops_secret(tmp_path, sops_age, canary)
    out = helm_template(path, "--post-renderer", str(PLUGIN))
    assert out.returncode != 0
    assert out.stdout == ""
    assert "shop/db" in out.stderr or "secret.yaml" in out.stderr or "Secret" in out.stderr


def test_ciphertext_outside_any_sops_document_fails_closed(tmp_path, sops_age):
    enc = tmp_path / "v.enc.yaml"
    enc.write_text("token: hunter2\n")
    sops_age.encrypt(enc, regex=None)
    stolen = next(
        line.split(": ", 1)[1] for line in enc.read_text().splitlines() if line.startswith("token:")
    )
    cm = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  token: {stolen!r}\n"
    path = chart(tmp_path, {"cm.yaml": cm})
    out = helm_template(path, "--post-renderer", str(PLUGIN), SOPS_AGE_KEY=sops_age.identity)
    assert out.returncode != 0
    assert out.stdout == ""
    assert "still holds SOPS ciphertext" in out.stderr and "data.token" in out.stderr


def test_plain_charts_pass_through_unchanged_in_content(tmp_path):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n"
    path = chart(tmp_path, {"cm.yaml": cm})
    out = helm_template(path, "--post-renderer", str(PLUGIN))
    assert out.returncode == 0, out.stderr
    assert "name: plain" in out.stdout and "k: v" in out.stdout


# --- encrypted values files: `secretsops helm …` ---------------------------------------------

VALUES_CHART = {
    "cm.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n"
        "stringData:\n  password: {{ .Values.db.password | quote }}\n  user: {{ .Values.db.user | quote }}\n"
    )
}


def files_containing(roots: list[Path], needle: str) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*"):
            try:
                if path.is_file() and needle.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def run_wrapper(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [str(VENV_BIN / "secretsops"), "helm", "--helm-binary", tool_path("helm"), *args]
    return subprocess.run(
        argv, env=child_env(**env), capture_output=True, text=True, timeout=120, check=False
    )


def test_encrypted_values_file_reaches_helm_through_a_pipe_and_no_plaintext_file(tmp_path, sops_age, canary):
    path = chart(tmp_path, VALUES_CHART)
    (tmp_path / "values.yaml").write_text("db:\n  user: app\n")
    enc = tmp_path / "secrets.enc.yaml"
    enc.write_text(f"db:\n  password: {canary}\n")
    sops_age.encrypt(enc, regex=None)
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    out = run_wrapper(
        "template",
        "demo",
        str(path),
        "-f",
        str(tmp_path / "values.yaml"),
        f"--values={enc}",
        SOPS_AGE_KEY=sops_age.identity,
        TMPDIR=str(tmpdir),
    )
    assert out.returncode == 0, out.stderr
    assert f'password: "{canary}"' in out.stdout and 'user: "app"' in out.stdout
    shm = [Path("/dev/shm")] if Path("/dev/shm").is_dir() else []
    assert files_containing([tmp_path, tmpdir, *shm], canary) == []


def test_wrapper_and_post_renderer_together(tmp_path, sops_age, canary):
    path = chart_with_sops_secret(tmp_path, sops_age, canary)
    (path / "templates" / "extra.yaml").write_text(VALUES_CHART["cm.yaml"])
    enc = tmp_path / "secrets.enc.json"
    enc.write_text('{"db": {"password": "from-values", "user": "u"}}')
    sops_age.encrypt(enc, regex=None)
    out = run_wrapper(
        "template",
        "demo",
        str(path),
        "-f",
        str(enc),
        "--post-renderer",
        str(PLUGIN),
        SOPS_AGE_KEY=sops_age.identity,
    )
    assert out.returncode == 0, out.stderr
    assert f"password: {canary}" in out.stdout and "password: from-values" in out.stdout


def test_undecryptable_values_file_fails_before_helm_runs(tmp_path, sops_age, canary):
    path = chart(tmp_path, VALUES_CHART)
    enc = tmp_path / "secrets.enc.yaml"
    enc.write_text(f"db:\n  password: {canary}\n  user: u\n")
    sops_age.encrypt(enc, regex=None)
    out = run_wrapper("template", "demo", str(path), "-f", str(enc))
    assert out.returncode != 0
    assert out.stdout == ""
    assert "secrets.enc.yaml" in out.stderr and "Traceback" not in out.stderr


def test_wrapper_without_a_helm_command_is_a_usage_error():
    out = run_wrapper()
    assert out.returncode != 0
    assert "give the helm command" in out.stderr


def test_templating_inside_an_encrypted_document_fails_its_mac(tmp_path, sops_age, canary):
    path = chart_with_sops_secret(tmp_path, sops_age, canary)
    (path / "templates" / "secret.yaml").write_text(
        '{{ .Files.Get "secret.enc.yaml" | replace "name: db" "name: db2" }}'
    )
    out = helm_template(path, "--post-renderer", str(PLUGIN), SOPS_AGE_KEY=sops_age.identity)
    assert out.returncode != 0 and out.stdout == ""
    assert "Secret/shop/db2: MAC mismatch" in out.stderr


def test_helm_secrets_scheme_is_accepted_as_helm_secrets_users_write_it(tmp_path, sops_age, canary):
    path = chart(tmp_path, VALUES_CHART)
    enc = tmp_path / "secrets.enc.yaml"
    enc.write_text(f"db:\n  password: {canary}\n  user: u\n")
    sops_age.encrypt(enc, regex=None)
    out = run_wrapper("template", "demo", str(path), "-f", f"secrets://{enc}", SOPS_AGE_KEY=sops_age.identity)
    assert out.returncode == 0, out.stderr
    assert f'password: "{canary}"' in out.stdout


def test_helm_secrets_scheme_on_a_plain_file_is_refused(tmp_path):
    path = chart(tmp_path, VALUES_CHART)
    (tmp_path / "plain.yaml").write_text("db:\n  password: p\n  user: u\n")
    out = run_wrapper("template", "demo", str(path), "-f", f"secrets://{tmp_path / 'plain.yaml'}")
    assert out.returncode == 2 and out.stdout == ""
    assert "not a SOPS-encrypted YAML/JSON file" in out.stderr
