"""Typed settings for the engine, from CLI flags or a declarative ``sources.yaml``.

The file speaks Flux: either a ``sources:`` list whose fields are GitRepository + Kustomization
spec fields flattened (``url``, ``ref.branch|tag|commit``, ``interval``, ``path``, ``prune``,
``targetNamespace``, ``decryption.secretRef``, ``suspend``), or real Flux ``GitRepository`` and
``Kustomization`` documents, paired through ``sourceRef``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.engine.source import GitRef, Verification
from secretsops.errors import InputError, UsageError
from secretsops.manifests import parse_documents

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: ServiceAccount names are DNS subdomains (Kubernetes' ValidateServiceAccountName)
_SA_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: as Flux's sharding.fluxcd.io/key: a replica started with --shard-key X takes only sources labelled X
SHARD_LABEL = "sharding.secretsops.io/key"


def parse_duration(text: str | int | float) -> float:
    """Go-style durations (``1m``, ``1h30m``, ``500ms``, ``90s``) in seconds."""
    if isinstance(text, int | float):
        return float(text)
    raw = str(text).strip()
    parts = _DURATION.findall(raw)
    if not raw or "".join(n + u for n, u in parts) != raw:
        raise UsageError(f"invalid duration {raw!r} (use e.g. 30s, 1m, 1h30m)")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageError(f"duration {raw!r} must be positive")
    return seconds


def check_service_account_name(value: str, where: str) -> None:
    """A ServiceAccount (or namespace) name the API server would accept; "" is "none"."""
    if value and (not _SA_NAME.match(value) or len(value) > 253):
        raise UsageError(f"{where}: {value!r} is not a valid Kubernetes name")


@dataclass(frozen=True)
class SecretRef:
    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str, default_namespace: str) -> SecretRef:
        ns, _, name = text.rpartition("/")
        if not name:
            raise UsageError(f"secret reference {text!r} must be NAME or NAMESPACE/NAME")
        return cls(ns or default_namespace, name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SourceSpec:
    """One GitRepository + Kustomization pair."""

    name: str
    url: str
    ref: GitRef = field(default_factory=lambda: GitRef(branch="main"))
    path: str = "./"
    interval: float = 60.0
    prune: bool = True
    self_heal: bool = True
    target_namespace: str = ""
    decryption_secret: SecretRef | None = None
    suspend: bool = False
    verify: Verification | None = None
    #: the source's sharding.secretsops.io/key label ("" when unsharded)
    shard: str = ""
    #: ServiceAccount every API call of this source impersonates (Flux's spec.serviceAccountName;
    #: "" = --default-service-account, or the engine's own identity when that is unset too)
    service_account_name: str = ""
    #: namespace that ServiceAccount lives in: the Kustomization's namespace (flat entries:
    #: targetNamespace, else the engine's namespace), as Flux looks it up
    service_account_namespace: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or len(self.name) > 40:
            raise UsageError(f"source name {self.name!r} must be a DNS label of at most 40 characters")
        if not self.url:
            raise UsageError(f"source {self.name}: url is required")
        if Path(self.path).is_absolute() or ".." in Path(self.path).parts:
            raise UsageError(f"source {self.name}: path {self.path!r} must stay inside the repository")
        check_service_account_name(self.service_account_name, f"source {self.name}: serviceAccountName")
        check_service_account_name(
            self.service_account_namespace, f"source {self.name}: service account namespace"
        )


@dataclass
class EngineSettings:
    """Process-wide settings, passed explicitly (no globals)."""

    namespace: str = "secretsops-system"
    dry_run: bool = False
    sealing_key_namespace: str = "kube-system"
    allow_mass_prune: bool = False
    #: a render that would prune more than this share of the inventory stalls instead
    mass_prune_ratio: float = 0.5
    leader_elect: bool = False
    metrics_port: int | None = None
    #: address the probe/metrics/refresh server binds (engine/server.py)
    bind_address: str = "0.0.0.0"  # noqa: S104 - in-cluster probes and Prometheus connect from outside
    #: bearer token guarding POST /reconcile and /refresh (None: those endpoints are off)
    webhook_token: bytes | None = field(default=None, repr=False)
    #: Lease duration for --leader-elect (renew deadline and retry period scale with it)
    lease_duration: float = 15.0
    #: handle only sources labelled sharding.secretsops.io/key=<shard_key> (own Lease per shard)
    shard_key: str = ""
    #: ServiceAccount a source without serviceAccountName impersonates (Flux's
    #: --default-service-account; "" = such sources act as the engine itself)
    default_service_account: str = ""
    work_dir: Path | None = None


def load_sources(path: Path, default_namespace: str) -> list[SourceSpec]:
    """Read ``sources.yaml`` (either shape, see module doc); names must be unique."""
    try:
        text = yamlio.read_text(path)  # regular files only, within the documented limits
    except InputError as exc:
        raise UsageError(str(exc)) from None
    docs = [d for d in parse_documents(text, str(path)) if isinstance(d, dict)]
    specs: list[SourceSpec] = []
    for doc in docs:
        if isinstance(doc.get("sources"), list):
            specs.extend(_from_flat(s, path, default_namespace) for s in doc["sources"])
    specs.extend(_from_flux(docs, path, default_namespace))
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise UsageError(f"{path}: source {spec.name!r} is declared twice")
        seen.add(spec.name)
    if not specs:
        raise UsageError(f"{path}: no sources (expected a `sources:` list or GitRepository + Kustomization)")
    return specs


def _text(raw: Any, where: str, default: str = "") -> str:
    """A string field; a mapping, list or boolean is a configuration error, not a name."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise UsageError(f"{where}: expected a string")
    return str(raw)


