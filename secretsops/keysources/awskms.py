"""AWS KMS recipients of the data key, stored as sops writes them.

Stanza (sops 3.11 order): ``arn``, ``role`` (if any), ``context`` (if any), ``created_at``,
``enc`` (base64 KMS ciphertext), ``aws_profile`` (always written, empty when unset).
Credentials and endpoints come from ``KeyContext.env`` (explicit keys, ``AWS_PROFILE``,
``AWS_CONFIG_FILE``, ``AWS_ENDPOINT_URL[_KMS|_STS]``) and otherwise from botocore's standard
chain. The region is always the ARN's, as in sops. boto3 is imported lazily so that
decrypting an age file never pays for it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from secretsops.errors import (
    InputError,
    InvalidKmsEncryptionContext,
    KeySourceError,
    TemporaryKeySourceError,
)
from secretsops.keysources.base import DecryptionSecret, KeyContext, MasterKey, created_at_text, now_rfc3339

#: sops' arnRegex (Go ``\w`` is ASCII-only, hence re.ASCII)
ARN_RE = re.compile(r"^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$", re.ASCII)
#: sops' stsSessionRegex, kept verbatim: ``@-_`` is a range, as in Go
_STS_SESSION_STRIP = re.compile(r"[^a-zA-Z0-9=,.@-_]+")
_ROLE_SESSION_LIMIT = 64

#: worst case for a black-holed endpoint: MAX_ATTEMPTS x (READ_TIMEOUT + backoff) ≈ 30 s
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_ATTEMPTS = 3

_TEMPORARY_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "KMSInternalException",
        "DependencyTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
        "LimitExceededException",
    }
)
_REASONS = {
    "AccessDeniedException": "access denied",
    "AccessDenied": "access denied",
    "UnrecognizedClientException": "the AWS credentials are not valid",
    "InvalidClientTokenId": "the AWS credentials are not valid",
    "InvalidSignatureException": "the AWS credentials are not valid",
    "SignatureDoesNotMatch": "the AWS credentials are not valid",
    "ExpiredTokenException": "the AWS session token has expired",
    "ExpiredToken": "the AWS session token has expired",
    "NotFoundException": "key not found",
    "DisabledException": "key is disabled",
    "KMSInvalidStateException": "key is not usable in its current state",
    "InvalidCiphertextException": (
        "the ciphertext does not belong to this key or the encryption context differs"
    ),
    "IncorrectKeyException": "the ciphertext was encrypted under a different key",
    "InvalidKeyUsageException": "key cannot be used for encryption",
    "ValidationException": "request rejected as invalid",
}


#: Flux's ``sops.aws-kms`` fields → the variables botocore reads
_FLUX_AWS_FIELDS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
}


def parse_encryption_context(value: Any) -> dict[str, str] | None:
    """sops' ParseKMSContext: ``"k:v,k2:v2"`` or a mapping of strings; ``None`` when empty.

    A malformed string raises ``InvalidKmsEncryptionContext`` (sops exits 6 for the flag).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value == "":
            return None
        out: dict[str, str] = {}
        for pair in value.split(","):
            parts = pair.split(":")
            if len(parts) != 2:
                raise InvalidKmsEncryptionContext(
                    "invalid KMS encryption context format: expected key:value pairs separated by commas"
                )
            out[parts[0]] = parts[1]
        return out
    if isinstance(value, Mapping):
        if not value:
            return None
        return {str(k): _scalar_text(v) for k, v in value.items()}
    raise InvalidKmsEncryptionContext("invalid KMS encryption context: expected a mapping of strings")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return str(value)
    raise InputError("a KMS encryption context value is not a string")


def context_to_string(context: Mapping[str, str] | None) -> str:
    """sops' kmsContextToString: sorted ``k:v`` pairs joined with commas."""
    if not context:
        return ""
    return ",".join(f"{k}:{context[k]}" for k in sorted(context))


