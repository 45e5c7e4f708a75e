"""The pre-commit hook and the GitHub Action run the --gitops rule group by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOVING = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
    "spec:\n  containers:\n    - name: c\n      image: nginx:latest\n"
)


def run_action(repo, tmp_path: Path, **inputs: str) -> list[str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    env.update(GITHUB_OUTPUT=str(tmp_path / "out"), INPUT_SARIF_FILE="out.sarif", INPUT_ARGS="", **inputs)
    subprocess.run(["bash", str(ROOT / "plugins/github-action/run.sh")], cwd=repo.root, env=env, check=True)
    sarif = json.loads((repo.root / "out.sarif").read_text())
    return [r["ruleId"] for r in sarif["runs"][0]["results"]]


def test_the_pre_commit_hook_passes_gitops():
    from pre_commit.clientlib import load_manifest

    hook = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))[0]
    assert "--gitops" in hook["entry"].split()


def test_the_github_action_reports_gitops_findings_by_default(repo, tmp_path):
    repo.write("pod.yaml", MOVING)
    assert run_action(repo, tmp_path) == ["gitops-image-tag-mutable"]


def test_the_github_action_gitops_input_false_turns_the_group_off(repo, tmp_path):
    repo.write("pod.yaml", MOVING)
    assert run_action(repo, tmp_path, INPUT_GITOPS="false") == []
