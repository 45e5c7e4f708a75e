"""HashiCorp Vault / OpenBao transit recipients of the data key, stored as sops writes them.

Stanza (sops 3.11 order): ``vault_address``, ``engine_path``, ``key_name``, ``created_at``,
``enc`` (the ``vault:v1:...`` transit ciphertext). As in sops, the key's own ``vault_address``
is used, never ``VAULT_ADDR``; the token is ``VAULT_TOKEN`` or else ``~/.vault-token`` (the
vault CLI's token helper file), both read from ``KeyContext.env``. hvac is imported lazily.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from secretsops.errors import InputError, KeySourceError, TemporaryKeySourceError
from secretsops.keysources.base import DecryptionSecret, KeyContext, MasterKey, created_at_text, now_rfc3339

#: sops refuses URLs with a prefix before ``/v1`` (reverse proxies) with this check
_PREFIXED = re.compile(r"/[^/]+/v[\d]+/[^/]+/[^/]+/[^/]+", re.ASCII)
_WELL_FORMED = re.compile(r"/v[\d]+/[^/]+/[^/]+/[^/]+", re.ASCII)
EXAMPLE_URI = "https://vault.example.com:8200/v1/transit/keys/keyName"

TIMEOUT = 10.0
RETRIES = 2


def engine_and_key_from_path(full_path: str) -> tuple[str, str]:
    """sops' engineAndKeyFromPath: ``/v1/<engine path with slashes>/keys/<name>``."""
    if _PREFIXED.search(full_path):
        raise InputError(
            f"running Vault with a prefixed URL is not supported (format has to be like {EXAMPLE_URI})"
        )
    if not _WELL_FORMED.search(full_path):
        raise InputError(f"vault path does not seem to be formatted correctly (e.g. {EXAMPLE_URI})")
    dirs = full_path.strip("/").split("/")
    return "/".join(d for d in dirs[1:-2] if d), dirs[-1]