def sts_session_name(hostname: str | None = None) -> str:
    """``sops@<hostname>`` sanitised and truncated exactly as sops names its STS sessions."""
    if hostname is None:
        import socket

        hostname = socket.gethostname()
    host = hostname
    name = "sops@" + _STS_SESSION_STRIP.sub("", host)
    return name[:_ROLE_SESSION_LIMIT]


def region_of(arn: str) -> str:
    m = ARN_RE.match(arn)
    if m is None:
        raise KeySourceError(f"no valid ARN found in {arn!r}")
    return m.group(1)


class KmsKeySource(MasterKey):
    """One AWS KMS key (optionally reached through an assumed role) that wraps the data key."""

    kind = "kms"
    cli_flag = "kms"
    rule_key = "kms"
    group_key = "kms"
    recipients_env = "SOPS_KMS_ARN"
    priority = 60

    def __init__(
        self,
        arn: str,
        role: str = "",
        context: Mapping[str, str] | None = None,
        aws_profile: str = "",
        *,
        enc: str = "",
        created_at: str = "",
    ) -> None:
        self.arn = arn
        self.role = role
        self.context: dict[str, str] | None = dict(context) if context else None
        self.aws_profile = aws_profile
        self.enc = enc
        self.created_at = created_at or now_rfc3339()

    # --- identity ---------------------------------------------------------------------

    @property
    def identifier(self) -> str:
        return f"{self.arn}+{self.role}" if self.role else self.arn

    def to_string(self) -> str:
        """sops' ToString (``arn[+role][|context[|profile]]``): the identity used to deduplicate."""
        base = self.identifier
        ctx = context_to_string(self.context)
        if self.aws_profile:
            return f"{base}|{ctx}|{self.aws_profile}"
        return f"{base}|{ctx}" if ctx else base

    # --- parsing ----------------------------------------------------------------------

    @classmethod
    def from_arn_string(cls, value: str, context: Mapping[str, str] | None, aws_profile: str) -> KmsKeySource:
        """sops' NewMasterKeyFromArn: spaces removed, ``+arn:`` separates the role ARN."""
        arn = value.replace(" ", "")
        role = ""
        idx = arn.find("+arn:")
        if idx > 0:
            arn, role = arn[:idx], arn[idx + 1 :]
        return cls(arn, role, context, aws_profile)

    @classmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        """``--kms "arn[+role],..."`` with ``options`` ``encryption_context`` and ``aws_profile``."""
        context = parse_encryption_context(_opt(options, "encryption_context"))
        profile = str(_opt(options, "aws_profile") or "")
        if value == "":
            return []
        return [cls.from_arn_string(part, context, profile) for part in value.split(",") if part.strip()]

    @classmethod
    def env_from_decryption_secret(cls, secret: DecryptionSecret) -> dict[str, str]:
        """Flux: ``sops.aws-kms`` is YAML with ``aws_access_key_id``, ``aws_secret_access_key`` and
        ``aws_session_token``; they become the AWS variables."""
        if "sops.aws-kms" not in secret.data:
            return {}
        from secretsops import yamlio  # lazy: only the engine reads decryption Secrets

        where = f"{secret.where}: " if secret.where else ""
        try:
            creds = yamlio.load_one(secret.text("sops.aws-kms"), f"{where}sops.aws-kms") or {}
        except InputError:
            raise InputError(f"{where}key 'sops.aws-kms' is not YAML") from None
        if not isinstance(creds, Mapping):
            raise InputError(f"{where}key 'sops.aws-kms' must be a mapping")
        return {var: str(creds[name]) for name, var in _FLUX_AWS_FIELDS.items() if creds.get(name)}

    @classmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        """A creation rule's ``kms`` (comma string or list of ARNs; ``options`` carries the rule's
        ``aws_profile`` and the CLI ``encryption_context``) or a key group's ``kms`` (list of
        ``{arn, role, context, aws_profile}`` mappings)."""
        opts = options or {}
        if value is None:
            return []
        if isinstance(value, str):
            arns = [p.strip() for p in value.split(",") if p.strip()]
            items: list[Any] = list(arns)
        elif isinstance(value, list):
            items = value
        else:
            raise InputError("invalid kms key configuration: expected a string or a list")
        context = parse_encryption_context(_opt(opts, "encryption_context"))
        profile = str(_opt(opts, "aws_profile") or "")
        keys: list[MasterKey] = []
        for item in items:
            if isinstance(item, str):
                keys.append(cls.from_arn_string(item, context, profile))
            elif isinstance(item, Mapping):
                arn = item.get("arn")
                if not isinstance(arn, str) or not arn:
                    raise InputError("invalid kms key configuration: a key group entry has no arn")
                keys.append(
                    cls(
                        arn,
                        str(item.get("role") or ""),
                        parse_encryption_context(item.get("context")) if item.get("context") else None,
                        str(item.get("aws_profile") or ""),
                    )
                )
            else:
                raise InputError("invalid kms key configuration: expected string in list")
        return keys

    @classmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        arn = stanza.get("arn")
        if not isinstance(arn, str) or not arn:
            raise InputError("sops metadata: a kms entry has no arn")
        raw_ctx = stanza.get("context")
        if raw_ctx is not None and not isinstance(raw_ctx, Mapping):
            raise InputError(f"sops metadata: the kms entry {arn} has a context that is not a mapping")
        created = created_at_text(stanza.get("created_at"))
        return cls(
            arn,
            str(stanza.get("role") or ""),
            parse_encryption_context(raw_ctx) if raw_ctx else None,
            str(stanza.get("aws_profile") or ""),
            enc=str(stanza.get("enc") or ""),
            created_at=created,
        )

    def to_metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {"arn": self.arn}
        if self.role:
            out["role"] = self.role
        if self.context:
            out["context"] = {k: self.context[k] for k in sorted(self.context)}
        out["created_at"] = self.created_at
        out["enc"] = self.enc
        out["aws_profile"] = self.aws_profile
        return out

    # --- the service ------------------------------------------------------------------

    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        client = kms_client(ctx, self)
        resp = _call(
            self,
            "encrypt",
            lambda: client.encrypt(
                KeyId=self.arn,
                Plaintext=data_key,
                EncryptionContext=self.context or {},
            ),
        )
        self.enc = base64.b64encode(resp["CiphertextBlob"]).decode("ascii")

    def unwrap(self, ctx: KeyContext) -> bytes:
        try:
            blob = base64.b64decode(self.enc, validate=True)
        except (binascii.Error, ValueError):
            raise KeySourceError(f"AWS KMS key {self.identifier}: enc is not valid base64") from None
        if not blob:
            raise KeySourceError(f"AWS KMS key {self.identifier}: enc is empty")
        client = kms_client(ctx, self)
        resp = _call(
            self,
            "decrypt",
            lambda: client.decrypt(
                KeyId=self.arn,
                CiphertextBlob=blob,
                EncryptionContext=self.context or {},
            ),
        )
        return bytes(resp["Plaintext"])


