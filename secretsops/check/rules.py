"""The catalogue of what `secretsops check` reports: one stable id per kind of leak.

Ids are part of the public contract (baselines, SARIF rule ids, CI filters), so they never
change meaning; new kinds of leak get new ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    description: str
    #: how to fix; ``{path}`` is replaced with the file's path.
    fix: str
    level: str = "error"  # SARIF level
    #: whether a finding fails the gate (exit 1); advisory rules only do when configured
    gates: bool = True


ROTATE = "rotate the exposed value, then "
ENCRYPT_SECRET = "secretsops encrypt -i --encrypted-regex '^(data|stringData)$' {path}"

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "k8s-secret-plaintext",
            "KubernetesSecretPlaintext",
            "A Kubernetes Secret has a data/stringData value that is not SOPS-encrypted.",
            ROTATE + "encrypt it: " + ENCRYPT_SECRET + " (or seal it: secretsops seal)",
        ),
        Rule(
            "sealed-secret-not-sealed",
            "SealedSecretNotSealed",
            "A SealedSecret's encryptedData value is not kubeseal ciphertext.",
            ROTATE + "re-seal it: secretsops seal < secret.yaml > {path}",
        ),
        Rule(
            "kustomize-secret-literal",
            "KustomizeSecretLiteral",
            "A kustomize secretGenerator has a plaintext literal.",
            ROTATE + "move it to an env file and encrypt that: secretsops encrypt -i FILE.env",
        ),
        Rule(
            "kustomize-secret-file",
            "KustomizeSecretFile",
            "A kustomize secretGenerator reads a file (envs/files) that is not SOPS-encrypted.",
            ROTATE + "encrypt the referenced file: secretsops encrypt -i FILE",
        ),
        Rule(
            "kustomize-not-decrypted",
            "KustomizeOutputNotDecrypted",
            "Rendered output still holds SOPS ciphertext or SOPS metadata: the decryption plugin did "
            "not run (a value is not exposed, but this output would put ciphertext into the cluster).",
            "build with the plugin enabled: kustomize build --enable-alpha-plugins --enable-exec DIR "
            "(`kubectl kustomize` has no --enable-exec and skips exec plugins silently: use standalone "
            "kustomize), or render with secretsops render DIR",
        ),
        Rule(
            "sops-unencrypted",
            "SopsRuleFileUnencrypted",
            "A .sops.yaml creation rule covers this file but it is not SOPS-encrypted.",
            "encrypt it: secretsops encrypt -i {path}",
        ),
        Rule(
            "sops-partially-decrypted",
            "SopsValueDecrypted",
            "A SOPS file has a value in plaintext that its rules say must be ENC[...].",
            ROTATE + "re-encrypt the file: secretsops decrypt -i {path} && secretsops encrypt -i {path}",
        ),
        Rule(
            "sops-metadata-broken",
            "SopsMetadataBroken",
            "SOPS metadata is missing or incomplete (no MAC, or no key that can unwrap the data key).",
            "restore the file from the last good commit or re-encrypt it: secretsops encrypt -i {path}",
        ),
        Rule(
            "age-secret-key",
            "AgeIdentity",
            "An age identity (AGE-SECRET-KEY-1...) is committed.",
            ROTATE + "remove it; keep identities out of git (SOPS_AGE_KEY_FILE, a cluster Secret)",
        ),
        Rule(
            "private-key",
            "PrivateKey",
            "A PEM private key is committed (also found base64-encoded inside Secret data).",
            ROTATE + "remove it, or encrypt the file: secretsops encrypt -i {path}",
        ),
        Rule(
            "kubeconfig-credentials",
            "KubeconfigCredentials",
            "A kubeconfig carries a token, password or client key inline.",
            ROTATE + "remove the credential; use an exec credential plugin, or encrypt: "
            "secretsops encrypt -i {path}",
        ),
        Rule(
            "aws-access-key",
            "AwsAccessKey",
            "An AWS access key id (AKIA/ASIA) or secret access key is committed.",
            ROTATE + "deactivate the key in IAM and remove it; use roles or an ExternalSecret",
        ),
        Rule(
            "vault-token",
            "VaultToken",
            "A Vault/OpenBao token (hvs., hvb., s., b.) is committed.",
            ROTATE + "revoke it (bao token revoke) and remove it",
        ),
        Rule(
            "github-token",
            "GitHubToken",
            "A GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_) is committed.",
            ROTATE + "revoke it in GitHub settings and remove it",
        ),
        Rule(
            "gitlab-token",
            "GitLabToken",
            "A GitLab token (glpat-, gldt-, glrt-, ...) is committed.",
            ROTATE + "revoke it in GitLab and remove it",
        ),
        Rule(
            "dotenv-credential",
            "DotenvCredential",
            "A .env file has a credential-shaped value in plaintext.",
            ROTATE + "encrypt the file: secretsops encrypt -i {path}",
        ),
        Rule(
            "high-entropy-secret",
            "HighEntropySecret",
            "A high-entropy value sits under a secret-like key.",
            ROTATE + "move it to an encrypted file (secretsops encrypt -i FILE) or an ExternalSecret",
            level="warning",
        ),
        Rule(
            "gitops-image-tag-mutable",
            "GitopsImageTagMutable",
            "An image tag that moves (latest, none, or neither a digest nor semver-like): git no "
            "longer says what runs.",
            "pin it: image: NAME:1.2.3 or NAME@sha256:DIGEST (or allow the tag pattern in "
            ".secretsops.yaml check.gitops.allowed_tags)",
        ),
        Rule(
            "gitops-prune-disabled",
            "GitopsPruneDisabled",
            "Pruning is off (Flux Kustomization spec.prune, Argo CD syncPolicy.automated.prune): "
            "a manifest deleted from git stays deployed.",
            "set spec.prune: true (Flux) or syncPolicy.automated.prune: true (Argo CD) in {path}",
        ),
        Rule(
            "gitops-self-heal-disabled",
            "GitopsSelfHealDisabled",
            "Argo CD selfHeal is off: a change made in the cluster by hand stays until the next commit.",
            "set syncPolicy.automated.selfHeal: true in {path}",
            level="warning",
            gates=False,
        ),
        Rule(
            "gitops-cluster-url",
            "GitopsClusterUrl",
            "A cluster API server URL (:6443, EKS, AKS, GKE) is hard-coded in a manifest.",
            "use the in-cluster service account or Argo CD destination.name; keep API URLs in "
            "kubeconfigs and cluster Secrets",
        ),
        Rule(
            "gitops-prod-human-write",
            "GitopsProductionHumanWrite",
            "A User or Group (not a ServiceAccount) is bound to a role with write verbs in a "
            "production namespace.",
            "bind a read-only role (view) for people, let the GitOps controller's ServiceAccount "
            "write; mark deliberate break-glass access with secretsops:ignore <reason>",
            level="warning",
            gates=False,
        ),
    )
}
