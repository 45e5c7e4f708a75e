"""Paths as linters show them (relative to the current directory), PATHs from several places,
and a summary that counts findings and the files holding them in plain English."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from secretsops.check import CheckOptions, run_check
from secretsops.cli.main import main

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {pw}\n"


def run(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", "--no-progress", *args])
    return code, capsys.readouterr().out


def test_paths_outside_any_git_repository_are_scanned_together(tmp_path, monkeypatch, capsys, canary):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "s.yaml").write_text(SECRET.format(pw=canary))
    (tmp_path / "b" / "t.yaml").write_text(SECRET.format(pw=canary + "2"))
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "--format", "json", "a", "b")
    assert code == 1
    assert [f["path"] for f in json.loads(out)["findings"]] == ["a/s.yaml", "b/t.yaml"]


def test_paths_in_two_repositories_are_each_judged_in_their_own(
    tmp_path, monkeypatch, capsys, canary, age_key
):
    for name in ("one", "two"):
        subprocess.run(["git", "init", "-q", str(tmp_path / name)], check=True)
    (tmp_path / "one" / "s.yaml").write_text(SECRET.format(pw=canary))
    (tmp_path / "two" / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: conf\n    age: {age_key.recipient}\n"
    )
    (tmp_path / "two" / "conf.yaml").write_text(f"password: {canary}\n")
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "--format", "json", "one", "two/conf.yaml")
    found = {(f["rule"], f["path"], f["repo_path"]) for f in json.loads(out)["findings"]}
    assert found == {
        ("k8s-secret-plaintext", "one/s.yaml", "s.yaml"),
        ("sops-unencrypted", "two/conf.yaml", "conf.yaml"),  # two's .sops.yaml, not one's
    }


def test_findings_are_shown_relative_to_the_current_directory(repo, monkeypatch, capsys, canary):
    repo.write("apps/db/secret.yaml", SECRET.format(pw=canary))
    repo.write("apps/web/secret.yaml", SECRET.format(pw=canary + "w"))
    monkeypatch.chdir(repo.root / "apps" / "db")
    code, out = run(capsys)  # no PATH: the whole repository, shown from here
    assert code == 1
    located = {line.split(": [", 1)[0] for line in out.splitlines() if ": [k8s-secret-plaintext]" in line}
    assert located == {"secret.yaml:6", "../web/secret.yaml:6"}


def test_a_path_given_from_outside_the_repository_is_shown_as_given(
    repo, monkeypatch, capsys, canary, tmp_path
):
    repo.write("apps/secret.yaml", SECRET.format(pw=canary))
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "--format", "json", "repo/apps")
    assert [(f["path"], f["repo_path"]) for f in json.loads(out)["findings"]] == [
        ("repo/apps/secret.yaml", "apps/secret.yaml")
    ]


def test_baseline_and_sarif_use_repository_paths_from_any_directory(repo, monkeypatch, capsys, canary):
    repo.write("apps/secret.yaml", SECRET.format(pw=canary))
    repo.check("--baseline", "base.json", "--update-baseline")
    monkeypatch.chdir(repo.root / "apps")
    code, out = run(capsys, "--baseline", "../base.json")
    assert code == 0, out
    code, out = run(capsys, "--format", "sarif")
    uri = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "apps/secret.yaml"


@pytest.mark.parametrize(
    ("files", "summary"),
    [
        ({"a.yaml": 1}, "1 finding in 1 file (1 file scanned)"),
        ({"a.yaml": 2, "b.md": 0}, "2 findings in 1 file (2 files scanned)"),
        ({"a.yaml": 1, "b.yaml": 1, "c.md": 0}, "2 findings in 2 files (3 files scanned)"),
        ({"c.md": 0}, "no findings (1 file scanned)"),
    ],
)
def test_summary_counts_findings_and_the_files_holding_them(repo, files, summary):
    for name, leaks in files.items():
        body = "".join(f"  key{i}: v{i}-Zq8LmN3pX\n" for i in range(leaks))
        repo.write(name, SECRET.format(pw="").replace("  password: \n", body) if leaks else "# notes\n")
    res = repo.check()
    assert res.out.splitlines()[-1] == f"secretsops check: {summary}"
    assert "(s)" not in res.out


def test_baseline_message_counts_in_english(repo, canary):
    repo.write("a.yaml", SECRET.format(pw=canary))
    res = repo.check("--baseline", "b.json", "--update-baseline")
    assert res.out == "secretsops check: wrote 1 finding to baseline b.json\n"


def test_json_reports_files_with_findings(repo, canary):
    repo.write("a.yaml", SECRET.format(pw=canary))
    repo.write("b.md", "# b\n")
    doc = repo.check_json().json
    assert (doc["files_scanned"], doc["files_with_findings"]) == (2, 1)


def test_a_large_tree_scanned_by_several_processes_gives_the_one_process_report(repo, canary):
    """Trees over 500 files are split over the CPUs; the report must not depend on it."""
    for i in range(620):
        body = SECRET.format(pw=f"{canary}-{i}") if i % 50 == 0 else f"kind: ConfigMap\ndata: {{n: '{i}'}}\n"
        repo.write(f"d{i % 7}/f{i}.yaml", body)
    repo.write("d0/notes.bin", b"\0\1\2")
    root = Path(repo.root).resolve()
    one = run_check(CheckOptions(root=root, jobs=1), True)
    many = run_check(CheckOptions(root=root, jobs=2), True)
    assert len(one.findings) == 13
    assert (many.findings, many.notes, many.files_scanned) == (one.findings, one.notes, one.files_scanned)