def _ref(raw: Any, where: str) -> GitRef:
    if raw is None:
        return GitRef(branch="main")
    if isinstance(raw, str):
        return GitRef.parse(raw)
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: ref must be a mapping with branch, tag or commit")
    ref = GitRef(
        _text(raw.get("branch"), f"{where}: ref.branch"),
        _text(raw.get("tag"), f"{where}: ref.tag"),
        _text(raw.get("commit"), f"{where}: ref.commit"),
    )
    if sum(bool(x) for x in (ref.branch, ref.tag, ref.commit)) > 1:
        # Flux: commit wins over tag wins over branch; we keep exactly one
        return GitRef(commit=ref.commit) if ref.commit else GitRef(tag=ref.tag)
    return ref if ref.name else GitRef(branch="main")


def _secret(raw: Any, default_namespace: str, where: str = "decryption") -> SecretRef | None:
    if not isinstance(raw, dict):
        return None
    ref = raw.get("secretRef") or {}
    if not isinstance(ref, dict):
        raise UsageError(f"{where}: decryption.secretRef must be a mapping with a name")
    name = _text(ref.get("name"), f"{where}: decryption.secretRef.name")
    if not name:
        return None
    namespace = _text(ref.get("namespace"), f"{where}: decryption.secretRef.namespace", default_namespace)
    return SecretRef(namespace, name)


def _verify(raw: Any, base: Path) -> Verification | None:
    if not isinstance(raw, dict):
        return None
    keys = Path(str(raw.get("keys") or raw.get("keyring") or raw.get("allowedSigners") or ""))
    return Verification(
        str(raw.get("mode") or raw.get("provider") or "gpg"), keys if keys.is_absolute() else base / keys
    )


def _bool(raw: Any, default: bool, where: str) -> bool:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    raise UsageError(f"{where}: expected true or false")


