"""The catalogue of what `secretsops check` reports: one stable id per kind of leak.

Ids are part of the public contract (baselines, SARIF rule ids, CI filters), so they never
change meaning; new kinds of leak get new ids.

Each rule says how to fix a finding: in words (``advice``) and, where one exists, as a shell
command run from the directory ``check`` was run in. Every command printed is tested to work
(tests/check/test_fixes.py: the command runs in a real repository, then ``check`` passes); a
finding no local command can fix (a token only its issuer can revoke) gets advice and no command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fix:
    """How to fix one kind of finding.

    ``command`` may name ``{path}`` (the file, as reported) and ``{config}`` (`` --config FILE``
    when the ``.sops.yaml`` that applies to the file is not the one sops finds from the current
    directory); it is empty when no command can do the job.
    """

    advice: str
    command: str = ""
    #: the command finds its keys in a .sops.yaml creation rule (without one it cannot run)
    needs_creation_rule: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    description: str
    #: how to fix (the default variant)
    fix: Fix
    level: str = "error"  # SARIF level
    #: whether a finding fails the gate (exit 1); advisory rules only do when configured
    gates: bool = True
    #: other fixes a detector may pick for a finding (``Finding.variant``), e.g. a whole key file
    variants: Mapping[str, Fix] = field(default_factory=dict)

    def fix_for(self, variant: str) -> Fix:
        if variant == "template":  # a Helm template: sops cannot encrypt it, whatever the rule
            return TEMPLATE if self.fix.command else self.fix
        return self.variants.get(variant, self.fix)


ROTATE = "rotate the exposed value, then "
#: a file that holds only key material: stop tracking it and ignore it (the value stays in history: rotate)
UNTRACK = "git rm -q --cached {path} && printf '\\n%s\\n' {ignore_pattern} >> {gitignore}"
ENCRYPT = "secretsops encrypt{config} -i {path}"
ENCRYPT_SECRET = "secretsops encrypt{config} -i --encrypted-regex '^(data|stringData)$' {path}"
#: re-encrypt, in place and in memory, the values of a SOPS file that were decrypted by hand
REENCRYPT = "secretsops check --fix {path}"
KEY_FILE = Fix(ROTATE + "stop tracking the key file and ignore it", UNTRACK)
#: a finding in a Helm chart template, where no command can encrypt the file
TEMPLATE = Fix(
    ROTATE + "take the value out of the template: put it in a values file encrypted with secretsops "
    "encrypt (passed with helm -f), or use a SealedSecret or an ExternalSecret"
)
REVOKE_NOTE = " (no local command can revoke it)"

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "k8s-secret-plaintext",
            "KubernetesSecretPlaintext",
            "A Kubernetes Secret has a data/stringData value that is not SOPS-encrypted.",
            Fix(ROTATE + "encrypt its data (or seal it: secretsops seal)", ENCRYPT_SECRET, True),
            variants={
                # a rule that names the file (or sets crypt options) decides which keys are encrypted:
                # a flag would conflict with it, or leave what the rule requires in plaintext
                "rule-decides": Fix(ROTATE + "encrypt it as its .sops.yaml rule says", ENCRYPT, True),
                # a Secret inside a SOPS file whose rules leave this value in plaintext
                "in-sops-file": Fix(ROTATE + "re-encrypt the file so its data is encrypted", REENCRYPT),
            },
        ),
        Rule(
            "k8s-plaintext-credential",
            "KubernetesPlaintextCredential",
            "A credential is set in plaintext outside a Secret (a ConfigMap data value, a container "
            "env value).",
            Fix(
                ROTATE + "move it into a Secret (encrypted with secretsops encrypt, sealed with "
                "secretsops seal, or an ExternalSecret) and reference it (env valueFrom.secretKeyRef, "
                "envFrom.secretRef)"
            ),
        ),
        Rule(
            "sealed-secret-not-sealed",
            "SealedSecretNotSealed",
            "A SealedSecret's encryptedData value is not kubeseal ciphertext.",
            Fix(
                ROTATE + "seal the Secret again with the controller's certificate: "
                "secretsops seal --cert CERT.pem -f SECRET.yaml -w {path}"
            ),
        ),
        Rule(
            "kustomize-secret-literal",
            "KustomizeSecretLiteral",
            "A kustomize secretGenerator has a plaintext literal.",
            Fix(
                ROTATE + "move the literals to an env file listed under the generator's envs:, "
                "then encrypt that file: secretsops encrypt -i FILE.env"
            ),
        ),
        Rule(
            "kustomize-secret-file",
            "KustomizeSecretFile",
            "A kustomize secretGenerator reads a file (envs/files) that is not SOPS-encrypted.",
            Fix(ROTATE + "encrypt the file the generator reads", ENCRYPT, True),
        ),
        Rule(
            "kustomize-not-decrypted",
            "KustomizeOutputNotDecrypted",
            "Rendered output still holds SOPS ciphertext or SOPS metadata: the decryption plugin did "
            "not run (a value is not exposed, but this output would put ciphertext into the cluster).",
            Fix(
                "build with the plugin enabled: kustomize build --enable-alpha-plugins --enable-exec DIR "
                "(`kubectl kustomize` has no --enable-exec and skips exec plugins silently: use standalone "
                "kustomize), or render with secretsops render DIR"
            ),
        ),
        Rule(
            "sops-unencrypted",
            "SopsRuleFileUnencrypted",
            "A .sops.yaml creation rule covers this file, it holds secrets, but it is not SOPS-encrypted.",
            Fix("encrypt it", ENCRYPT, True),
        ),
        Rule(
            "sops-partially-decrypted",
            "SopsValueDecrypted",
            "A SOPS file has a value in plaintext that its rules say must be ENC[...].",
            Fix(
                "re-encrypt the plaintext values in place with the file's data key, then rotate them",
                REENCRYPT,
            ),  # fmt: skip
        ),
        Rule(
            "sops-metadata-broken",
            "SopsMetadataBroken",
            "SOPS metadata is missing or incomplete (no MAC, or no key that can unwrap the data key).",
            Fix(
                "restore the file from the last commit where it was whole "
                "(git log --oneline -- {path}; git restore --source=COMMIT -- {path}); without a key "
                "stanza its data key is lost"
            ),
            variants={
                # the data key is still wrapped: re-encrypting writes a MAC over the current values
                "no-mac": Fix(
                    "check the values are the ones you expect (secretsops decrypt --ignore-mac {path}), "
                    "then write a new MAC",
                    REENCRYPT,
                ),
            },
        ),
        Rule(
            "age-secret-key",
            "AgeIdentity",
            "An age identity (AGE-SECRET-KEY-1...) is committed.",
            Fix(
                ROTATE + "delete it from the file; keep identities out of git (SOPS_AGE_KEY_FILE, a "
                "cluster Secret)"
            ),
            variants={"key-file": KEY_FILE},
        ),
        Rule(
            "private-key",
            "PrivateKey",
            "A PEM private key is committed (also found base64-encoded inside Secret data).",
            Fix(ROTATE + "delete it from the file, or encrypt the file", ENCRYPT, True),
            variants={"key-file": KEY_FILE, "not-encryptable": Fix(ROTATE + "delete it from the file")},
        ),
        Rule(
            "kubeconfig-credentials",
            "KubeconfigCredentials",
            "A kubeconfig carries a token, password or client key inline.",
            Fix(ROTATE + "use an exec credential plugin instead, or encrypt the kubeconfig", ENCRYPT, True),
        ),
        Rule(
            "aws-access-key",
            "AwsAccessKey",
            "An AWS access key id (AKIA/ASIA) or secret access key is committed.",
            Fix("deactivate the key in IAM, delete it from the file; use roles or an ExternalSecret"),
        ),
        Rule(
            "vault-token",
            "VaultToken",
            "A Vault/OpenBao token (hvs., hvb., s., b.) is committed.",
            Fix("revoke it (bao token revoke -self with the token, or by accessor), delete it from the file"),
        ),
        Rule(
            "github-token",
            "GitHubToken",
            "A GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_) is committed.",
            Fix("revoke it in GitHub settings (Developer settings > tokens), delete it from the file"),
        ),
        Rule(
            "gitlab-token",
            "GitLabToken",
            "A GitLab token (glpat-, gldt-, glrt-, ...) is committed.",
            Fix("revoke it in GitLab (Access tokens), delete it from the file"),
        ),
        Rule(
            "slack-token",
            "SlackToken",
            "A Slack token (xoxb-, xoxp-, xapp-, ...) or incoming-webhook URL is committed.",
            Fix("revoke it in the Slack app's settings (OAuth, Incoming Webhooks), delete it from the file"),
        ),
        Rule(
            "stripe-key",
            "StripeKey",
            "A Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_) is committed.",
            Fix("roll it in the Stripe dashboard (Developers > API keys), delete it from the file"),
        ),
        Rule(
            "google-api-key",
            "GoogleApiKey",
            "A Google API key (AIza...) is committed.",
            Fix(
                "delete or regenerate it in the Google Cloud console (APIs & Services > Credentials), "
                "delete it from the file"
            ),
        ),
        Rule(
            "npm-token",
            "NpmToken",
            "An npm access token (npm_) is committed.",
            Fix("revoke it on npmjs.com (Access Tokens), delete it from the file"),
        ),
        Rule(
            "pypi-token",
            "PypiToken",
            "A PyPI API token (pypi-) is committed.",
            Fix("remove it on pypi.org (Account settings > API tokens), delete it from the file"),
        ),
        Rule(
            "dockerhub-token",
            "DockerHubToken",
            "A Docker Hub personal access token (dckr_pat_) is committed.",
            Fix("delete it in Docker Hub (Account settings > Access tokens), delete it from the file"),
        ),
        Rule(
            "sendgrid-api-key",
            "SendGridApiKey",
            "A SendGrid API key (SG.) is committed.",
            Fix("delete it in SendGrid (Settings > API Keys), delete it from the file"),
        ),
        Rule(
            "openai-api-key",
            "OpenAiApiKey",
            "An OpenAI API key (sk-...T3BlbkFJ...) is committed.",
            Fix("revoke it in the OpenAI dashboard (API keys), delete it from the file"),
        ),
        Rule(
            "anthropic-api-key",
            "AnthropicApiKey",
            "An Anthropic API key (sk-ant-) is committed.",
            Fix("revoke it in the Anthropic Console (API keys), delete it from the file"),
        ),
        Rule(
            "azure-connection-string",
            "AzureConnectionString",
            "An Azure connection string with its key (AccountKey=, SharedAccessKey=) is committed.",
            Fix(
                "rotate the key in the Azure portal (Access keys / Shared access policies), delete it from "
                "the file; use a managed identity or an ExternalSecret"
            ),
        ),
        Rule(
            "dotenv-credential",
            "DotenvCredential",
            "A .env file has a credential-shaped value in plaintext.",
            Fix(ROTATE + "encrypt the file", ENCRYPT, True),
        ),
        Rule(
            "url-credential",
            "UrlCredential",
            "A URL carries a password inline (scheme://user:password@host).",
            Fix(ROTATE + "encrypt the file", ENCRYPT, True),
            variants={
                "not-encryptable": Fix(
                    ROTATE + "take the password out of the URL (a credential helper, an encrypted file or "
                    "an ExternalSecret)"
                )
            },
        ),
        Rule(
            "registry-credentials",
            "RegistryCredentials",
            "A container registry login (auths.<registry>.auth/password/identitytoken) is committed.",
            Fix(ROTATE + "encrypt the file, or use a credential helper (credsStore)", ENCRYPT, True),
            variants={"not-encryptable": Fix(ROTATE + "delete it from the file; use a credential helper")},
        ),
        Rule(
            "high-entropy-secret",
            "HighEntropySecret",
            "A high-entropy value sits under a secret-like key.",
            Fix(ROTATE + "encrypt the file", ENCRYPT, True),
            level="warning",
            variants={
                "not-encryptable": Fix(
                    ROTATE + "move it to an encrypted file (secretsops encrypt -i FILE) or an ExternalSecret"
                )
            },
        ),
        Rule(
            "gitops-image-tag-mutable",
            "GitopsImageTagMutable",
            "An image tag that moves (latest, none, or neither a digest nor semver-like): git no "
            "longer says what runs.",
            Fix(
                "pin it: image: NAME:1.2.3 or NAME@sha256:DIGEST (or allow the tag pattern in "
                ".secretsops.yaml check.gitops.allowed_tags)"
            ),
        ),
        Rule(
            "gitops-prune-disabled",
            "GitopsPruneDisabled",
            "Pruning is off (Flux Kustomization spec.prune, Argo CD syncPolicy.automated.prune, "
            "secretsops sources.yaml prune): a manifest deleted from git stays deployed.",
            Fix("set spec.prune: true (Flux) or syncPolicy.automated.prune: true (Argo CD) in {path}"),
            variants={"sources": Fix("set prune: true (or drop the false) for the source in {path}")},
        ),
        Rule(
            "gitops-self-heal-disabled",
            "GitopsSelfHealDisabled",
            "selfHeal is off (Argo CD, secretsops sources.yaml): a change made in the cluster by hand "
            "stays until the next commit.",
            Fix("set syncPolicy.automated.selfHeal: true in {path}"),
            variants={"sources": Fix("set selfHeal: true (or drop the false) for the source in {path}")},
            level="warning",
            gates=False,
        ),
        Rule(
            "gitops-cluster-url",
            "GitopsClusterUrl",
            "A cluster API server URL (:6443, EKS, AKS, GKE) is hard-coded in a manifest.",
            Fix(
                "use the in-cluster service account or Argo CD destination.name; keep API URLs in "
                "kubeconfigs and cluster Secrets"
            ),
        ),
        Rule(
            "gitops-prod-human-write",
            "GitopsProductionHumanWrite",
            "A User or Group (not a ServiceAccount) is bound to a role with write verbs in a "
            "production namespace.",
            Fix(
                "bind a read-only role (view) for people, let the GitOps controller's ServiceAccount "
                "write; mark deliberate break-glass access with secretsops:ignore <reason>"
            ),
            level="warning",
            gates=False,
        ),
    )
}
