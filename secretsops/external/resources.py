"""ESO resources as typed values: ExternalSecret, SecretStore and ClusterSecretStore.

Parsed from the same ``external-secrets.io/v1`` (and ``v1beta1``) YAML that ESO reads, with
ESO's defaults applied (target name = the ExternalSecret's name, creationPolicy Owner,
deletionPolicy Retain, store kind SecretStore, refreshInterval 1h). Invalid enum values are
rejected with the field path, as ESO's CRD validation would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secretsops.errors import InputError
from secretsops.manifests import Obj

GROUP = "external-secrets.io"
API_VERSIONS = (f"{GROUP}/v1", f"{GROUP}/v1beta1")
EXTERNAL_SECRET = "ExternalSecret"
STORE_KINDS = ("SecretStore", "ClusterSecretStore")

CREATION_POLICIES = ("Owner", "Orphan", "Merge", "None", "CreateOrMerge")
DELETION_POLICIES = ("Delete", "Merge", "Retain")
MERGE_POLICIES = ("Replace", "Merge")
DECODING = ("Auto", "Base64", "Base64URL", "None")
CONVERSION = ("Default", "Unicode")
METADATA_POLICIES = ("None", "Fetch")
NULL_BYTE_POLICIES = ("Ignore", "Fail")

#: annotation that changes the template delimiters of one ExternalSecret (``"[[ ]]"``)
DELIMS_ANNOTATION = "secretsops.io/template-delims"


def is_eso(obj: Obj, *kinds: str) -> bool:
    return str(obj.get("apiVersion") or "") in API_VERSIONS and obj.get("kind") in kinds


def _enum(value: Any, allowed: tuple[str, ...], where: str, default: str) -> str:
    if value in (None, ""):
        return default
    if value not in allowed:
        raise InputError(f"{where}: unsupported value {value!r} (expected one of {', '.join(allowed)})")
    return str(value)


def _map(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a mapping")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list")
    return value


@dataclass(frozen=True)
class StoreRef:
    name: str
    kind: str = "SecretStore"

    @classmethod
    def parse(cls, raw: Any, where: str) -> StoreRef | None:
        if raw is None:
            return None
        raw = _map(raw, where)
        name = str(raw.get("name") or "")
        kind = _enum(raw.get("kind"), STORE_KINDS, f"{where}.kind", "SecretStore")
        return cls(name, kind)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class RemoteRef:
    key: str
    property: str = ""
    version: str = ""
    decoding: str = "None"
    conversion: str = "Default"
    metadata_policy: str = "None"
    null_bytes: str = "Ignore"

    @classmethod
    def parse(cls, raw: Any, where: str) -> RemoteRef:
        raw = _map(raw, where)
        if "key" not in raw or raw.get("key") is None:
            raise InputError(f"{where}.key is required")
        return cls(
            key=str(raw.get("key")),
            property=str(raw.get("property") or ""),
            version=str(raw.get("version") or ""),
            decoding=_enum(raw.get("decodingStrategy"), DECODING, f"{where}.decodingStrategy", "None"),
            conversion=_enum(
                raw.get("conversionStrategy"), CONVERSION, f"{where}.conversionStrategy", "Default"
            ),
            metadata_policy=_enum(
                raw.get("metadataPolicy"), METADATA_POLICIES, f"{where}.metadataPolicy", "None"
            ),
            null_bytes=_enum(
                raw.get("nullBytePolicy"), NULL_BYTE_POLICIES, f"{where}.nullBytePolicy", "Ignore"
            ),
        )

    def describe(self) -> str:
        parts = [f"remote key {self.key!r}"]
        if self.property:
            parts.append(f"property {self.property!r}")
        if self.version:
            parts.append(f"version {self.version!r}")
        return " ".join(parts)


@dataclass(frozen=True)
class Find:
    path: str | None = None
    name_regexp: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    conversion: str = "Default"
    decoding: str = "None"
    null_bytes: str = "Ignore"

    @classmethod
    def parse(cls, raw: Any, where: str) -> Find:
        raw = _map(raw, where)
        name = raw.get("name")
        regexp = None
        if name is not None:
            regexp = str(_map(name, f"{where}.name").get("regexp") or "")
        tags = {str(k): str(v) for k, v in _map(raw.get("tags"), f"{where}.tags").items()}
        return cls(
            path=None if raw.get("path") is None else str(raw["path"]),
            name_regexp=regexp,
            tags=tags,
            conversion=_enum(
                raw.get("conversionStrategy"), CONVERSION, f"{where}.conversionStrategy", "Default"
            ),
            decoding=_enum(raw.get("decodingStrategy"), DECODING, f"{where}.decodingStrategy", "None"),
            null_bytes=_enum(
                raw.get("nullBytePolicy"), NULL_BYTE_POLICIES, f"{where}.nullBytePolicy", "Ignore"
            ),
        )

    def describe(self) -> str:
        bits = []
        if self.path is not None:
            bits.append(f"path {self.path!r}")
        if self.name_regexp is not None:
            bits.append(f"name regexp {self.name_regexp!r}")
        if self.tags:
            bits.append("tags " + ",".join(f"{k}={v}" for k, v in sorted(self.tags.items())))
        return "find " + " ".join(bits)


@dataclass(frozen=True)
class DataItem:
    secret_key: str
    remote: RemoteRef
    store_ref: StoreRef | None = None


@dataclass(frozen=True)
class DataFrom:
    extract: RemoteRef | None = None
    find: Find | None = None
    rewrite: tuple[dict[str, Any], ...] = ()
    store_ref: StoreRef | None = None
    generator: dict[str, Any] | None = None


@dataclass
class Target:
    name: str
    creation_policy: str = "Owner"
    deletion_policy: str = "Retain"
    template: dict[str, Any] | None = None
    immutable: bool = False


@dataclass
class ExternalSecret:
    name: str
    namespace: str
    api_version: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    store_ref: StoreRef | None
    target: Target
    data: list[DataItem]
    data_from: list[DataFrom]

    def __str__(self) -> str:
        return (
            f"ExternalSecret {self.namespace}/{self.name}"
            if self.namespace
            else f"ExternalSecret {self.name}"
        )

    @property
    def delims(self) -> tuple[str, str]:
        raw = self.annotations.get(DELIMS_ANNOTATION)
        if not raw:
            return ("{{", "}}")
        parts = raw.split()
        if len(parts) != 2:
            raise InputError(
                f"annotation {DELIMS_ANNOTATION} must be two delimiters separated by a space",
                object=str(self),
            )
        return (parts[0], parts[1])

    @classmethod
    def parse(cls, obj: Obj) -> ExternalSecret:
        meta = _map(obj.get("metadata"), "metadata")
        name = str(meta.get("name") or "")
        if not name:
            raise InputError("ExternalSecret without metadata.name")
        spec = _map(obj.get("spec"), "spec")
        target_raw = _map(spec.get("target"), "spec.target")
        if target_raw.get("manifest") is not None:
            raise InputError("spec.target.manifest (non-Secret targets) is not supported")
        template = target_raw.get("template")
        if template is not None:
            template = _map(template, "spec.target.template")
            _enum(template.get("engineVersion"), ("v2",), "spec.target.template.engineVersion", "v2")
            _enum(template.get("mergePolicy"), MERGE_POLICIES, "spec.target.template.mergePolicy", "Replace")
            _check_template_shape(template)
        target = Target(
            name=str(target_raw.get("name") or name),
            creation_policy=_enum(
                target_raw.get("creationPolicy"), CREATION_POLICIES, "spec.target.creationPolicy", "Owner"
            ),
            deletion_policy=_enum(
                target_raw.get("deletionPolicy"), DELETION_POLICIES, "spec.target.deletionPolicy", "Retain"
            ),
            template=template,
            immutable=bool(target_raw.get("immutable", False)),
        )
        data: list[DataItem] = []
        for i, raw_item in enumerate(_list(spec.get("data"), "spec.data")):
            where = f"spec.data[{i}]"
            item = _map(raw_item, where)
            key = item.get("secretKey")
            if not key:
                raise InputError(f"{where}.secretKey is required")
            source = _map(item.get("sourceRef"), f"{where}.sourceRef")
            if source.get("generatorRef") is not None:
                raise InputError(f"{where}.sourceRef.generatorRef is not supported")
            data.append(
                DataItem(
                    str(key),
                    RemoteRef.parse(item.get("remoteRef"), f"{where}.remoteRef"),
                    StoreRef.parse(source.get("storeRef"), f"{where}.sourceRef.storeRef"),
                )
            )
        data_from: list[DataFrom] = []
        for i, raw_item in enumerate(_list(spec.get("dataFrom"), "spec.dataFrom")):
            where = f"spec.dataFrom[{i}]"
            item = _map(raw_item, where)
            source = _map(item.get("sourceRef"), f"{where}.sourceRef")
            extract = item.get("extract")
            find = item.get("find")
            generator = source.get("generatorRef")
            if generator is not None:
                raise InputError(f"{where}.sourceRef.generatorRef: generators are not supported")
            if extract is None and find is None:
                raise InputError(f"{where}: one of extract or find is required")
            rewrites = tuple(
                _rewrite(r, f"{where}.rewrite[{j}]")
                for j, r in enumerate(_list(item.get("rewrite"), f"{where}.rewrite"))
            )
            data_from.append(
                DataFrom(
                    extract=None if extract is None else RemoteRef.parse(extract, f"{where}.extract"),
                    find=None if find is None else Find.parse(find, f"{where}.find"),
                    rewrite=rewrites,
                    store_ref=StoreRef.parse(source.get("storeRef"), f"{where}.sourceRef.storeRef"),
                )
            )
        if not data and not data_from:
            raise InputError("spec.data or spec.dataFrom is required")
        if spec.get("refreshInterval") not in (None, ""):
            from secretsops.external.refresh import parse_duration

            try:
                parse_duration(str(spec["refreshInterval"]))
            except InputError as exc:
                raise InputError(f"spec.refreshInterval: {exc}") from None
        _enum(
            spec.get("refreshPolicy"),
            ("CreatedOnce", "Periodic", "OnChange"),
            "spec.refreshPolicy",
            "Periodic",
        )
        return cls(
            name=name,
            namespace=str(meta.get("namespace") or ""),
            api_version=str(obj.get("apiVersion")),
            uid=str(meta.get("uid") or ""),
            labels={str(k): str(v) for k, v in _map(meta.get("labels"), "metadata.labels").items()},
            annotations={
                str(k): str(v) for k, v in _map(meta.get("annotations"), "metadata.annotations").items()
            },
            store_ref=StoreRef.parse(spec.get("secretStoreRef"), "spec.secretStoreRef"),
            target=target,
            data=data,
            data_from=data_from,
        )


def _strings(value: Any, where: str) -> None:
    """A ``map[string]string`` field: ESO's CRD refuses anything else."""
    for k, v in _map(value, where).items():
        if not isinstance(v, str):
            raise InputError(f"{where}.{k}: expected a string")


