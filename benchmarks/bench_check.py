"""Benchmark `secretsops check` against gitleaks and detect-secrets on a generated GitOps repo.

    python benchmarks/bench_check.py [--files 10000] [--commits 1000] [--runs 3] [--keep DIR]
                                     [--gitleaks PATH] [--detect-secrets PATH] [--ds-runs 1]

Builds (1) a repo of N files: Python code, Deployments, ConfigMaps, SOPS-encrypted Secrets (metadata
as sops 3.11 writes it, values randomised) and, at known paths, planted leaks of fifteen kinds and
eleven kinds of look-alikes that are not leaks (a catch-all `.sops.yaml` rule covers the tree);
(2) a repo of M commits built with `git fast-import`. Times, alternating the tools under the same
load, `secretsops check` vs `gitleaks dir` vs `detect-secrets scan` on (1) and `check --history`
vs `gitleaks git` on (2), and prints, per planted kind, how many files each tool flagged, and the
findings each tool reported on files holding no leak (false positives).

Targets: check wall time <= 1.0x gitleaks' on (1); --history over 1,000 commits <= 30 s.
gitleaks: `bash scripts/install-tools.sh gitleaks` (pinned in scripts/tools.lock); detect-secrets:
`pip install detect-secrets` into any venv (a separate one is fine), found on PATH or given.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

RNG = random.Random(1234)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def rand_b64(n: int) -> str:
    return base64.b64encode(RNG.randbytes(n)).decode()


def rand_str(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def enc(n: int = 12) -> str:
    return f"ENC[AES256_GCM,data:{rand_b64(n)},iv:{rand_b64(32)},tag:{rand_b64(16)},type:str]"


SOPS_META = """sops:
    age:
        - recipient: age1yx93vnylvwkrq0quhcppdazlca6hk8496nmhqlfdc0um2qnhgu3q2cx6xh
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            {b1}
            {b2}
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-01-01T00:00:00Z"
    mac: {mac}
    encrypted_regex: ^(data|stringData)$
    version: 3.11.0