def _from_flat(raw: Any, path: Path, default_namespace: str) -> SourceSpec:
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: each entry of `sources` must be a mapping")
    name = _text(raw.get("name"), f"{path}: source name")
    where = f"{path}: source {name or '?'}"
    return SourceSpec(
        name=name,
        url=_text(raw.get("url"), f"{where}: url"),
        ref=_ref(raw.get("ref"), where),
        path=_text(raw.get("path"), f"{where}: path", "./"),
        interval=parse_duration(raw.get("interval") or "1m"),
        prune=_bool(raw.get("prune"), True, f"{where}: prune"),
        self_heal=_bool(raw.get("selfHeal"), True, f"{where}: selfHeal"),
        target_namespace=_text(raw.get("targetNamespace"), f"{where}: targetNamespace"),
        decryption_secret=_secret(raw.get("decryption"), default_namespace, where),
        suspend=_bool(raw.get("suspend"), False, f"{where}: suspend"),
        verify=_verify(raw.get("verify"), path.parent),
        shard=_shard(raw),
        service_account_name=_text(raw.get("serviceAccountName"), f"{where}: serviceAccountName"),
        service_account_namespace=(
            _text(raw.get("targetNamespace"), f"{where}: targetNamespace") or default_namespace
        ),
    )


def _shard(raw: Any) -> str:
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    labels = (meta.get("labels") if "metadata" in raw else raw.get("labels")) or {}
    return str(labels.get(SHARD_LABEL) or "") if isinstance(labels, dict) else ""


def _from_flux(docs: list[dict[str, Any]], path: Path, default_namespace: str) -> list[SourceSpec]:
    for doc in docs:
        if doc.get("kind") in ("GitRepository", "Kustomization"):
            for field in ("metadata", "spec"):
                if not isinstance(doc.get(field) or {}, dict):
                    raise UsageError(f"{path}: {doc['kind']} {field} must be a mapping")
            if not isinstance((doc.get("spec") or {}).get("sourceRef") or {}, dict):
                raise UsageError(f"{path}: {doc['kind']} spec.sourceRef must be a mapping")
    repos = {
        str((d.get("metadata") or {}).get("name")): d.get("spec") or {}
        for d in docs
        if d.get("kind") == "GitRepository"
    }
    specs: list[SourceSpec] = []
    for doc in docs:
        if doc.get("kind") != "Kustomization" or "sourceRef" not in (doc.get("spec") or {}):
            continue
        spec = doc["spec"]
        if not isinstance(doc.get("metadata") or {}, dict):
            raise UsageError(f"{path}: Kustomization metadata must be a mapping")
        name = _text((doc.get("metadata") or {}).get("name"), f"{path}: Kustomization metadata.name")
        repo_name = str((spec.get("sourceRef") or {}).get("name") or "")
        if repo_name not in repos:
            raise UsageError(f"{path}: Kustomization {name}: GitRepository {repo_name!r} is not declared")
        repo = repos[repo_name]
        where = f"{path}: Kustomization {name}"
        specs.append(
            SourceSpec(
                name=name,
                url=_text(repo.get("url"), f"{where}: GitRepository url"),
                ref=_ref(repo.get("ref"), where),
                path=_text(spec.get("path"), f"{where}: path", "./").removeprefix("./") or "./",
                interval=parse_duration(spec.get("interval") or repo.get("interval") or "1m"),
                prune=_bool(spec.get("prune"), False, f"{where}: prune"),
                target_namespace=_text(spec.get("targetNamespace"), f"{where}: targetNamespace"),
                decryption_secret=_secret(spec.get("decryption"), default_namespace, where),
                suspend=_bool(spec.get("suspend"), False, f"{where}: suspend"),
                verify=_verify(repo.get("verify"), path.parent),
                shard=_shard(doc),
                service_account_name=_text(spec.get("serviceAccountName"), f"{where}: serviceAccountName"),
                service_account_namespace=_text(
                    (doc.get("metadata") or {}).get("namespace"),
                    f"{where}: metadata.namespace",
                    default_namespace,
                ),
            )
        )
    return specs
