"""Help text every command shares: the examples that end each ``--help``, and the words for
common flags a command module registered without any.

One table for every command so each help ends the same way; ``tests/test_cli_help.py`` parses
every example with the real parser (an example that no longer matches the flags fails) and checks
that every flag of every command has help.
"""

from __future__ import annotations

#: command -> example command lines (without a comment: the line says what it does)
EXAMPLES: dict[str, tuple[str, ...]] = {
    "encrypt": (
        "secretsops encrypt -i --age age1... secrets.yaml",
        "secretsops encrypt --output secrets.enc.json secrets.json",
        "secretsops encrypt --encrypted-regex '^(data|stringData)$' -i secret.yaml",
    ),
    "decrypt": (
        "secretsops decrypt secrets.yaml",
        'secretsops decrypt --extract \'["data"]["password"]\' secrets.yaml',
        "secretsops decrypt --output-type json secrets.yaml",
    ),
    "edit": ("EDITOR=nano secretsops edit secrets.yaml",),
    "rotate": (
        "secretsops rotate -i secrets.yaml",
        "secretsops rotate -i --add-age age1... --rm-age age1... secrets.yaml",
    ),
    "updatekeys": ("secretsops updatekeys secrets.yaml", "secretsops updatekeys -y -r deploy/"),
    "set": (
        'secretsops set secrets.yaml \'["db"]["password"]\' \'"s3cret"\'',
        'printf \'"s3cret"\' | secretsops set --value-stdin secrets.yaml \'["db"]["password"]\'',
    ),
    "unset": ('secretsops unset secrets.yaml \'["db"]["password"]\'',),
    "filestatus": ("secretsops filestatus secrets.yaml",),
    "keygen": ("secretsops keygen age", "secretsops keygen sealing --keys-dir keys"),
    "merge-driver": ("secretsops merge-driver %O %A %B %P",),
    "diff-driver": ("secretsops diff-driver --redact secrets.yaml",),
    "git-setup": ("secretsops git-setup", "secretsops git-setup --pattern 'secrets/*.yaml' --redact"),
    "seal": (
        "secretsops seal --cert keys/sealed-secrets.crt -f secret.yaml -w sealed.yaml",
        "secretsops seal --fetch-cert",
    ),
    "unseal": ("secretsops unseal --private-key keys/sealed-secrets.key sealed.yaml",),
    "sealing-keys": ("secretsops sealing-keys list", "secretsops sealing-keys rotate --force"),
    "render": ("secretsops render deploy/", "secretsops render --redact -o json deploy/"),
    "reconcile": (
        "secretsops reconcile --repo https://git.example.org/app.git --path deploy --once",
        "secretsops reconcile --repo . --dry-run --once",
    ),
    "status": ("secretsops status", "secretsops status -o json --namespace shop"),
    "refresh": ("secretsops refresh shop/db-credentials", "secretsops refresh --reconcile"),
    "krm": ("secretsops krm --private-key keys/sealed-secrets.key < resource-list.yaml",),
    "check": (
        "secretsops check",
        "secretsops check --staged",
        "secretsops check --gitops --format sarif -o check.sarif .",
    ),
    "controller": ("secretsops controller --leader-elect", "secretsops controller --once"),
    "helm-post-renderer": (
        "secretsops helm-post-renderer < rendered.yaml",
        "secretsops helm-post-renderer --private-key keys/sealed-secrets.key < rendered.yaml",
    ),
    "helm": (
        "secretsops helm template app ./chart -f values.yaml -f secrets.enc.yaml",
        "secretsops helm --helm-binary /usr/local/bin/helm upgrade --install app ./chart -f secrets.enc.yaml",
    ),
    "backup": (
        "secretsops backup --kubeconfig admin.kubeconfig --decryption-secret flux-system/sops-age"
        " --sources sources.yaml --age age1recovery... -o cluster-backup.enc.yaml",
        "SOPS_AGE_KEY_FILE=recovery.agekey secretsops backup --verify cluster-backup.enc.yaml",
        "secretsops backup --kubeconfig admin.kubeconfig --status",
    ),
    "bootstrap": (
        "secretsops bootstrap --kubeconfig new.kubeconfig --repo https://git.example.org/platform.git"
        " --ref main --path clusters/prod --backup cluster-backup.enc.yaml --identity recovery.agekey"
        " --dry-run",
        "secretsops bootstrap --kubeconfig new.kubeconfig --repo https://git.example.org/platform.git"
        " --path clusters/prod --backup cluster-backup.enc.yaml --identity recovery.agekey --run-once",
        "secretsops bootstrap --kubeconfig first.kubeconfig --repo https://git.example.org/platform.git"
        " --path clusters/prod",
    ),
    "completion": (
        "secretsops completion bash > ~/.local/share/bash-completion/completions/secretsops",
        "secretsops completion zsh > ~/.zfunc/_secretsops",
        "secretsops completion fish > ~/.config/fish/completions/secretsops.fish",
    ),
    "version": ("secretsops version",),
}


#: help for flags registered without one, by argparse ``dest`` (used only where help is missing)
COMMON_FLAG_HELP: dict[str, str] = {
    "input_type": "how to read the files: yaml, json, dotenv, ini, binary (default: from the name)",
    "controller_name": "name of the sealed-secrets controller Service (default sealed-secrets-controller)",
    "controller_namespace": "namespace of the sealed-secrets controller (default kube-system)",
    "log_level": "least severe log level written (default info)",
    "format": "output format",
    "output": "output format",
    "kubeconfig": "path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config)",
    "context": "kubeconfig context to use",
    "namespace": "namespace (default: the kubeconfig context's)",
}


def epilog(command: str) -> str | None:
    lines = EXAMPLES.get(command)
    if not lines:
        return None
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
