"""AWS Systems Manager Parameter Store (``aws`` provider, ``service: ParameterStore``), as ESO reads it.

Parameters are read decrypted; ``version`` selects ``name:version``; ``property`` is a GJSON
path (a dotted key that exists as such wins); ``metadataPolicy: Fetch`` returns the tags.
``prefetch`` reads up to 10 parameters per ``GetParameters`` call.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.errors import ExternalError
from secretsops.external import secret_bytes
from secretsops.external.providers.aws_common import AwsClients, aws_call, json_property, secret_map
from secretsops.external.providers.base import NoSecret, Provider, StoreContext
from secretsops.external.resources import Find, RemoteRef
from secretsops.external.transforms import compile_go_regexp

BATCH_SIZE = 10


class ParameterStoreProvider(Provider):
    name: ClassVar[str] = "aws-ssm"

    def __init__(self, sc: StoreContext) -> None:
        super().__init__(sc)
        self.prefix = str(self.provider.get("prefix") or "")
        self._clients = AwsClients(sc)
        self._client: Any = None
        self._memo: dict[tuple[str, str], Any] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._clients.client("ssm")
        return self._client

    def _call(self, what: str, fn: Any) -> Any:
        return aws_call(str(self.store), what, fn)

    def _name(self, ref: RemoteRef) -> str:
        name = self.prefix + ref.key
        return f"{name}:{ref.version}" if ref.version else name

    def prefetch(self, refs: list[RemoteRef]) -> None:
        wanted = sorted(
            {
                self._name(r)
                for r in refs
                if r.metadata_policy != "Fetch" and (self._name(r), "VALUE") not in self._memo
            }
        )
        for i in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[i : i + BATCH_SIZE]
            try:
                out = self._call(
                    "batch read",
                    lambda c=chunk: self.client.get_parameters(Names=c, WithDecryption=True),  # type: ignore[misc]
                )
            except ExternalError:
                return
            self.sc.count("aws.ssm.batch", 1)
            for param in out.get("Parameters") or []:
                selector = str(param.get("Selector") or "")
                name = str(param.get("Name")) + selector
                if name in chunk:
                    self._memo[(name, "VALUE")] = param.get("Value")
            for name in out.get("InvalidParameters") or []:
                self._memo[(name, "VALUE")] = NoSecret(f"{self.store}: read {name!r}: secret does not exist")

    def _value(self, ref: RemoteRef) -> str:
        name = self._name(ref)
        kind = "TAG" if ref.metadata_policy == "Fetch" else "VALUE"
        memo = (name, kind)
        if memo in self._memo:
            hit = self._memo[memo]
            if isinstance(hit, Exception):
                raise hit
            return str(hit)
        try:
            if kind == "TAG":
                out = self._call(
                    f"read tags of {name!r}",
                    lambda: self.client.list_tags_for_resource(ResourceType="Parameter", ResourceId=name),
                )
                value = secret_bytes.dumps({str(t["Key"]): str(t["Value"]) for t in out.get("TagList") or []})
            else:
                out = self._call(
                    f"read {name!r}", lambda: self.client.get_parameter(Name=name, WithDecryption=True)
                )
                param = out.get("Parameter") or {}
                if param.get("Value") is None:
                    raise ExternalError(
                        f"{self.store}: invalid secret received. parameter value is nil for key: {ref.key}"
                    )
                value = str(param["Value"])
            self.sc.count("aws.ssm.get", 1)
        except ExternalError as exc:
            self._memo[memo] = exc
            raise
        self._memo[memo] = value
        return str(value)

    def get_secret(self, ref: RemoteRef) -> bytes:
        value = self._value(ref)
        if not ref.property:
            return value.encode("utf-8", "surrogateescape")
        return json_property(self.store, ref.key, value, ref.property)

    def get_secret_map(self, ref: RemoteRef) -> dict[str, bytes]:
        return secret_map(self.store, ref.key, self.get_secret(ref))

    def get_all_secrets(self, find: Find) -> dict[str, bytes]:
        data: dict[str, bytes] = {}
        token: str | None = None
        if find.name_regexp is not None:
            matcher = compile_go_regexp(find.name_regexp, "find.name.regexp")
            path = find.path or "/"
            while True:
                kwargs: dict[str, Any] = {"Path": path, "Recursive": True, "WithDecryption": True}
                if token:
                    kwargs["NextToken"] = token
                out = self._call(
                    f"list parameters under {path!r}",
                    lambda k=kwargs: self.client.get_parameters_by_path(**k),  # type: ignore[misc]
                )
                self.sc.count("aws.ssm.list", 1)
                for param in out.get("Parameters") or []:
                    if matcher.search(str(param["Name"])):
                        data[str(param["Name"])] = str(param.get("Value") or "").encode(
                            "utf-8", "surrogateescape"
                        )
                token = out.get("NextToken")
                if not token:
                    return data
        if not find.tags:
            raise ExternalError(f"{self.store}: find needs name.regexp or tags")
        filters: list[dict[str, Any]] = [
            {"Key": f"tag:{k}", "Option": "Equals", "Values": [v]} for k, v in find.tags.items()
        ]
        if find.path is not None:
            filters.append({"Key": "Path", "Option": "Recursive", "Values": [find.path]})
        names: list[str] = []
        while True:
            kwargs = {"ParameterFilters": filters}
            if token:
                kwargs["NextToken"] = token
            out = self._call("describe parameters", lambda k=kwargs: self.client.describe_parameters(**k))  # type: ignore[misc]
            self.sc.count("aws.ssm.describe", 1)
            names += [str(p["Name"]) for p in out.get("Parameters") or []]
            token = out.get("NextToken")
            if not token:
                break
        refs = [RemoteRef(key=n) for n in names]
        saved, self.prefix = self.prefix, ""  # names found are full names
        try:
            self.prefetch(refs)
            for ref in refs:
                data[ref.key] = self._value(ref).encode("utf-8", "surrogateescape")
        finally:
            self.prefix = saved
        return data