def _opt(options: Mapping[str, Any], name: str) -> Any:
    return options.get(name, options.get(name.replace("_", "-")))


def _endpoint(env: Mapping[str, str], service: str) -> str | None:
    return env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL") or None


def _botocore_config() -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )


def _core_session(ctx: KeyContext, profile: str) -> Any:
    """One botocore session per (profile, files) in ``ctx.clients``; it loads service data once.

    As in sops (SDK v2), a profile named on the key beats credentials in the environment.
    """
    env = ctx.env
    cache_key = ("aws-session", profile, env.get("AWS_CONFIG_FILE"), env.get("AWS_SHARED_CREDENTIALS_FILE"))
    core = ctx.clients.get(cache_key)
    if core is not None:
        return core
    import botocore.session

    core = botocore.session.Session()
    if env.get("AWS_CONFIG_FILE"):
        core.set_config_variable("config_file", env["AWS_CONFIG_FILE"])
    if env.get("AWS_SHARED_CREDENTIALS_FILE"):
        core.set_config_variable("credentials_file", env["AWS_SHARED_CREDENTIALS_FILE"])
    if profile:
        core.set_config_variable("profile", profile)
    elif env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        core.set_credentials(
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN") or None
        )
    elif env.get("AWS_PROFILE"):
        core.set_config_variable("profile", env["AWS_PROFILE"])
    ctx.clients[cache_key] = core
    return core


