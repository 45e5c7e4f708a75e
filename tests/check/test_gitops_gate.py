"""check --gitops in the gate: report formats carry the rules and levels, bad settings are one line."""

from __future__ import annotations

import json

ARGO = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\nspec:\n"
    "  source:\n    repoURL: https://github.com/acme/shop\n"
    "  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: false\n"
)


def test_sarif_marks_self_heal_off_as_a_warning(repo):
    repo.write("argo/shop.yaml", ARGO)
    sarif = json.loads(repo.check("--gitops", "--format", "sarif").out)
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels == {"gitops-self-heal-disabled": "warning"}


def test_junit_lists_a_moving_image_tag_with_its_fix(repo):
    repo.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n"
        "      image: nginx:latest\n",
    )
    out = repo.check("--gitops", "--format", "junit").out
    assert "gitops-image-tag-mutable" in out and "pin it" in out


def test_a_finding_in_the_baseline_is_accepted(repo):
    repo.write("argo/shop.yaml", ARGO.replace("prune: true", "prune: false"))
    assert repo.check("--gitops", "--baseline", "b.json", "--update-baseline").code == 0
    assert repo.check("--gitops", "--baseline", "b.json").code == 0


def test_a_malformed_gitops_section_is_a_one_line_error(repo):
    repo.write(".secretsops.yaml", "check:\n  gitops:\n    allowed_tags: latest\n")
    result = repo.check("--gitops")
    assert (result.code, result.err) == (
        2,
        "secretsops: .secretsops.yaml: check.gitops.allowed_tags must be a list of strings\n",
    )


def test_a_broken_yaml_file_does_not_stop_the_repository_context(repo):
    repo.write("broken.yaml", "kind: Namespace\n  : : [\n")
    repo.write("argo/shop.yaml", ARGO.replace("prune: true", "prune: false"))
    assert repo.check("--gitops").code == 1
