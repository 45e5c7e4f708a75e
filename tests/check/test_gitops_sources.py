"""check --gitops on secretsops' own sources.yaml: prune off fails the gate, selfHeal off is a warning."""

from __future__ import annotations

PRUNE = "gitops-prune-disabled"
HEAL = "gitops-self-heal-disabled"

SOURCE = "sources:\n- name: apps\n  url: https://git.example.org/platform.git\n  path: clusters/prod\n"


def findings(repo, text: str):
    repo.write("sources.yaml", text)
    result = repo.check_json("--gitops")
    return {f for f in result.rules_at() if f[0] in (PRUNE, HEAL)}, result.code


def test_a_source_with_prune_false_fails_the_gate_at_the_field(repo):
    assert findings(repo, SOURCE + "  prune: false\n") == ({(PRUNE, "sources.yaml", 5)}, 1)


def test_a_source_with_self_heal_false_is_a_warning_at_the_field(repo):
    assert findings(repo, SOURCE + "  selfHeal: false\n") == ({(HEAL, "sources.yaml", 5)}, 0)


def test_a_source_that_does_not_mention_them_prunes_and_self_heals_by_default(repo):
    assert findings(repo, SOURCE) == (set(), 0)


def test_the_fix_names_the_sources_file(repo):
    repo.write("sources.yaml", SOURCE + "  prune: false\n")
    result = repo.check_json("--gitops")
    finding = next(f for f in result.json["findings"] if f["rule"] == PRUNE)
    assert "set prune: true" in str(finding) and "sources.yaml" in str(finding)


def test_a_sources_key_in_other_yaml_is_not_a_secretsops_source(repo):
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {}\n"
        "sources:\n- {url: a, prune: false}\n"
    )
    assert findings(repo, text) == (set(), 0)
