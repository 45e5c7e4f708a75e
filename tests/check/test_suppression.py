"""Suppressions leave a trail: pragmas in the file, a baseline file, excludes in config."""

from __future__ import annotations

import json

LEAK = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {pw}{pragma}\n"


def test_secretsops_ignore_pragma_suppresses_with_its_reason(repo, canary):
    repo.write("s.yaml", LEAK.format(pw=canary, pragma="  # secretsops:ignore test-only value"))
    res = repo.check_json()
    assert res.code == 0
    assert res.json["suppressed"][0]["suppression"] == "inline"
    assert res.json["suppressed"][0]["reason"] == "test-only value"


def test_existing_pragmas_from_other_scanners_are_honoured(repo, canary):
    repo.write("a.yaml", LEAK.format(pw=canary, pragma="  # gitleaks:allow"))
    repo.write("b.yaml", LEAK.format(pw=canary, pragma="  # pragma: allowlist secret"))
    repo.write("c.env", f"# pragma: allowlist nextline secret\nDB_PASSWORD={canary}\n")
    res = repo.check_json()
    assert res.code == 0
    assert len(res.json["suppressed"]) == 3


def test_baseline_accepts_known_findings_and_survives_edits_above_them(repo, canary):
    repo.write("s.yaml", LEAK.format(pw=canary, pragma=""))
    res = repo.check("--baseline", ".secretsops-baseline.json", "--update-baseline")
    assert res.code == 0
    baseline = (repo.root / ".secretsops-baseline.json").read_text()
    assert canary not in baseline
    assert json.loads(baseline)["version"] == 2
    repo.write("s.yaml", "# a comment\n# another\n" + LEAK.format(pw=canary, pragma=""))
    res = repo.check_json("--baseline", ".secretsops-baseline.json")
    assert res.code == 0
    assert res.json["suppressed"][0]["suppression"] == "baseline"


def test_baseline_does_not_hide_a_changed_value(repo, canary):
    repo.write("s.yaml", LEAK.format(pw=canary, pragma=""))
    repo.check("--baseline", "b.json", "--update-baseline")
    repo.write("s.yaml", LEAK.format(pw=canary + "-rotated-in-plaintext", pragma=""))
    assert repo.check("--baseline", "b.json").code == 1


def test_baseline_from_a_newer_version_is_refused(repo):
    repo.write("b.json", '{"version": 99, "findings": []}')
    res = repo.check("--baseline", "b.json")
    assert res.code == 2
    assert "newer than this secretsops supports" in res.err


def test_update_baseline_without_a_file_is_a_usage_error(repo):
    assert repo.check("--update-baseline").code == 2


def test_excludes_from_secretsops_yaml(repo, canary):
    repo.write(".secretsops.yaml", "check:\n  exclude:\n    - testdata\n    - docs/examples/**\n")
    repo.write("pkg/testdata/s.yaml", LEAK.format(pw=canary, pragma=""))
    repo.write("docs/examples/s.yaml", LEAK.format(pw=canary, pragma=""))
    repo.write("docs/s.yaml", LEAK.format(pw=canary, pragma=""))
    assert repo.check_json().rules_at() == {("k8s-secret-plaintext", "docs/s.yaml", 6)}


def test_exclude_flag(repo, canary):
    repo.write("fixtures/s.yaml", LEAK.format(pw=canary, pragma=""))
    assert repo.check("--exclude", "fixtures/*.yaml").code == 0
