"""check --gitops: Users/Groups bound to write roles in production namespaces (a warning)."""

from __future__ import annotations

RULE = "gitops-prod-human-write"
PROD_NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    environment: production\n"


def binding(namespace: str, role: str, *subjects: str, role_kind: str = "ClusterRole") -> str:
    items = "".join(f"  - kind: {s.split(':')[0]}\n    name: {s.split(':')[1]}\n" for s in subjects)
    return (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: access\n"
        f"  namespace: {namespace}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
        f"  kind: {role_kind}\n  name: {role}\nsubjects:\n" + items
    )


def warnings(repo, *files: tuple[str, str]):
    for path, text in files:
        repo.write(path, text)
    result = repo.check_json("--gitops")
    return {f for f in result.rules_at() if f[0] == RULE}, result.code


def test_a_group_with_edit_in_a_namespace_labelled_production_is_a_warning(repo):
    found = warnings(
        repo, ("ns.yaml", PROD_NS), ("rbac/devs.yaml", binding("shop", "edit", "Group:developers"))
    )
    assert found == ({(RULE, "rbac/devs.yaml", 11)}, 0)


def test_a_service_account_with_edit_in_production_passes(repo):
    found = warnings(
        repo, ("ns.yaml", PROD_NS), ("rbac/ci.yaml", binding("shop", "edit", "ServiceAccount:ci"))
    )
    assert found[0] == set()


def test_a_user_with_view_in_production_passes(repo):
    found = warnings(repo, ("ns.yaml", PROD_NS), ("rbac/devs.yaml", binding("shop", "view", "User:alice")))
    assert found[0] == set()


def test_a_group_with_edit_in_a_namespace_not_marked_production_passes(repo):
    staging = PROD_NS.replace("production", "staging")
    found = warnings(
        repo, ("ns.yaml", staging), ("rbac/devs.yaml", binding("shop", "edit", "Group:developers"))
    )
    assert found[0] == set()


def test_a_repository_role_with_write_verbs_counts_as_writing(repo):
    role = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
        "metadata:\n  name: deployer\n  namespace: shop\n"
        "rules:\n  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get, patch]\n"
    )
    found = warnings(
        repo,
        ("ns.yaml", PROD_NS),
        ("rbac/role.yaml", role),
        ("rbac/alice.yaml", binding("shop", "deployer", "User:alice", role_kind="Role")),
    )
    assert found[0] == {(RULE, "rbac/alice.yaml", 11)}


def test_a_configured_production_namespace_needs_no_label(repo):
    repo.write(".secretsops.yaml", "check:\n  gitops:\n    production_namespaces: [payments]\n")
    found = warnings(repo, ("rbac/devs.yaml", binding("payments", "admin", "User:bob")))
    assert found[0] == {(RULE, "rbac/devs.yaml", 11)}


def test_a_break_glass_binding_can_be_suppressed_inline(repo):
    text = binding("shop", "admin", "Group:oncall").replace(
        "  - kind: Group", "  - kind: Group  # secretsops:ignore break-glass, reviewed quarterly"
    )
    repo.write("ns.yaml", PROD_NS)
    repo.write("rbac/oncall.yaml", text)
    report = repo.check_json("--gitops").json
    assert [s["reason"] for s in report["suppressed"]] == ["break-glass, reviewed quarterly"]


def test_a_cluster_role_binding_for_a_user_reaches_production(repo):
    text = binding("shop", "cluster-admin", "User:carol").replace(
        "kind: RoleBinding", "kind: ClusterRoleBinding"
    )
    found = warnings(repo, ("ns.yaml", PROD_NS), ("rbac/carol.yaml", text))
    assert found[0] == {(RULE, "rbac/carol.yaml", 11)}
