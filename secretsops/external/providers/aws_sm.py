"""AWS Secrets Manager (``aws`` provider, ``service: SecretsManager``), as ESO reads it.

``version`` is a stage (default ``AWSCURRENT``) or ``uuid/<VersionId>``; ``property`` is a
GJSON path into the SecretString (a dotted key that exists as such wins); ``extract`` keeps
non-string members as raw JSON. ``prefetch`` reads many current secrets with
``BatchGetSecretValue`` (20 per request) so a pass costs one call per 20 distinct keys.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secretsops.errors import ExternalError
from secretsops.external.providers.aws_common import (
    AwsClients,
    aws_call,
    json_property,
    secret_map,
    tags_json,
)
from secretsops.external.providers.base import NoSecret, Provider, StoreContext
from secretsops.external.resources import Find, RemoteRef
from secretsops.external.transforms import compile_go_regexp

BATCH_SIZE = 20


class SecretsManagerProvider(Provider):
    name: ClassVar[str] = "aws-secretsmanager"

    def __init__(self, sc: StoreContext) -> None:
        super().__init__(sc)
        self.prefix = str(self.provider.get("prefix") or "")
        self._clients = AwsClients(sc)
        self._client: Any = None
        #: (secret id, version, SECRET|TAG) -> bytes | Exception
        self._memo: dict[tuple[str, str, str], Any] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._clients.client("secretsmanager")
        return self._client

    def _call(self, what: str, fn: Any) -> Any:
        return aws_call(str(self.store), what, fn)

    def prefetch(self, refs: list[RemoteRef]) -> None:
        wanted = sorted(
            {
                self.prefix + r.key
                for r in refs
                if r.version in ("", "AWSCURRENT")
                and r.metadata_policy != "Fetch"
                and (self.prefix + r.key, "AWSCURRENT", "SECRET") not in self._memo
            }
        )
        for i in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[i : i + BATCH_SIZE]
            try:
                out = self._call(
                    "batch read",
                    lambda c=chunk: self.client.batch_get_secret_value(SecretIdList=c),  # type: ignore[misc]
                )
            except ExternalError:
                return  # e.g. no BatchGetSecretValue permission: single reads will say what is wrong
            self.sc.count("aws.secretsmanager.batch", 1)
            by_id: dict[str, Any] = {}
            for entry in out.get("SecretValues") or []:
                for ident in (entry.get("Name"), entry.get("ARN")):
                    if ident:
                        by_id[ident] = entry
            for ident in chunk:
                entry = by_id.get(ident)
                if entry is not None:
                    self._memo[(ident, "AWSCURRENT", "SECRET")] = entry
            for err in out.get("Errors") or []:
                if err.get("ErrorCode") == "ResourceNotFoundException" and err.get("SecretId") in chunk:
                    self._memo[(err["SecretId"], "AWSCURRENT", "SECRET")] = NoSecret(
                        f"{self.store}: read {err['SecretId']!r}: secret does not exist"
                    )

    def _fetch(self, ref: RemoteRef) -> dict[str, Any]:
        version = ref.version or "AWSCURRENT"
        value_from = "TAG" if ref.metadata_policy == "Fetch" else "SECRET"
        key = self.prefix + ref.key
        memo = (key, version, value_from)
        if memo in self._memo:
            hit = self._memo[memo]
            if isinstance(hit, Exception):
                raise hit
            return hit  # type: ignore[no-any-return]
        try:
            if value_from == "TAG":
                desc = self._call(f"describe {key!r}", lambda: self.client.describe_secret(SecretId=key))
                self.sc.count("aws.secretsmanager.describe", 1)
                out: dict[str, Any] = {"Name": desc.get("Name"), "SecretString": tags_json(desc.get("Tags"))}
            else:
                kwargs: dict[str, Any] = {"SecretId": key}
                if version.startswith("uuid/"):
                    kwargs["VersionId"] = version[len("uuid/") :]
                else:
                    kwargs["VersionStage"] = version
                out = self._call(
                    f"read {key!r} version {version!r}", lambda: self.client.get_secret_value(**kwargs)
                )
                self.sc.count("aws.secretsmanager.get", 1)
        except ExternalError as exc:
            self._memo[memo] = exc
            raise
        self._memo[memo] = out
        return out

    @staticmethod
    def _payload(out: dict[str, Any]) -> bytes | None:
        if out.get("SecretBinary") is not None:
            return bytes(out["SecretBinary"])
        if out.get("SecretString") is not None:
            return str(out["SecretString"]).encode("utf-8", "surrogateescape")
        return None

    def get_secret(self, ref: RemoteRef) -> bytes:
        out = self._fetch(ref)
        payload = self._payload(out)
        if not ref.property:
            if payload is None:
                raise ExternalError(
                    f"{self.store}: invalid secret received. no secret string nor binary for key: {ref.key}"
                )
            return payload
        text = (payload or b"").decode("utf-8", "surrogateescape")
        return json_property(self.store, ref.key, text, ref.property)

    def get_secret_map(self, ref: RemoteRef) -> dict[str, bytes]:
        return secret_map(self.store, ref.key, self.get_secret(ref))

    def _batch_filtered(self, filters: list[dict[str, Any]], matcher: Any) -> dict[str, bytes]:
        data: dict[str, bytes] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Filters": filters}
            if token:
                kwargs["NextToken"] = token
            out = self._call("batch find", lambda k=kwargs: self.client.batch_get_secret_value(**k))  # type: ignore[misc]
            self.sc.count("aws.secretsmanager.batch", 1)
            for entry in out.get("SecretValues") or []:
                name = str(entry.get("Name"))
                if matcher is not None and not matcher.search(name):
                    continue
                payload = self._payload(entry)
                if payload is not None:
                    data[name] = payload
            token = out.get("NextToken")
            if not token:
                return data

    def get_all_secrets(self, find: Find) -> dict[str, bytes]:
        tag_filters: list[dict[str, Any]] = []
        for k, v in find.tags.items():
            tag_filters += [{"Key": "tag-key", "Values": [k]}, {"Key": "tag-value", "Values": [v]}]
        path_filter = [] if find.path is None else [{"Key": "name", "Values": [find.path]}]
        if find.name_regexp is None and not find.tags:
            raise ExternalError(f"{self.store}: find needs name.regexp or tags")
        if find.name_regexp is None:
            return self._batch_filtered(tag_filters + path_filter, None)
        matcher = compile_go_regexp(find.name_regexp, "find.name.regexp")
        if find.path is not None:
            return self._batch_filtered(tag_filters + path_filter, matcher)
        data: dict[str, bytes] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Filters": tag_filters} if tag_filters else {}
            if token:
                kwargs["NextToken"] = token
            out = self._call("list secrets", lambda k=kwargs: self.client.list_secrets(**k))  # type: ignore[misc]
            self.sc.count("aws.secretsmanager.list", 1)
            names = [
                str(s.get("Name")) for s in out.get("SecretList") or [] if matcher.search(str(s.get("Name")))
            ]
            self.prefetch([RemoteRef(key=n) for n in names] if not self.prefix else [])
            for name in names:
                payload = self._payload(
                    self._fetch(RemoteRef(key=name[len(self.prefix) :] if self.prefix else name))
                )
                if payload is not None:
                    data[name] = payload
            token = out.get("NextToken")
            if not token:
                return data
