"""Typed settings for the engine, from CLI flags or a declarative ``sources.yaml``.

The file speaks Flux: either a ``sources:`` list whose fields are GitRepository + Kustomization
spec fields flattened (``url``, ``ref.branch|tag|commit``, ``interval``, ``path``, ``prune``,
``targetNamespace``, ``decryption.secretRef``, ``suspend``, ``dependsOn``, ``postBuild``,
``patches``...), or real Flux ``GitRepository`` and ``Kustomization`` documents, paired through
``sourceRef``. A field the engine does not honour is refused by name when the file loads, never
ignored (``engine.flux_fields`` holds the tables; docs/flux.md shows them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.engine import flux_fields
from secretsops.engine.flux_fields import check
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
#: postBuild variable names, as Flux validates them (ASCII letters, digits, underscore)
VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")
#: keys of a flat ``sources:`` entry that are not Kustomization spec fields
_FLAT_ONLY = frozenset({"name", "url", "ref", "verify", "selfHeal", "labels", "metadata", "strictSubstitute"})
_FLAT_REFUSED = frozenset({"sourceRef"})


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
class SubstituteRef:
    """``postBuild.substituteFrom`` entry: a ConfigMap or Secret in the Kustomization's namespace."""

    kind: str
    name: str
    optional: bool = False


@dataclass(frozen=True)
class PostBuild:
    """Flux's ``postBuild``: inline variables win over those read from ConfigMaps and Secrets."""

    substitute: tuple[tuple[str, str], ...] = ()
    substitute_from: tuple[SubstituteRef, ...] = ()
    #: an unset ``${var}`` without a default fails the pass (Flux's StrictPostBuildSubstitutions)
    strict: bool = False


@dataclass(frozen=True)
class ObjectRef:
    """A ``healthChecks`` entry: an object that must be Current before the pass is Ready."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""


@dataclass(frozen=True)
class CommonMetadata:
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()


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
    #: the Kustomization's own namespace: where postBuild.substituteFrom objects are read
    #: (flat entries: the engine's namespace)
    namespace: str = ""
    #: names of sources whose last pass must be Ready before this one runs (Flux's dependsOn)
    depends_on: tuple[str, ...] = ()
    post_build: PostBuild | None = None
    #: kustomization fields applied over the rendered objects (patches, images, namePrefix,
    #: nameSuffix) as one JSON object; "" when none (``engine.flux_overlay``)
    overlay: str = ""
    common_metadata: CommonMetadata | None = None
    #: seconds a pass may spend waiting for health (``wait``/``healthChecks``); None: the interval
    timeout: float | None = None
    #: seconds before retrying a failed pass (Flux's retryInterval); None: backoff up to interval
    retry_interval: float | None = None
    #: wait for every applied object to be Current (Flux's ``wait``)
    wait: bool = False
    health_checks: tuple[ObjectRef, ...] = ()

    @property
    def pass_timeout(self) -> float:
        return self.timeout if self.timeout is not None else self.interval

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
    check_dependencies(specs, str(path))
    return specs


def check_dependencies(specs: list[SourceSpec], where: str) -> None:
    """Every ``dependsOn`` names a declared source, and no source waits on itself (cycles)."""
    by_name = {s.name: s for s in specs}
    for spec in specs:
        for dep in spec.depends_on:
            if dep not in by_name:
                raise UsageError(f"{where}: source {spec.name}: dependsOn {dep!r} is not declared")
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*chain[chain.index(name) :], name])
            raise UsageError(f"{where}: dependsOn forms a cycle: {cycle}")
        state[name] = 1
        for dep in by_name[name].depends_on:
            visit(dep, [*chain, name])
        state[name] = 2

    for spec in specs:
        visit(spec.name, [])


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


def _secret(
    raw: Any, default_namespace: str, where: str = "decryption", *, flux: bool = False
) -> SecretRef | None:
    """``decryption.secretRef``: Flux's is a bare name in the Kustomization's namespace."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: decryption must be a mapping")
    if flux:
        check(raw, flux_fields.DECRYPTION, where, "spec.decryption")
    provider = _text(raw.get("provider"), f"{where}: decryption.provider", "sops")
    if provider != "sops":
        raise UsageError(f"{where}: decryption.provider {provider!r} is not supported (only sops)")
    ref = raw.get("secretRef") or {}
    if not isinstance(ref, dict):
        raise UsageError(f"{where}: decryption.secretRef must be a mapping with a name")
    if flux:
        check(ref, {"name": flux_fields.OK}, where, "spec.decryption.secretRef")
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


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise UsageError(f"{where}: expected a list")
    return raw