"""

# --- the bulk: files that hold no secret --------------------------------------------------------


def code_file(i: int) -> str:
    body = "\n".join(
        f"def handler_{i}_{j}(request):\n    value = request.get('field_{j}')\n    return value * {j}\n"
        for j in range(12)
    )
    return f'"""Module {i}."""\nimport os\n\nTIMEOUT = {i % 60}\n\n{body}'


def deployment(i: int) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{i % 20}\n"
        f"spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n"
        f"    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n"
        f"      - name: app\n        image: registry.example/app-{i}:1.{i % 9}.0\n        env:\n"
        f"        - name: DB_PASSWORD\n          valueFrom:\n"
        f"            secretKeyRef: {{name: db-{i}, key: password}}\n"
        f"        ports:\n        - containerPort: 8080\n"
    )


def configmap(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\n"
        f"data:\n  LOG_LEVEL: info\n  WORKERS: '{i % 8}'\n"
    )


def sops_secret(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-{i}\ntype: Opaque\nstringData:\n"
        f"  username: {enc(6)}\n  password: {enc(24)}\n"
        + SOPS_META.format(b1=rand_b64(48), b2=rand_b64(48), mac=enc(64))
    )


# --- planted leaks: (kind, file name, text) -----------------------------------------------------


def leak_secret_data(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak-{i}\ndata:\n"
        f"  password: {base64.b64encode(rand_b64(18).encode()).decode()}\n"
    )


def leak_secret_word(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-{i}\nstringData:\n"
        f"  username: app\n  password: Summer{2020 + i % 6}-prod\n"
    )


def leak_dotenv(i: int) -> str:
    return f"PORT=80{i % 10}\nDB_PASSWORD={rand_b64(15)}\nFEATURE_X=on\n"


def leak_aws(i: int) -> str:
    key_id = "AKIA" + rand_str(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    secret = rand_str(40, ALNUM + "/+")
    return f'"""Uploader {i}."""\nAWS_ACCESS_KEY_ID = "{key_id}"\nAWS_SECRET_ACCESS_KEY = "{secret}"\n'


def leak_github(i: int) -> str:
    return f"#!/bin/sh\n# release {i}\nexport GITHUB_TOKEN=ghp_{rand_str(36)}\ngh release create v1.{i}\n"


def leak_private_key(_i: int) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = serialization.Encoding.PEM
    return key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def leak_age_identity(_i: int) -> str:
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    return f"# created: 2026-01-01T00:00:00Z\n# public key: {ident.to_public()}\n{ident}\n"


def leak_sops_partial(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-{i}\ntype: Opaque\nstringData:\n"
        f"  username: {enc(6)}\n  password: {rand_str(20)}\n"
        + SOPS_META.format(b1=rand_b64(48), b2=rand_b64(48), mac=enc(64))
    )


def leak_kubeconfig(i: int) -> str:
    return (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
        f"    server: https://10.0.{i % 250}.1\ncontexts:\n- name: c\n  context: {{cluster: c, user: ci}}\n"
        f"current-context: c\nusers:\n- name: ci\n  user:\n    token: {rand_str(40)}\n"
    )


def leak_db_url(i: int) -> str:
    return f"replicaCount: 2\ndatabase:\n  url: postgres://app-{i}:{rand_str(20)}@db.internal:5432/app\n"


def leak_slack_webhook(i: int) -> str:
    hook = f"T{rand_str(8, UPPER_DIGITS)}/B{rand_str(10, UPPER_DIGITS)}/{rand_str(24)}"
    return f"alerting:\n  receiver: team-{i}\n  slack:\n    url: https://hooks.slack.com/services/{hook}\n"


def leak_docker_config(_i: int) -> str:
    auth = base64.b64encode(f"ci:{rand_str(24)}".encode()).decode()
    return f'{{\n  "auths": {{\n    "registry.example.org": {{\n      "auth": "{auth}"\n    }}\n  }}\n}}\n'


def leak_properties(i: int) -> str:
    return (
        f"server.port=80{i % 10}\nspring.datasource.url=jdbc:postgresql://db:5432/app\n"
        f"spring.datasource.username=app\nspring.datasource.password={rand_str(20)}\n"
    )


def leak_configmap_password(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy-{i}\n"
        f"data:\n  DB_HOST: db\n  DB_USER: app\n  DB_PASSWORD: Autumn{2000 + i % 25}-{rand_str(4)}\n"
    )


def leak_env_value(i: int) -> str:
    item = f"        - name: PAYMENT_API_KEY\n          value: {rand_str(32)}\n"
    return deployment(i).replace("        ports:\n", item + "        ports:\n")


LEAKS: list[tuple[str, Callable[[int], str], str, int]] = [
    # kind, maker, file name pattern ({i}), files per 10,000
    ("Secret, base64 data", leak_secret_data, "leak-{i}.yaml", 300),
    ("Secret, a word-like password", leak_secret_word, "app-secret-{i}.yaml", 20),
    (".env password", leak_dotenv, "svc{i}.env", 200),
    ("AWS key pair in code", leak_aws, "upload_{i}.py", 10),
    ("GitHub token in a script", leak_github, "release-{i}.sh", 10),
    ("PEM private key", leak_private_key, "tls-{i}.key", 10),
    ("age identity file", leak_age_identity, "age-{i}.agekey", 10),
    ("SOPS file, one value decrypted by hand", leak_sops_partial, "db-{i}.sops.yaml", 10),
    ("kubeconfig with a token", leak_kubeconfig, "kubeconfig-{i}.yaml", 10),
    ("database URL with a password in Helm values", leak_db_url, "db-values-{i}.yaml", 10),
    ("Slack webhook URL in values", leak_slack_webhook, "alerts-{i}.yaml", 10),
    ("docker config.json with an auth", leak_docker_config, "docker-config-{i}.json", 10),
    ("Spring application.properties password", leak_properties, "application-{i}.properties", 10),
    ("ConfigMap with a word-like password", leak_configmap_password, "legacy-cm-{i}.yaml", 10),
    ("Deployment env value with an API key", leak_env_value, "payments-{i}.yaml", 10),
]

# --- look-alikes: not leaks ---------------------------------------------------------------------

AGE_RECIPIENT = "age1yx93vnylvwkrq0quhcppdazlca6hk8496nmhqlfdc0um2qnhgu3q2cx6xh"


def fp_flux_substitution(i: int) -> str:
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-{i}\nstringData:\n"
        '  username: app\n  password: "${DB_PASSWORD}"\n  host: db.internal\n  port: "5432"\n'
    )


def fp_certificate(_i: int) -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def fp_doc_recipient(i: int) -> str:
    return f"# Service {i}\n\nEncrypt with:\n\n    sops encrypt --age {AGE_RECIPIENT} -i secret.yaml\n"


def fp_sealed(i: int) -> str:
    blob = base64.b64encode((256).to_bytes(2, "big") + RNG.randbytes(256 + 64)).decode()
    return (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n"
        f"  name: s-{i}\nspec:\n  encryptedData:\n    password: {blob}\n"
    )


def fp_helm_values(i: int) -> str:
    return (
        f"replicaCount: {i % 3 + 1}\nauth:\n  existingSecret: db-credentials\n  secretKeys:\n"
        "    adminPasswordKey: admin-password\n    userPasswordKey: user-password\n"
        f"image:\n  tag: 1.{i % 9}.0\n"
    )


def fp_example_env(i: int) -> str:
    return f"# copy to .env\nDB_PASSWORD=changeme\nAPI_TOKEN=<your-token>\nPORT=80{i % 10}\n"


def fp_external_secret(i: int) -> str:
    return (
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n"
        f"  name: db-{i}\nspec:\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n"
        "  data:\n  - secretKey: password\n    remoteRef: {key: db/prod, property: password}\n"
    )


def fp_test_fixture(i: int) -> str:
    return f'def test_login_{i}():\n    assert login("app", password="wrong") is False\n'


def fp_doc_url(i: int) -> str:
    url = "postgres://app:s3cr3t-example@db/app"  # secretsops:ignore a look-alike
    return f"# Service {i}\n\nSet `DATABASE_URL={url}` in your shell.\n"


def fp_credential_helper(_i: int) -> str:
    return '{"auths": {"ghcr.io": {}}, "credsStore": "desktop"}\n'


def fp_properties_reference(i: int) -> str:
    return f"server.port=80{i % 10}\nspring.datasource.password=${{DB_PASSWORD}}\n"


LOOKALIKES: list[tuple[str, Callable[[int], str], str, int]] = [
    ("Secret with ${VAR}, username, host, port", fp_flux_substitution, "db-secret-{i}.yaml", 20),
    ("public certificate (ca.crt)", fp_certificate, "ca-{i}.crt", 10),
    ("README naming an age recipient", fp_doc_recipient, "README-{i}.md", 10),
    ("SealedSecret", fp_sealed, "sealed-{i}.yaml", 20),
    ("Helm values naming Secret keys", fp_helm_values, "values-{i}.yaml", 20),
    (".env.example with placeholders", fp_example_env, "env-{i}.example", 10),
    ("ExternalSecret", fp_external_secret, "es-{i}.yaml", 20),
    ("test with a fake password", fp_test_fixture, "test_login_{i}.py", 10),
    ("README with a URL credential example", fp_doc_url, "SETUP-{i}.md", 10),
    ("docker config.json naming a credential helper", fp_credential_helper, "helper-config-{i}.json", 10),
    ("properties with ${VAR}", fp_properties_reference, "ref-{i}.properties", 10),
]
BULK = [("py", code_file, "mod_{i}.py", 40), ("deploy", deployment, "deploy-{i}.yaml", 25),
        ("cm", configmap, "cm-{i}.yaml", 15), ("sops", sops_secret, "sops-{i}.yaml", 15)]  # fmt: skip


@dataclass
class Tree:
    root: Path
    #: path -> planted leak kind, or look-alike kind prefixed "ok: "
    kinds: dict[str, str] = field(default_factory=dict)
    bulk: dict[str, int] = field(default_factory=dict)


def build_tree(root: Path, files: int) -> Tree:
    tree = Tree(root)
    planned: list[tuple[str, Callable[[int], str], str]] = []
    for kind, make, name, per in [*LEAKS, *[(f"ok: {k}", m, n, p) for k, m, n, p in LOOKALIKES]]:
        planned += [(kind, make, name)] * max(1, per * files // 10_000)
    weights = [w for *_x, w in BULK]
    while len(planned) < files:
        kind, make, name, _w = RNG.choices(BULK, weights)[0]
        planned.append((kind, make, name))
        tree.bulk[kind] = tree.bulk.get(kind, 0) + 1
    RNG.shuffle(planned)
    for i, (kind, make, name) in enumerate(planned):
        rel = f"svc-{i % 100}/{name.format(i=i)}"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(make(i))
        if kind not in (k for k, *_x in BULK):
            tree.kinds[rel] = kind
    # a catch-all creation rule, as many repositories have: it says which key, not "encrypt all"
    (root / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: .*\n    age: {AGE_RECIPIENT}\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "tree"], check=True, env=git_env())
    return tree


def git_env() -> dict[str, str]:
    return {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip


def build_history(root: Path, commits: int) -> None:
    """M commits, each changing 3 files (one Secret added then deleted now and then)."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    out: list[bytes] = []
    for c in range(commits):
        out.append(b"commit refs/heads/main\n")
        out.append(f"committer b <b@x> {1700000000 + c} +0000\n".encode())
        msg = f"change {c}".encode()
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        for k in range(3):
            i = c * 3 + k
            kind = [deployment, configmap, sops_secret, code_file][i % 4]
            data = kind(i).encode()
            path = f"apps/app-{i % 300}/{kind.__name__}.yaml"
            out.append(f"M 100644 inline {path}\n".encode() + b"data %d\n%s\n" % (len(data), data))
        if c % 100 == 50:
            data = leak_secret_data(c).encode()
            out.append(b"M 100644 inline leaks/tmp.yaml\n" + b"data %d\n%s\n" % (len(data), data))
        if c % 100 == 51:
            out.append(b"D leaks/tmp.yaml\n")
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(out), check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)


