"""check --gitops: pruning off (Flux, Argo CD) fails the gate; Argo CD selfHeal off is a warning."""

from __future__ import annotations

PRUNE = "gitops-prune-disabled"
HEAL = "gitops-self-heal-disabled"

FLUX = (
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
    "spec:\n  interval: 10m\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
)


def argo(sync: str) -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\nspec:\n"
        "  source:\n    repoURL: https://github.com/acme/shop\n    path: apps\n"
        "  destination:\n    name: in-cluster\n" + sync
    )


def found(repo, path: str, text: str, rule: str):
    repo.write(path, text)
    result = repo.check_json("--gitops")
    return {f for f in result.rules_at() if f[0] == rule}, result.code


def test_flux_kustomization_with_prune_false_is_reported_at_the_field(repo):
    assert found(repo, "clusters/apps.yaml", FLUX + "  prune: false\n", PRUNE) == (
        {(PRUNE, "clusters/apps.yaml", 11)},
        1,
    )


def test_flux_kustomization_without_prune_is_reported(repo):
    assert found(repo, "clusters/apps.yaml", FLUX, PRUNE)[0] == {(PRUNE, "clusters/apps.yaml", 5)}


def test_flux_kustomization_with_prune_true_passes(repo):
    assert found(repo, "clusters/apps.yaml", FLUX + "  prune: true\n", PRUNE) == (set(), 0)


def test_a_flux_patch_that_does_not_mention_prune_inherits_the_base(repo):
    patch = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: apps\nspec:\n  interval: 1m\n"
    )
    assert found(repo, "clusters/prod/patch.yaml", patch, PRUNE)[0] == set()


def test_kustomize_own_kustomization_is_not_flux(repo):
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    assert found(repo, "kustomization.yaml", text, PRUNE)[0] == set()


def test_argo_application_with_manual_sync_is_reported(repo):
    assert found(repo, "argo/shop.yaml", argo(""), PRUNE)[0] == {(PRUNE, "argo/shop.yaml", 5)}


def test_argo_application_with_automated_prune_false_is_reported_at_the_field(repo):
    text = argo("  syncPolicy:\n    automated:\n      prune: false\n      selfHeal: true\n")
    assert found(repo, "argo/shop.yaml", text, PRUNE)[0] == {(PRUNE, "argo/shop.yaml", 13)}


def test_argo_application_with_prune_and_self_heal_passes(repo):
    text = argo("  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n")
    result = found(repo, "argo/shop.yaml", text, PRUNE), found(repo, "argo/shop.yaml", text, HEAL)
    assert result == ((set(), 0), (set(), 0))


def test_argo_application_set_template_is_checked(repo):
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: all\nspec:\n"
        "  template:\n    spec:\n      source:\n        repoURL: https://github.com/acme/shop\n"
        "      syncPolicy:\n        automated:\n          prune: false\n          selfHeal: true\n"
    )
    assert found(repo, "argo/all.yaml", text, PRUNE)[0] == {(PRUNE, "argo/all.yaml", 12)}


def test_self_heal_off_is_reported_but_does_not_fail_the_gate(repo):
    text = argo("  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: false\n")
    assert found(repo, "argo/shop.yaml", text, HEAL) == ({(HEAL, "argo/shop.yaml", 14)}, 0)


def test_self_heal_missing_is_reported(repo):
    text = argo("  syncPolicy:\n    automated:\n      prune: true\n")
    assert found(repo, "argo/shop.yaml", text, HEAL)[0] == {(HEAL, "argo/shop.yaml", 12)}


def test_warnings_fail_the_gate_when_configured(repo):
    repo.write(".secretsops.yaml", "check:\n  gitops:\n    fail_on_warnings: true\n")
    text = argo("  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: false\n")
    assert found(repo, "argo/shop.yaml", text, HEAL)[1] == 1