def _pairs(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for key, value in _mapping(raw, where).items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise UsageError(f"{where}.{key}: expected a string")
        out.append((str(key), str(value)))
    return tuple(out)


def _duration(raw: Any, where: str) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return parse_duration(raw)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None


def _depends_on(raw: Any, where: str, namespace: str) -> tuple[str, ...]:
    """Flux's ``[{name, namespace}]`` (or bare names); a namespace must be the source's own
    (sources are named uniquely, so the name alone identifies one)."""
    names: list[str] = []
    for entry in _list(raw, f"{where}: dependsOn"):
        if isinstance(entry, str):
            names.append(entry)
            continue
        ref = _mapping(entry, f"{where}: dependsOn entry")
        check(ref, {"name": flux_fields.OK, "namespace": flux_fields.OK}, where, "dependsOn[]")
        name = _text(ref.get("name"), f"{where}: dependsOn.name")
        if not name:
            raise UsageError(f"{where}: dependsOn entry has no name")
        dep_ns = _text(ref.get("namespace"), f"{where}: dependsOn.namespace")
        if dep_ns and namespace and dep_ns != namespace:
            raise UsageError(
                f"{where}: dependsOn {dep_ns}/{name}: sources in another namespace are not supported"
            )
        names.append(name)
    return tuple(names)


def _post_build(raw: Any, where: str, strict: bool) -> PostBuild | None:
    if raw is None:
        return None
    post = _mapping(raw, f"{where}: postBuild")
    check(post, flux_fields.POST_BUILD, where, "spec.postBuild")
    substitute = _pairs(post.get("substitute"), f"{where}: postBuild.substitute")
    for name, _ in substitute:
        if not VAR_NAME.match(name):
            raise UsageError(
                f"{where}: postBuild.substitute: {name!r} var name is invalid, must match {VAR_NAME.pattern}"
            )
    refs: list[SubstituteRef] = []
    for entry in _list(post.get("substituteFrom"), f"{where}: postBuild.substituteFrom"):
        ref = _mapping(entry, f"{where}: postBuild.substituteFrom entry")
        check(
            ref,
            {"kind": flux_fields.OK, "name": flux_fields.OK, "optional": flux_fields.OK},
            where,
            "spec.postBuild.substituteFrom[]",
        )
        kind = _text(ref.get("kind"), f"{where}: substituteFrom.kind")
        if kind not in ("ConfigMap", "Secret"):
            raise UsageError(
                f"{where}: postBuild.substituteFrom kind must be ConfigMap or Secret, not {kind!r}"
            )
        name = _text(ref.get("name"), f"{where}: substituteFrom.name")
        if not name:
            raise UsageError(f"{where}: postBuild.substituteFrom entry has no name")
        refs.append(
            SubstituteRef(kind, name, _bool(ref.get("optional"), False, f"{where}: substituteFrom.optional"))
        )
    return PostBuild(substitute, tuple(refs), strict)


_PATCH = {"patch": flux_fields.OK, "target": flux_fields.OK}
_TARGET = {
    k: flux_fields.OK
    for k in ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
}
_IMAGE = {k: flux_fields.OK for k in ("name", "newName", "newTag", "digest")}


def _overlay(raw: Mapping[str, Any], where: str) -> str:
    """patches/images/namePrefix/nameSuffix as the kustomization fields they become."""
    out: dict[str, Any] = {}
    patches = []
    for entry in _list(raw.get("patches"), f"{where}: patches"):
        patch = _mapping(entry, f"{where}: patches entry")
        check(patch, _PATCH, where, "spec.patches[]")
        if not isinstance(patch.get("patch"), str) or not patch["patch"].strip():
            raise UsageError(f"{where}: every patches entry needs a patch (YAML text)")
        item: dict[str, Any] = {"patch": patch["patch"]}
        if patch.get("target") is not None:
            target = _mapping(patch["target"], f"{where}: patches.target")
            check(target, _TARGET, where, "spec.patches[].target")
            item["target"] = {k: _text(v, f"{where}: patches.target.{k}") for k, v in target.items()}
        patches.append(item)
    if patches:
        out["patches"] = patches
    images = []
    for entry in _list(raw.get("images"), f"{where}: images"):
        image = _mapping(entry, f"{where}: images entry")
        check(image, _IMAGE, where, "spec.images[]")
        if not image.get("name"):
            raise UsageError(f"{where}: every images entry needs a name")
        images.append({k: _text(v, f"{where}: images.{k}") for k, v in image.items()})
    if images:
        out["images"] = images
    for key in ("namePrefix", "nameSuffix"):
        value = _text(raw.get(key), f"{where}: {key}")
        if value:
            out[key] = value
    return json.dumps(out, sort_keys=True) if out else ""


def _common_metadata(raw: Any, where: str) -> CommonMetadata | None:
    if raw is None:
        return None
    meta = _mapping(raw, f"{where}: commonMetadata")
    check(meta, {"labels": flux_fields.OK, "annotations": flux_fields.OK}, where, "spec.commonMetadata")
    return CommonMetadata(
        _pairs(meta.get("labels"), f"{where}: commonMetadata.labels"),
        _pairs(meta.get("annotations"), f"{where}: commonMetadata.annotations"),
    )


def _health_checks(raw: Any, where: str) -> tuple[ObjectRef, ...]:
    refs = []
    for entry in _list(raw, f"{where}: healthChecks"):
        ref = _mapping(entry, f"{where}: healthChecks entry")
        check(
            ref,
            {k: flux_fields.OK for k in ("apiVersion", "kind", "name", "namespace")},
            where,
            "spec.healthChecks[]",
        )
        kind = _text(ref.get("kind"), f"{where}: healthChecks.kind")
        name = _text(ref.get("name"), f"{where}: healthChecks.name")
        if not kind or not name:
            raise UsageError(f"{where}: every healthChecks entry needs a kind and a name")
        refs.append(
            ObjectRef(
                _text(ref.get("apiVersion"), f"{where}: healthChecks.apiVersion", "v1"),
                kind,
                name,
                _text(ref.get("namespace"), f"{where}: healthChecks.namespace"),
            )
        )
    return tuple(refs)


def _flux_behaviour(raw: Mapping[str, Any], where: str, namespace: str, strict: bool) -> dict[str, Any]:
    """The SourceSpec fields both shapes share beyond the original ones (see flux_fields)."""
    return {
        "namespace": namespace,
        "depends_on": _depends_on(raw.get("dependsOn"), where, namespace),
        "post_build": _post_build(raw.get("postBuild"), where, strict),
        "overlay": _overlay(raw, where),
        "common_metadata": _common_metadata(raw.get("commonMetadata"), where),
        "timeout": _duration(raw.get("timeout"), f"{where}: timeout"),
        "retry_interval": _duration(raw.get("retryInterval"), f"{where}: retryInterval"),
        "wait": _bool(raw.get("wait"), False, f"{where}: wait"),
        "health_checks": _health_checks(raw.get("healthChecks"), where),
    }


def _from_flat(raw: Any, path: Path, default_namespace: str) -> SourceSpec:
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: each entry of `sources` must be a mapping")
    name = _text(raw.get("name"), f"{path}: source name")
    where = f"{path}: source {name or '?'}"
    for key in _FLAT_REFUSED:
        if key in raw:
            raise UsageError(f"{where}: {key} belongs in a Kustomization document; flat entries give url")
    check(
        {k: v for k, v in raw.items() if k not in _FLAT_ONLY},
        flux_fields.KUSTOMIZATION_SPEC,
        where,
        "",
    )
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
        **_flux_behaviour(
            raw,
            where,
            default_namespace,
            _bool(raw.get("strictSubstitute"), False, f"{where}: strictSubstitute"),
        ),
    )


