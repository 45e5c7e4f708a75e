"""The pre-commit hook, GitHub Action and GitLab CI snippet call the CLI and gate on its result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
LEAK = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {pw}\n"


def tool_env(home: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "HOME": str(home)}


def test_pre_commit_manifest_and_config_are_valid():
    from pre_commit.clientlib import load_config, load_manifest

    hooks = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert [h["id"] for h in hooks] == ["secretsops-check"]
    assert hooks[0]["entry"].startswith("secretsops check --staged")
    config = load_config(str(ROOT / ".pre-commit-config.yaml"))
    assert config["repos"][0]["hooks"][0]["id"] == "secretsops-check"


def test_pre_commit_hook_blocks_a_staged_leak_and_passes_clean_changes(repo, canary, tmp_path):
    env = tool_env(tmp_path / "home")
    (repo.root / ".pre-commit-config.yaml").write_text((ROOT / ".pre-commit-config.yaml").read_text())
    repo.write("ok.txt", "fine\n")
    repo.git("add", "-A")

    def run_hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "secretsops-check"],
            cwd=repo.root, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    assert run_hook().returncode == 0
    repo.write("s.yaml", LEAK.format(pw=canary))
    repo.git("add", "s.yaml")
    blocked = run_hook()
    assert blocked.returncode == 1
    assert "s.yaml:6: [k8s-secret-plaintext]" in blocked.stdout
    assert canary not in blocked.stdout + blocked.stderr


def test_github_action_is_composite_and_runs_the_cli():
    action = yaml.safe_load((ROOT / "plugins/github-action/action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    runs = " ".join(str(s.get("run", "")) for s in action["runs"]["steps"])
    assert "run.sh" in runs
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert "secretsops check" in (ROOT / "plugins/github-action/run.sh").read_text()


def test_github_action_script_writes_sarif_and_reports_the_exit_code(repo, canary, tmp_path):
    env = tool_env(tmp_path / "home")
    output = tmp_path / "github_output"
    env.update(GITHUB_OUTPUT=str(output), INPUT_SARIF_FILE="out.sarif", INPUT_ARGS="", INPUT_PATHS="")
    repo.write("s.yaml", LEAK.format(pw=canary))
    script = ROOT / "plugins/github-action/run.sh"
    proc = subprocess.run(
        ["bash", str(script)], check=False, cwd=repo.root, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert output.read_text() == "exit-code=1\n"
    sarif = json.loads((repo.root / "out.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "k8s-secret-plaintext"
    assert "s.yaml:6" in proc.stdout
    assert canary not in proc.stdout + (repo.root / "out.sarif").read_text()


def test_gitlab_snippet_runs_the_cli_with_a_junit_report():
    doc = yaml.safe_load((ROOT / "plugins/gitlab-ci/secretsops-check.gitlab-ci.yml").read_text())
    job = doc["secretsops-check"]
    assert any(line.startswith("secretsops check ") and "--format junit" in line for line in job["script"])
    assert job["artifacts"]["reports"]["junit"] == "secretsops-junit.xml"