def kms_client(ctx: KeyContext, key: KmsKeySource) -> Any:
    """One KMS client per (region, role, profile, endpoint), cached in ``ctx.clients``."""
    region = region_of(key.arn)
    endpoint = _endpoint(ctx.env, "kms")
    cache_key = ("kms", region, key.role, key.aws_profile, endpoint)
    client = ctx.clients.get(cache_key)
    if client is not None:
        return client
    import botocore.exceptions

    try:
        core = _core_session(ctx, key.aws_profile)
        config = _botocore_config()
        creds: dict[str, Any] = {}
        if key.role:
            assumed = _assume_role(ctx, key, core, region, config)
            creds = {
                "aws_access_key_id": assumed["AccessKeyId"],
                "aws_secret_access_key": assumed["SecretAccessKey"],
                "aws_session_token": assumed["SessionToken"],
            }
        client = core.create_client("kms", region_name=region, endpoint_url=endpoint, config=config, **creds)
    except botocore.exceptions.ProfileNotFound:
        raise KeySourceError(
            f"AWS KMS key {key.identifier}: AWS profile {key.aws_profile or ctx.env.get('AWS_PROFILE')!r} "
            "is not configured"
        ) from None
    ctx.clients[cache_key] = client
    return client


def _assume_role(ctx: KeyContext, key: KmsKeySource, core: Any, region: str, config: Any) -> Any:
    sts = core.create_client("sts", region_name=region, endpoint_url=_endpoint(ctx.env, "sts"), config=config)
    resp = _call(
        key,
        f"assume role {key.role}",
        lambda: sts.assume_role(RoleArn=key.role, RoleSessionName=sts_session_name()),
    )
    return resp["Credentials"]


def _call(key: KmsKeySource, what: str, fn: Any) -> Any:
    """Run one AWS call; translate botocore failures into key-source errors naming the key."""
    import botocore.exceptions as bex

    where = f"AWS KMS key {key.identifier}"
    try:
        return fn()
    except bex.ClientError as exc:
        err = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
        code = str(err.get("Code") or "Unknown")
        detail = str(err.get("Message") or "").splitlines()[0][:200] if err.get("Message") else ""
        reason = _REASONS.get(code, "request failed")
        msg = f"{where}: {what} failed: {reason} ({code}{': ' + detail if detail else ''})"
        if code in _TEMPORARY_CODES:
            raise TemporaryKeySourceError(msg) from None
        raise KeySourceError(msg) from None
    except (
        bex.EndpointConnectionError,
        bex.ConnectTimeoutError,
        bex.ReadTimeoutError,
        bex.ConnectionClosedError,
    ) as exc:
        raise TemporaryKeySourceError(
            f"{where}: {what} failed: AWS KMS is unreachable ({type(exc).__name__})"
        ) from None
    except bex.NoCredentialsError:
        raise KeySourceError(
            f"{where}: {what} failed: no AWS credentials found "
            "(set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or aws_profile)"
        ) from None
    except bex.PartialCredentialsError:
        raise KeySourceError(f"{where}: {what} failed: incomplete AWS credentials") from None
    except bex.BotoCoreError as exc:
        raise KeySourceError(f"{where}: {what} failed ({type(exc).__name__})") from None
