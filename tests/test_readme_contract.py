"""The README's two set-up commands exist, and CI runs exactly the test command."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_names_the_demo_and_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/demo.sh" in readme
    assert "bash scripts/test.sh" in readme


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


def test_test_command_fails_when_pytest_collects_nothing() -> None:
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert '"$rc" -eq 5' in script and "exit 1" in script


def test_keys_directory_tracks_only_its_gitignore() -> None:
    assert (ROOT / "keys" / ".gitignore").read_text().split() == ["*", "!.gitignore"]
