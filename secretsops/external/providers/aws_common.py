"""AWS sessions for ESO's ``aws`` provider: credentials, assume-role, endpoints, error mapping.

Credentials come, in ESO's order, from ``auth.secretRef`` (static keys in a Secret),
``auth.jwt`` (IRSA: a service-account token exchanged with STS), or the default chain as seen
in the injected environment snapshot (keys, or a web-identity token file); then ``role`` (and
``additionalRoles`` before it) is assumed. ``AWS_ENDPOINT_URL`` and the per-service
``AWS_ENDPOINT_URL_<SERVICE>`` of the snapshot point clients at e.g. moto. Clients and assumed
credentials are kept in ``connections`` until the credentials near expiry.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from secretsops.errors import ExternalError, InputError, ProviderUnavailable
from secretsops.external.providers.base import NoSecret, StoreContext

T = TypeVar("T")

NOT_FOUND = {"ResourceNotFoundException", "ParameterNotFound", "ParameterVersionNotFound"}
DENIED = {
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
}
TEMPORARY = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "InternalServiceError",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
}
SESSION_NAME = "external-secrets-provider-aws"  # as ESO names its STS sessions
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def quiet_body_logs() -> None:
    """Keep botocore's DEBUG logs (request params, response bodies: secret values) from being emitted.

    They are the library's, not ours; a process that turns on DEBUG logging must still not log
    plaintext. Raising botocore's own level to INFO is idempotent and leaves INFO+ untouched.
    """
    for name in ("botocore", "boto3"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


def aws_call(store: str, what: str, fn: Callable[[], T]) -> T:
    """Run one API call, turning botocore failures into the error taxonomy (no values)."""
    try:
        return fn()
    except bce.ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in NOT_FOUND:
            raise NoSecret(f"{store}: {what}: secret does not exist") from None
        if code == "InvalidParameterException" and "marked for deletion" in str(err.get("Message") or ""):
            raise NoSecret(f"{store}: {what}: secret is marked for deletion") from None
        if code in DENIED:
            raise ExternalError(f"{store}: {what}: access denied ({code})") from None
        if code in TEMPORARY or status >= 500:
            raise ProviderUnavailable(f"{store}: {what}: temporary failure ({code or status})") from None
        raise ExternalError(f"{store}: {what}: request failed ({code or status})") from None
    except (bce.ConnectTimeoutError, bce.ReadTimeoutError):
        raise ProviderUnavailable(f"{store}: {what}: AWS endpoint did not answer in time") from None
    except (bce.EndpointConnectionError, bce.ConnectionClosedError, bce.ConnectionError):
        raise ProviderUnavailable(f"{store}: {what}: cannot connect to the AWS endpoint") from None
    except bce.NoCredentialsError:
        raise ExternalError(
            f"{store}: {what}: no AWS credentials (set auth.secretRef, auth.jwt or role)"
        ) from None
    except bce.NoRegionError:
        raise InputError(f"{store}: {what}: no AWS region (set spec.provider.aws.region)") from None
    except bce.BotoCoreError as exc:
        raise ProviderUnavailable(f"{store}: {what}: {type(exc).__name__}") from None


class AwsClients:
    """Builds (and caches across passes) boto3 clients for one store as seen from one namespace."""

    def __init__(self, sc: StoreContext) -> None:
        quiet_body_logs()
        self.sc = sc
        self.p = sc.store.provider
        env = sc.settings.env
        self.region = str(
            self.p.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        )
        if not self.region:
            raise InputError(f"{sc.store}: spec.provider.aws.region is required")

    def endpoint(self, service: str) -> str | None:
        env = self.sc.settings.env
        specific = {"secretsmanager": "SECRETS_MANAGER", "ssm": "SSM", "sts": "STS"}[service]
        return env.get(f"AWS_ENDPOINT_URL_{specific}") or env.get("AWS_ENDPOINT_URL") or None

    def config(self) -> Config:
        s = self.sc.settings
        return Config(
            connect_timeout=s.timeout,
            read_timeout=s.timeout,
            retries={"max_attempts": s.retries + 1, "mode": "standard"},
        )

    def _base_credentials(self) -> dict[str, str] | None:
        """Static or web-identity credentials, or None for boto3's own default chain."""
        auth = self.p.get("auth") or {}
        sc = self.sc
        if auth.get("secretRef") is not None:
            ref = auth["secretRef"]
            creds = {
                "aws_access_key_id": sc.secret_ref(
                    ref.get("accessKeyIDSecretRef"), "auth.secretRef.accessKeyIDSecretRef"
                ),
                "aws_secret_access_key": sc.secret_ref(
                    ref.get("secretAccessKeySecretRef"), "auth.secretRef.secretAccessKeySecretRef"
                ),
            }
            if ref.get("sessionTokenSecretRef") is not None:
                creds["aws_session_token"] = sc.secret_ref(
                    ref["sessionTokenSecretRef"], "auth.secretRef.sessionTokenSecretRef"
                )
            return creds
        if auth.get("jwt") is not None:
            sa = (auth["jwt"] or {}).get("serviceAccountRef") or {}
            ns = sc.es_namespace
            if sc.store.kind == "ClusterSecretStore" and sa.get("namespace"):
                ns = str(sa["namespace"])
            account = sc.lookup.service_account(ns, str(sa.get("name")))
            role = ((account or {}).get("metadata") or {}).get("annotations", {}).get(IRSA_ROLE_ANNOTATION)
            if not role:
                raise ExternalError(
                    f"{sc.store}: ServiceAccount {ns}/{sa.get('name')} has no"
                    f" {IRSA_ROLE_ANNOTATION} annotation"
                )
            token = sc.lookup.service_account_token(
                ns, str(sa.get("name")), list(sa.get("audiences") or ["sts.amazonaws.com"])
            )
            return self._web_identity(str(role), token)
        if not sc.settings.engine_credentials_allowed:
            raise ExternalError(
                f"{sc.store}: no auth.secretRef or auth.jwt: the engine's own AWS credentials are not"
                " used for a source with a serviceAccountName"
            )
        env = sc.settings.env
        if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
            creds = {
                "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
            }
            if env.get("AWS_SESSION_TOKEN"):
                creds["aws_session_token"] = env["AWS_SESSION_TOKEN"]
            return creds
        if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and env.get("AWS_ROLE_ARN"):
            try:
                with open(env["AWS_WEB_IDENTITY_TOKEN_FILE"], encoding="utf-8") as fh:
                    token = fh.read().strip()
            except OSError:
                raise ExternalError(f"{sc.store}: cannot read AWS_WEB_IDENTITY_TOKEN_FILE") from None
            return self._web_identity(env["AWS_ROLE_ARN"], token)
        return None

    def _web_identity(self, role: str, token: str) -> dict[str, str]:
        sts = boto3.client(
            "sts", region_name=self.region, endpoint_url=self.endpoint("sts"), config=self.config()
        )
        out = aws_call(
            str(self.sc.store),
            f"assume role {role} with web identity",
            lambda: sts.assume_role_with_web_identity(
                RoleArn=role, RoleSessionName=SESSION_NAME, WebIdentityToken=token
            ),
        )
        self.sc.count("aws.sts", 1)
        c = out["Credentials"]
        return {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }

    def _assume(self, creds: dict[str, str] | None, role: str) -> dict[str, str]:
        session = boto3.Session(region_name=self.region, **(creds or {}))  # type: ignore[arg-type]
        sts = session.client("sts", endpoint_url=self.endpoint("sts"), config=self.config())
        kwargs: dict[str, Any] = {"RoleArn": role, "RoleSessionName": SESSION_NAME}
        if self.p.get("externalID"):
            kwargs["ExternalId"] = str(self.p["externalID"])
        tags = [
            {"Key": str(t.get("key")), "Value": str(t.get("value"))}
            for t in self.p.get("sessionTags") or []
            if t
        ]
        if tags:
            kwargs["Tags"] = tags
        if self.p.get("transitiveTagKeys"):
            kwargs["TransitiveTagKeys"] = [str(k) for k in self.p["transitiveTagKeys"]]
        out = aws_call(str(self.sc.store), f"assume role {role}", lambda: sts.assume_role(**kwargs))
        self.sc.count("aws.sts", 1)
        c = out["Credentials"]
        return {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }

    def client(self, service: str) -> Any:
        base = self._base_credentials()
        roles = [str(r) for r in self.p.get("additionalRoles") or []]
        if self.p.get("role"):
            roles.append(str(self.p["role"]))
        h = hashlib.sha256()
        for part in (
            service,
            self.region,
            repr(sorted((base or {}).items())),
            repr(roles),
            str(self.endpoint(service)),
        ):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        key = "aws-client:" + h.hexdigest()
        cached = self.sc.connections.get(key)
        now = time.monotonic()
        if cached is not None and (cached[1] is None or cached[1] > now):
            return cached[0]
        creds = base
        expires: float | None = None
        for role in roles:
            creds = self._assume(creds, role)
            expires = now + 45 * 60  # STS default is 1h; renew well before
        session = boto3.Session(region_name=self.region, **(creds or {}))  # type: ignore[arg-type]
        client = session.client(service, endpoint_url=self.endpoint(service), config=self.config())  # type: ignore[call-overload]
        self.sc.connections[key] = (client, expires)
        return client