class VaultTransitKeySource(MasterKey):
    """One transit key on a Vault or OpenBao server that wraps the data key."""

    kind = "hc_vault"
    cli_flag = "hc-vault-transit"
    rule_key = "hc_vault_transit_uri"
    group_key = "hc_vault"
    recipients_env = "SOPS_VAULT_URIS"
    order_aliases = ("hc_vault_transit",)
    priority = 60

    def __init__(
        self, vault_address: str, engine_path: str, key_name: str, *, enc: str = "", created_at: str = ""
    ) -> None:
        self.vault_address = vault_address
        self.engine_path = engine_path
        self.key_name = key_name
        self.enc = enc
        self.created_at = created_at or now_rfc3339()

    @property
    def identifier(self) -> str:
        """sops' ToString: the key's URI."""
        return f"{self.vault_address}/v1/{self.engine_path}/keys/{self.key_name}"

    # --- parsing ----------------------------------------------------------------------

    @classmethod
    def from_uri(cls, uri: str) -> VaultTransitKeySource:
        """sops' NewMasterKeyFromURI (``https://host:8200/v1/<engine>/keys/<name>``)."""
        try:
            parts = urlsplit(uri)
        except ValueError:
            raise InputError(f"invalid Vault URI {uri!r}") from None
        if not parts.scheme:
            raise InputError(f"missing scheme in Vault URL (should be like this: {EXAMPLE_URI}), got: {uri}")
        request_uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        engine, name = engine_and_key_from_path(request_uri)
        return cls(f"{parts.scheme}://{parts.netloc}", engine, name)

    @classmethod
    def from_cli(cls, value: str, options: Mapping[str, Any]) -> list[MasterKey]:
        return cls.from_rule(value)

    @classmethod
    def env_from_decryption_secret(cls, secret: DecryptionSecret) -> dict[str, str]:
        """Flux: ``sops.vault-token`` is the token (``VAULT_TOKEN``)."""
        if "sops.vault-token" not in secret.data:
            return {}
        return {"VAULT_TOKEN": secret.text("sops.vault-token").strip()}

    @classmethod
    def from_rule(cls, value: Any, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
        """``hc_vault_transit_uri`` / a key group's ``hc_vault``: comma string or list of URIs."""
        if value is None:
            return []
        if isinstance(value, str):
            uris = [p.strip() for p in value.split(",")]
        elif isinstance(value, list):
            uris = []
            for item in value:
                if not isinstance(item, str):
                    raise InputError("invalid hc_vault key configuration: expected string in list")
                uris.append(item.strip())
        else:
            raise InputError("invalid hc_vault key configuration: expected a string or a list")
        return [cls.from_uri(u) for u in uris if u]

    @classmethod
    def from_metadata(cls, stanza: Mapping[str, Any]) -> MasterKey:
        missing = [f for f in ("vault_address", "engine_path", "key_name") if not stanza.get(f)]
        if missing:
            raise InputError(f"sops metadata: an hc_vault entry has no {', '.join(missing)}")
        created = created_at_text(stanza.get("created_at"))
        return cls(
            str(stanza["vault_address"]),
            str(stanza["engine_path"]),
            str(stanza["key_name"]),
            enc=str(stanza.get("enc") or ""),
            created_at=created,
        )

    def to_metadata(self) -> dict[str, Any]:
        return {
            "vault_address": self.vault_address,
            "engine_path": self.engine_path,
            "key_name": self.key_name,
            "created_at": self.created_at,
            "enc": self.enc,
        }

    # --- the service ------------------------------------------------------------------

    def wrap(self, data_key: bytes, ctx: KeyContext) -> None:
        client = vault_client(ctx, self.vault_address)
        resp = _call(
            self,
            ctx,
            "encrypt",
            lambda: client.secrets.transit.encrypt_data(
                name=self.key_name,
                plaintext=base64.b64encode(data_key).decode("ascii"),
                mount_point=self.engine_path,
            ),
        )
        ciphertext = (resp.get("data") or {}).get("ciphertext") if isinstance(resp, Mapping) else None
        if not isinstance(ciphertext, str) or not ciphertext:
            raise KeySourceError(f"Vault transit key {self.identifier}: encrypt returned no ciphertext")
        self.enc = ciphertext

    def unwrap(self, ctx: KeyContext) -> bytes:
        if not self.enc:
            raise KeySourceError(f"Vault transit key {self.identifier}: enc is empty")
        client = vault_client(ctx, self.vault_address)
        resp = _call(
            self,
            ctx,
            "decrypt",
            lambda: client.secrets.transit.decrypt_data(
                name=self.key_name,
                ciphertext=self.enc,
                mount_point=self.engine_path,
            ),
        )
        plain = (resp.get("data") or {}).get("plaintext") if isinstance(resp, Mapping) else None
        if not isinstance(plain, str):
            raise KeySourceError(f"Vault transit key {self.identifier}: decrypt returned no plaintext")
        try:
            return base64.b64decode(plain, validate=True)
        except (binascii.Error, ValueError):
            raise KeySourceError(
                f"Vault transit key {self.identifier}: cannot decode base64 plaintext into data key bytes"
            ) from None


def vault_token(env: Mapping[str, str]) -> str:
    """``VAULT_TOKEN``, else ``$HOME/.vault-token`` (trimmed), else empty (e.g. behind Vault Agent)."""
    token = env.get("VAULT_TOKEN", "")
    if token:
        return token
    home = env.get("HOME")
    if not home:
        return ""
    path = Path(home) / ".vault-token"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""
    except OSError:
        raise KeySourceError(f"cannot read the Vault token file {path}") from None


def _verify(env: Mapping[str, str]) -> bool | str:
    if env.get("VAULT_SKIP_VERIFY", "").lower() in ("1", "true", "t", "yes"):
        return False
    return env.get("VAULT_CACERT") or env.get("VAULT_CAPATH") or True


def vault_client(ctx: KeyContext, address: str) -> Any:
    """One hvac client per server address, cached in ``ctx.clients``; bounded timeout and retries."""
    cache_key = ("hc_vault", address)
    client = ctx.clients.get(cache_key)
    if client is not None:
        return client
    import hvac
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    env = ctx.env
    session = requests.Session()
    retry = Retry(
        total=RETRIES,
        connect=RETRIES,
        read=0,
        backoff_factor=0.2,
        status_forcelist=(412, 500, 502, 503, 504),
        allowed_methods=None,
        raise_on_status=False,
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    cert = None
    if env.get("VAULT_CLIENT_CERT") and env.get("VAULT_CLIENT_KEY"):
        cert = (env["VAULT_CLIENT_CERT"], env["VAULT_CLIENT_KEY"])
    client = hvac.Client(
        url=address,
        token=vault_token(env),
        verify=_verify(env),
        cert=cert,
        timeout=TIMEOUT,
        namespace=env.get("VAULT_NAMESPACE") or None,
        session=session,
    )
    ctx.clients[cache_key] = client
    return client


def _call(key: VaultTransitKeySource, ctx: KeyContext, what: str, fn: Any) -> Any:
    """Run one transit request; translate failures into key-source errors naming the key."""
    import hvac.exceptions as hex_
    import requests

    where = f"Vault transit key {key.identifier}"
    try:
        return fn()
    except hex_.Forbidden as exc:
        no_token = " (no token: set VAULT_TOKEN or log in to write ~/.vault-token)"
        hint = "" if vault_token(ctx.env) else no_token
        raise KeySourceError(f"{where}: {what} failed: permission denied{hint}{_detail(exc)}") from None
    except hex_.Unauthorized as exc:
        raise KeySourceError(f"{where}: {what} failed: not authenticated{_detail(exc)}") from None
    except hex_.InvalidPath as exc:
        raise KeySourceError(
            f"{where}: {what} failed: no transit engine or key at this path{_detail(exc)}"
        ) from None
    except hex_.InvalidRequest as exc:
        raise KeySourceError(f"{where}: {what} failed: request rejected{_detail(exc)}") from None
    except (hex_.InternalServerError, hex_.VaultDown, hex_.BadGateway, hex_.RateLimitExceeded) as exc:
        raise TemporaryKeySourceError(
            f"{where}: {what} failed: server error ({type(exc).__name__}){_detail(exc)}"
        ) from None
    except hex_.VaultError as exc:
        raise KeySourceError(f"{where}: {what} failed ({type(exc).__name__}){_detail(exc)}") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TemporaryKeySourceError(
            f"{where}: {what} failed: {key.vault_address} is unreachable ({type(exc).__name__})"
        ) from None
    except requests.RequestException as exc:
        raise KeySourceError(f"{where}: {what} failed ({type(exc).__name__})") from None


def _detail(exc: Exception) -> str:
    """Vault's own error strings (they name keys and paths, never the data), one line."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:
        text = "; ".join(str(e) for e in errors).replace("\n", " ")[:200]
        return f": {text}"
    return ""