def _shard(raw: Any) -> str:
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    labels = (meta.get("labels") if "metadata" in raw else raw.get("labels")) or {}
    return str(labels.get(SHARD_LABEL) or "") if isinstance(labels, dict) else ""


_KUSTOMIZE_API = ("kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2")
_SOURCE_API = ("source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2")


def _flux_kinds(docs: list[dict[str, Any]], path: Path) -> None:
    for doc in docs:
        if doc.get("kind") in ("GitRepository", "Kustomization"):
            for part in ("metadata", "spec"):
                if not isinstance(doc.get(part) or {}, dict):
                    raise UsageError(f"{path}: {doc['kind']} {part} must be a mapping")
            if not isinstance((doc.get("spec") or {}).get("sourceRef") or {}, dict):
                raise UsageError(f"{path}: {doc['kind']} spec.sourceRef must be a mapping")
        kind, api = doc.get("kind"), str(doc.get("apiVersion") or "")
        if kind in ("OCIRepository", "Bucket", "HelmRepository", "HelmRelease") and "fluxcd.io" in api:
            raise UsageError(f"{path}: Flux {kind} is not supported (GitRepository + Kustomization only)")


def _repo_spec(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    name = str((doc.get("metadata") or {}).get("name"))
    where = f"{path}: GitRepository {name}"
    api = str(doc.get("apiVersion") or "")
    if api and api not in _SOURCE_API:
        raise UsageError(f"{where}: apiVersion {api} is not supported ({', '.join(_SOURCE_API)})")
    spec = doc.get("spec") or {}
    check(spec, flux_fields.GIT_REPOSITORY_SPEC, where, "spec")
    if isinstance(spec.get("ref"), dict):
        check(spec["ref"], flux_fields.GIT_REF, where, "spec.ref")
    return spec


def _from_flux(docs: list[dict[str, Any]], path: Path, default_namespace: str) -> list[SourceSpec]:
    _flux_kinds(docs, path)
    repos = {
        str((d.get("metadata") or {}).get("name")): _repo_spec(d, path)
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
        where = f"{path}: Kustomization {name}"
        api = str(doc.get("apiVersion") or "")
        if api and api not in _KUSTOMIZE_API:
            raise UsageError(f"{where}: apiVersion {api} is not supported ({', '.join(_KUSTOMIZE_API)})")
        check(spec, flux_fields.KUSTOMIZATION_SPEC, where, "spec")
        source_ref = spec.get("sourceRef") or {}
        check(
            source_ref,
            {k: flux_fields.OK for k in ("apiVersion", "kind", "name", "namespace")},
            where,
            "spec.sourceRef",
        )
        if str(source_ref.get("kind") or "GitRepository") != "GitRepository":
            raise UsageError(
                f"{where}: spec.sourceRef.kind {source_ref['kind']} is not supported (GitRepository)"
            )
        repo_name = str(source_ref.get("name") or "")
        if repo_name not in repos:
            raise UsageError(f"{path}: Kustomization {name}: GitRepository {repo_name!r} is not declared")
        repo = repos[repo_name]
        namespace = _text(
            (doc.get("metadata") or {}).get("namespace"), f"{where}: metadata.namespace", default_namespace
        )
        specs.append(
            SourceSpec(
                name=name,
                url=_text(repo.get("url"), f"{where}: GitRepository url"),
                ref=_ref(repo.get("ref"), where),
                path=_text(spec.get("path"), f"{where}: path", "./").removeprefix("./") or "./",
                interval=parse_duration(spec.get("interval") or repo.get("interval") or "1m"),
                prune=_bool(spec.get("prune"), False, f"{where}: prune"),
                target_namespace=_text(spec.get("targetNamespace"), f"{where}: targetNamespace"),
                decryption_secret=_secret(spec.get("decryption"), namespace, where, flux=True),
                suspend=_bool(spec.get("suspend"), False, f"{where}: suspend")
                or _bool(repo.get("suspend"), False, f"{path}: GitRepository {repo_name}: suspend"),
                verify=_verify(repo.get("verify"), path.parent),
                shard=_shard(doc),
                service_account_name=_text(spec.get("serviceAccountName"), f"{where}: serviceAccountName"),
                service_account_namespace=namespace,
                **_flux_behaviour(spec, where, namespace, False),
            )
        )
    return specs