# --- running the tools ---------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    code: int
    out: bytes


def timed(cmd: list[str], cwd: Path) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, proc.returncode, proc.stdout)


def gitleaks_cmd(gitleaks: str, sub: str, report: Path) -> list[str]:
    """``gitleaks dir .`` (the files) or ``gitleaks git .`` (history), JSON report to ``report``."""
    return [gitleaks, sub, ".", "--no-banner", "--exit-code", "0", "--report-format", "json",
            "--report-path", str(report)]  # fmt: skip


def check_files(out: bytes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in json.loads(out)["findings"]:
        counts[f["path"]] = counts.get(f["path"], 0) + 1
    return counts


def gitleaks_files(report: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in json.loads(report.read_text() or "[]"):
        path = f["File"].removeprefix("./")
        counts[path] = counts.get(path, 0) + 1
    return counts


def detect_secrets_files(out: bytes) -> dict[str, int]:
    return {path: len(found) for path, found in json.loads(out)["results"].items()}


def table(tree: Tree, results: dict[str, dict[str, int]]) -> list[str]:
    tools = list(results)
    kinds: dict[str, list[str]] = {}
    for path, kind in tree.kinds.items():
        kinds.setdefault(kind, []).append(path)
    lines = ["| planted leak (files) | " + " | ".join(tools) + " |", "|---" * (len(tools) + 1) + "|"]
    for kind, *_x in LEAKS:
        paths = kinds.get(kind, [])
        cells = [f"{sum(1 for p in paths if p in results[t])}/{len(paths)}" for t in tools]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += ["", "| not a leak: findings (files flagged / files) | " + " | ".join(tools) + " |",
              "|---" * (len(tools) + 1) + "|"]  # fmt: skip
    for kind, *_x in LOOKALIKES:
        paths = kinds.get(f"ok: {kind}", [])
        cells = []
        for t in tools:
            hit = [p for p in paths if p in results[t]]
            cells.append(f"{sum(results[t][p] for p in hit)} ({len(hit)}/{len(paths)})")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    for bulk, count in sorted(tree.bulk.items()):
        cells = []
        for t in tools:
            hit = [p for p in results[t] if p not in tree.kinds and f"/{bulk}-" in f"/{p.rsplit('/', 1)[-1]}"]
            cells.append(f"{sum(results[t][p] for p in hit)} ({len(hit)}/{count})")
        lines.append(f"| bulk `{bulk}` files | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--commits", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of check and gitleaks (alternating)")
    ap.add_argument("--ds-runs", type=int, default=1, help="timed runs of detect-secrets (slow; 0: skip it)")
    ap.add_argument("--keep", type=Path, help="build the repos here and keep them")
    ap.add_argument("--gitleaks", default=shutil.which("gitleaks") or
                    str(Path.home() / ".cache/secretsops/tools/bin/gitleaks"))  # fmt: skip
    ap.add_argument("--detect-secrets", default=shutil.which("detect-secrets") or
                    str(Path(sys.executable).parent / "detect-secrets"))  # fmt: skip
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-check-"))
    secretsops = str(Path(sys.executable).parent / "secretsops")
    try:
        tree_dir, hist = work / "tree", work / "history"
        for d in (tree_dir, hist):
            shutil.rmtree(d, ignore_errors=True)
        tree = build_tree(tree_dir, args.files)
        build_history(hist, args.commits)
        gl_report = work / "gitleaks.json"
        commands = {
            "secretsops check": [secretsops, "check", "--no-progress", "--format", "json"],
            "gitleaks dir": gitleaks_cmd(args.gitleaks, "dir", gl_report),
        }
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                runs[name].append(timed(cmd, tree_dir))
        results = {
            "secretsops check": check_files(runs["secretsops check"][-1].out),
            "gitleaks": gitleaks_files(gl_report),
        }
        if args.ds_runs:  # 0: leave detect-secrets out (it takes minutes)
            ds_cmd = [args.detect_secrets, "scan"]
            runs["detect-secrets scan"] = [timed(ds_cmd, tree_dir) for _ in range(args.ds_runs)]
            results["detect-secrets"] = detect_secrets_files(runs["detect-secrets scan"][-1].out)
        hist_runs: dict[str, list[Run]] = {"secretsops check --history": [], "gitleaks git": []}
        for _ in range(args.runs):
            hist_runs["secretsops check --history"].append(
                timed([secretsops, "check", "--no-progress", "--history", "--format", "json"], hist)
            )
            hist_runs["gitleaks git"].append(
                timed(gitleaks_cmd(args.gitleaks, "git", work / "gitleaks-history.json"), hist)
            )
        print(f"tree: {args.files} files; bulk {tree.bulk}; planted {len(tree.kinds)} files; "
              f"load average before/after: {os.getloadavg()[0]:.1f}")  # fmt: skip
        print("| command | wall min | wall median | CPU median | exit |")
        print("|---|---|---|---|---|")
        for name, rs in [*runs.items(), *hist_runs.items()]:
            wall, cpu = statistics.median(r.wall for r in rs), statistics.median(r.cpu for r in rs)
            print(
                f"| `{name}` | {min(r.wall for r in rs):.2f} s | {wall:.2f} s | {cpu:.2f} s | {rs[-1].code} |"
            )
        ours, theirs = runs["secretsops check"], runs["gitleaks dir"]
        ratio = statistics.median(r.wall for r in ours) / statistics.median(r.wall for r in theirs)
        per_run = ", ".join(f"{a.wall / b.wall:.2f}" for a, b in zip(ours, theirs, strict=True))
        print(f"\ncheck / gitleaks wall (median): {ratio:.2f}x (target <= 1.0x); per run: {per_run}")
        hist_report = json.loads(hist_runs["secretsops check --history"][-1].out)
        gl_hist = json.loads((work / "gitleaks-history.json").read_text() or "[]")
        print(f"history: {args.commits} commits, {hist_report['files_scanned']} unique blobs; findings: "
              f"check {len(hist_report['findings'])}, gitleaks {len(gl_hist)}\n")  # fmt: skip
        print("\n".join(table(tree, results)))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