def tags_json(tags: list[dict[str, Any]] | None) -> str:
    """Provider tags as the JSON object ESO writes for ``metadataPolicy: Fetch``."""
    from secretsops.external import secret_bytes

    return secret_bytes.dumps({str(t.get("Key")): str(t.get("Value")) for t in tags or []})


def json_property(store: object, key: str, text: str, prop: str) -> bytes:
    """One property of a JSON secret as ESO's AWS providers read it: a dotted name is first
    tried as a single key (dots escaped), then as a gjson path."""
    from secretsops.golang import gjson

    if "." in prop:
        found = gjson.get(text, prop.replace(".", "\\."))
        if found is not None:
            return found.string().encode("utf-8", "surrogateescape")
    found = gjson.get(text, prop)
    if found is None:
        raise ExternalError(f"{store}: key {prop} does not exist in secret {key}")
    return found.string().encode("utf-8", "surrogateescape")


def secret_map(store: object, key: str, raw: bytes) -> dict[str, bytes]:
    """``dataFrom.extract`` of a secret: its JSON object as Secret data."""
    from secretsops.external import secret_bytes

    try:
        return secret_bytes.secret_map_from_json(raw.decode("utf-8", "surrogateescape"))
    except ValueError:
        raise ExternalError(f"{store}: unable to unmarshal secret {key}: not a JSON object") from None