def _check_template_shape(template: dict[str, Any]) -> None:
    """Reject the shapes ESO's CRD rejects in ``spec.target.template`` before anything renders."""
    where = "spec.target.template"
    _strings(template.get("data"), f"{where}.data")
    meta = _map(template.get("metadata"), f"{where}.metadata")
    for name in ("labels", "annotations"):
        _strings(meta.get(name), f"{where}.metadata.{name}")
    for i, raw in enumerate(_list(template.get("templateFrom"), f"{where}.templateFrom")):
        item = _map(raw, f"{where}.templateFrom[{i}]")
        for source in ("configMap", "secret"):
            if item.get(source) is None:
                continue
            ref = _map(item[source], f"{where}.templateFrom[{i}].{source}")
            if not isinstance(ref.get("name"), str) or not ref["name"]:
                raise InputError(f"{where}.templateFrom[{i}].{source}.name is required")
            for j, key in enumerate(_list(ref.get("items"), f"{where}.templateFrom[{i}].{source}.items")):
                entry = _map(key, f"{where}.templateFrom[{i}].{source}.items[{j}]")
                if not isinstance(entry.get("key"), str) or not entry["key"]:
                    raise InputError(f"{where}.templateFrom[{i}].{source}.items[{j}].key is required")
        if item.get("literal") is not None and not isinstance(item["literal"], str):
            raise InputError(f"{where}.templateFrom[{i}].literal: expected a string")


