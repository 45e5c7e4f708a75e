"""check --gitops: cluster API URLs hard-coded in manifests; kubeconfigs and cluster Secrets pass."""

from __future__ import annotations

RULE = "gitops-cluster-url"


def configmap(key: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  {key}: {value}\n"


def urls(repo, path: str, text: str) -> set[tuple[str, str, int]]:
    repo.write(path, text)
    return {f for f in repo.check_json("--gitops").rules_at() if f[0] == RULE}


def test_an_api_server_on_6443_in_a_configmap_is_reported(repo):
    assert urls(repo, "apps/cfg.yaml", configmap("api", "https://10.0.0.1:6443")) == {
        (RULE, "apps/cfg.yaml", 6)
    }


def test_an_eks_endpoint_is_reported(repo):
    url = "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
    assert urls(repo, "apps/cfg.yaml", configmap("api", url)) == {(RULE, "apps/cfg.yaml", 6)}


def test_an_aks_endpoint_is_reported(repo):
    url = "https://shop-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443"
    assert urls(repo, "apps/cfg.yaml", configmap("api", url)) == {(RULE, "apps/cfg.yaml", 6)}


def test_a_gke_ip_endpoint_under_a_server_key_is_reported(repo):
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\nspec:\n"
        "  destination:\n    server: https://34.76.10.20\n"
    )
    assert urls(repo, "argo/shop.yaml", text) == {(RULE, "argo/shop.yaml", 7)}


def test_argo_in_cluster_destination_passes(repo):
    assert urls(repo, "apps/cfg.yaml", configmap("api", "https://kubernetes.default.svc")) == set()


def test_a_kubeconfig_may_name_its_server(repo):
    text = (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\n"
        "contexts: []\nusers: []\n"
    )
    assert urls(repo, "kubeconfig.yaml", text) == set()


def test_an_argo_cluster_secret_may_name_its_server(repo):
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod\n  labels:\n"
        "    argocd.argoproj.io/secret-type: cluster\nstringData:\n  name: prod\n  server: https://10.0.0.1:6443\n"
    )
    assert urls(repo, "argo/cluster.yaml", text) == set()


def test_an_ordinary_https_url_passes(repo):
    assert urls(repo, "apps/cfg.yaml", configmap("docs", "https://example.com:8443/api")) == set()