def _rewrite(raw: Any, where: str) -> dict[str, Any]:
    """One ``rewrite`` entry: ``regexp`` {source, target}, ``transform`` {template} or ``merge``."""
    item = _map(raw, where)
    if item.get("regexp") is not None:
        regexp = _map(item["regexp"], f"{where}.regexp")
        for name in ("source", "target"):
            if not isinstance(regexp.get(name), str):
                raise InputError(f"{where}.regexp.{name}: expected a string")
    if item.get("transform") is not None:
        transform = _map(item["transform"], f"{where}.transform")
        if not isinstance(transform.get("template"), str):
            raise InputError(f"{where}.transform.template: expected a string")
    return item


@dataclass
class Store:
    kind: str
    name: str
    namespace: str
    provider_key: str
    provider: dict[str, Any]
    conditions: list[dict[str, Any]] = field(default_factory=list)
    retry: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.kind == "SecretStore" and self.namespace:
            return f"SecretStore {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @classmethod
    def parse(cls, obj: Obj) -> Store:
        meta = _map(obj.get("metadata"), "metadata")
        kind = str(obj.get("kind"))
        spec = _map(obj.get("spec"), "spec")
        provider = _map(spec.get("provider"), "spec.provider")
        keys = [k for k in provider if provider.get(k) is not None]
        if len(keys) != 1:
            raise InputError(f"{kind} {meta.get('name')}: spec.provider must name exactly one provider")
        key = keys[0]
        return cls(
            kind=kind,
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
            provider_key=key,
            provider=_map(provider[key], f"spec.provider.{key}"),
            conditions=[
                _map(c, "spec.conditions[]") for c in _list(spec.get("conditions"), "spec.conditions")
            ],
            retry=_map(spec.get("retrySettings"), "spec.retrySettings"),
        )
