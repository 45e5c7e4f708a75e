"""HashiCorp Vault and OpenBao KV (v1 and v2) through hvac: ESO's ``vault`` and ``openBao`` providers.

Both store kinds speak the same HTTP API; they differ where ESO's two providers differ:
the ``vault`` provider rewrites keys onto the mount (``buildPath``), selects a ``property``
by exact key first and then by a GJSON path, finds recursively by name or by KV v2 custom
metadata tags; the ``openBao`` provider reads keys relative to its mount (default ``kv``),
selects properties by exact key only and finds by name only.

A login (AppRole, Kubernetes, JWT, userpass) happens once per store and credentials; the token
is reused across passes until it nears the end of its TTL (ESO logs in on every reconcile,
which leaks tokens). A 403 on a cached login token triggers one fresh login. Responses are
kept as raw JSON text so numbers stay the literals the server sent, as in ESO.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import hvac
import hvac.exceptions as hvac_exc
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from secretsops.errors import ExternalError, InputError, ProviderUnavailable
from secretsops.external import secret_bytes
from secretsops.external.providers.base import NoSecret, Provider, StoreContext
from secretsops.external.resources import Find, RemoteRef
from secretsops.external.transforms import compile_go_regexp
from secretsops.golang import encoding_json, gjson

SYSTEM_METADATA_KEYS = ("created_time", "current_version", "delete_version_after")
#: renew a login token when less than this share of its TTL is left
RENEW_FRACTION = 0.2
#: concurrent reads while prefetching a pass (below urllib3's default pool of 10)
PREFETCH_WORKERS = 8


@dataclass
class Login:
    token: str
    expires_at: float | None  # monotonic seconds; None = no expiry
    ttl: float


class _CAAdapter(HTTPAdapter):
    """Trust a PEM bundle held in memory (``caBundle``/``caProvider``) without a temp file."""

    def __init__(self, cadata: str, **kwargs: Any) -> None:
        self._ctx = ssl.create_default_context(cadata=cadata)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ctx
        super().init_poolmanager(*args, **kwargs)


class VaultProvider(Provider):
    name: ClassVar[str] = "vault"
    #: ESO's ``vault`` provider semantics (buildPath, gjson properties, recursive find, tags)
    eso_vault: ClassVar[bool] = True

    def __init__(self, sc: StoreContext) -> None:
        super().__init__(sc)
        p = self.provider
        self.server = str(p.get("server") or "").rstrip("/")
        if not self.server:
            raise InputError(f"{self.store}: spec.provider.{self.store.provider_key}.server is required")
        version = str(p.get("version") or "v2")
        if version not in ("v1", "v2"):
            raise InputError(f"{self.store}: unsupported KV version {version!r} (expected v1 or v2)")
        self.version = version
        self.mount: str | None = None if p.get("path") in (None, "") else str(p.get("path")).strip("/")
        self.namespace = None if p.get("namespace") in (None, "") else str(p["namespace"])
        self._reads: dict[tuple[str, str], Any] = {}
        self._lists: dict[str, list[str]] = {}
        self._client: hvac.Client | None = None
        self._count_lock = threading.Lock()

    # --- connection and login ---------------------------------------------------------------

    def _ca(self) -> str | None:
        p = self.provider
        if p.get("caBundle"):
            import base64

            try:
                return base64.b64decode(str(p["caBundle"])).decode()
            except ValueError:
                raise InputError(f"{self.store}: caBundle is not base64-encoded PEM") from None
        cap = p.get("caProvider")
        if cap:
            ns = self.sc.es_namespace
            if self.store.kind == "ClusterSecretStore" and cap.get("namespace"):
                ns = str(cap["namespace"])
            kind = cap.get("type")
            if kind == "Secret":
                data = self.sc.lookup.secret_data(ns, str(cap.get("name")))
                if data is None or str(cap.get("key")) not in data:
                    raise ExternalError(f"{self.store}: caProvider Secret {cap.get('name')!r} key not found")
                return data[str(cap.get("key"))].decode()
            if kind == "ConfigMap":
                cm = self.sc.lookup.configmap_data(ns, str(cap.get("name")))
                if cm is None or str(cap.get("key")) not in cm:
                    raise ExternalError(
                        f"{self.store}: caProvider ConfigMap {cap.get('name')!r} key not found"
                    )
                return cm[str(cap.get("key"))]
            raise InputError(f"{self.store}: caProvider.type must be Secret or ConfigMap")
        return None

    def _session(self) -> requests.Session:
        settings = self.sc.settings
        retry = Retry(
            total=settings.retries,
            connect=settings.retries,
            read=False,  # a read timeout surfaces as such (and is not repeated)
            status=0,
            backoff_factor=settings.backoff,
            allowed_methods=None,
            raise_on_status=False,
        )
        session = requests.Session()
        ca = self._ca()
        adapter: HTTPAdapter = _CAAdapter(ca, max_retries=retry) if ca else HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", HTTPAdapter(max_retries=retry))
        return session

    def _auth_material(self) -> tuple[str, dict[str, Any]]:
        """The auth method and its resolved credentials (values stay in memory)."""
        auth = self.provider.get("auth") or {}
        if not isinstance(auth, dict) or not any(v is not None for v in auth.values()):
            raise InputError(f"{self.store}: spec.provider.{self.store.provider_key}.auth is required")
        if auth.get("tokenSecretRef") is not None:
            return "token", {"token": self.sc.secret_ref(auth["tokenSecretRef"], "auth.tokenSecretRef")}
        if auth.get("appRole") is not None:
            ar = auth["appRole"]
            role_id = ar.get("roleId")
            if ar.get("roleRef") is not None:
                role_id = self.sc.secret_ref(ar["roleRef"], "auth.appRole.roleRef")
            if not role_id:
                raise InputError(f"{self.store}: auth.appRole needs roleId or roleRef")
            secret_id = self.sc.secret_ref(ar.get("secretRef"), "auth.appRole.secretRef")
            return "approle", {
                "path": str(ar.get("path") or "approle"),
                "body": {"role_id": str(role_id), "secret_id": secret_id},
            }
        if auth.get("kubernetes") is not None:
            k = auth["kubernetes"]
            if k.get("secretRef") is not None:
                jwt = self.sc.secret_ref(k["secretRef"], "auth.kubernetes.secretRef", default_key="token")
            elif k.get("serviceAccountRef") is not None:
                sa = k["serviceAccountRef"]
                ns = self.sc.es_namespace
                if self.store.kind == "ClusterSecretStore" and sa.get("namespace"):
                    ns = str(sa["namespace"])
                jwt = self.sc.lookup.service_account_token(
                    ns, str(sa.get("name")), list(sa.get("audiences") or [])
                )
            else:
                jwt = self.sc.settings.own_service_account_token(str(self.store))
            return "kubernetes", {
                "path": str(k.get("mountPath") or "kubernetes"),
                "body": {"role": str(k.get("role") or ""), "jwt": jwt},
            }
        if auth.get("jwt") is not None:
            j = auth["jwt"]
            if j.get("secretRef") is not None:
                jwt = self.sc.secret_ref(j["secretRef"], "auth.jwt.secretRef")
            elif j.get("kubernetesServiceAccountToken") is not None:
                kt = j["kubernetesServiceAccountToken"]
                sa = kt.get("serviceAccountRef") or {}
                ns = self.sc.es_namespace
                if self.store.kind == "ClusterSecretStore" and sa.get("namespace"):
                    ns = str(sa["namespace"])
                audiences = list(kt.get("audiences") or sa.get("audiences") or ["vault"])
                jwt = self.sc.lookup.service_account_token(
                    ns, str(sa.get("name")), audiences, int(kt.get("expirationSeconds") or 600)
                )
            else:
                raise InputError(f"{self.store}: auth.jwt needs secretRef or kubernetesServiceAccountToken")
            return "jwt", {
                "path": str(j.get("path") or "jwt"),
                "body": {"role": str(j.get("role") or ""), "jwt": jwt},
            }
        up = auth.get("userPass")
        if up is not None:
            password = self.sc.secret_ref(up.get("secretRef"), "auth.userPass.secretRef")
            return "userpass", {
                "path": f"{up.get('path') or 'userpass'}/login/{up.get('username')}",
                "body": {"password": password},
                "login_path": True,
            }
        method = next(k for k, v in auth.items() if v is not None)
        raise InputError(f"{self.store}: Vault auth method {method!r} is not supported")

    def _login_key(self, method: str, material: dict[str, Any]) -> str:
        h = hashlib.sha256()
        auth_ns = (self.provider.get("auth") or {}).get("namespace") or self.namespace or ""
        for part in (self.server, str(auth_ns), method, repr(sorted(material.items()))):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        return "vault-login:" + h.hexdigest()

    def client(self) -> hvac.Client:
        if self._client is not None:
            return self._client
        conns = self.sc.connections
        session_key = (
            "vault-session",
            self.server,
            self.provider.get("caBundle"),
            repr(self.provider.get("caProvider")),
        )
        session = conns.get(session_key)
        if session is None:
            session = conns[session_key] = self._session()
        client = hvac.Client(
            url=self.server,
            namespace=self.namespace,
            timeout=self.sc.settings.timeout,
            session=session,
            adapter=hvac.adapters.RawAdapter,
        )
        method, material = self._auth_material()
        if method == "token":
            client.token = material["token"]
        else:
            client.token = self._login(client, method, material).token
        self._client = client
        self._login_state = (method, material)
        return client

    def _login(
        self, client: hvac.Client, method: str, material: dict[str, Any], force: bool = False
    ) -> Login:
        key = self._login_key(method, material)
        cached: Login | None = self.sc.connections.get(key)
        now = time.monotonic()
        if cached and not force:
            if cached.expires_at is None or cached.expires_at - now > cached.ttl * RENEW_FRACTION:
                return cached
        path = material["path"].strip("/")
        url = f"/v1/auth/{path}" if material.get("login_path") else f"/v1/auth/{path}/login"
        # ESO logs in within auth.namespace when set, else the store's namespace
        auth_ns = (self.provider.get("auth") or {}).get("namespace") or self.namespace
        adapter = client.adapter
        saved = (adapter.token, adapter.namespace)
        adapter.token, adapter.namespace = None, (str(auth_ns) if auth_ns else None)
        try:
            resp = self._call(lambda: adapter.post(url, json=material["body"]), f"login ({method})")
        finally:
            adapter.token, adapter.namespace = saved
        self._count("vault.login")
        body = encoding_json.unmarshal_numbers(resp.text) if resp.text else {}
        auth = (body or {}).get("auth") or {}
        token = str(auth.get("client_token") or "")
        if not token:
            raise ExternalError(f"{self.store}: Vault login ({method}) returned no token")
        ttl = float(str(auth.get("lease_duration") or 0))
        login = Login(token, now + ttl if ttl > 0 else None, ttl)
        self.sc.connections[key] = login
        return login

    # --- requests ---------------------------------------------------------------------------

    def _call(self, fn: Any, what: str) -> requests.Response:
        try:
            resp = fn()
        except hvac_exc.InvalidPath:
            raise NoSecret(f"{self.store}: {what}: secret does not exist") from None
        except hvac_exc.Forbidden:
            raise ExternalError(
                f"{self.store}: {what}: permission denied (check the token or role policy)"
            ) from None
        except hvac_exc.Unauthorized:
            raise ExternalError(f"{self.store}: {what}: unauthorized") from None
        except hvac_exc.InvalidRequest:
            raise ExternalError(f"{self.store}: {what}: invalid request") from None
        except hvac_exc.VaultNotInitialized:
            raise ProviderUnavailable(f"{self.store}: {what}: server is not initialized") from None
        except hvac_exc.VaultDown:
            raise ProviderUnavailable(f"{self.store}: {what}: server is sealed or down (503)") from None
        except hvac_exc.RateLimitExceeded:
            raise ProviderUnavailable(f"{self.store}: {what}: rate limit exceeded (429)") from None
        except (hvac_exc.InternalServerError, hvac_exc.BadGateway, hvac_exc.UnexpectedError) as exc:
            raise ProviderUnavailable(f"{self.store}: {what}: server error ({type(exc).__name__})") from None
        except hvac_exc.VaultError as exc:
            raise ExternalError(f"{self.store}: {what}: request failed ({type(exc).__name__})") from None
        except requests.Timeout:
            raise ProviderUnavailable(
                f"{self.store}: {what}: {self.server} did not answer within {self.sc.settings.timeout:g}s"
            ) from None
        except requests.exceptions.SSLError:
            raise ExternalError(
                f"{self.store}: {what}: TLS verification of {self.server} failed (set caBundle or caProvider)"
            ) from None
        except requests.ConnectionError:
            raise ProviderUnavailable(f"{self.store}: {what}: cannot connect to {self.server}") from None
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{self.store}: {what}: {type(exc).__name__}") from None
        return resp  # type: ignore[no-any-return]

    def _request(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        client = self.client()
        call = getattr(client.adapter, method)
        try:
            resp = self._call(lambda: call(url, **kwargs), what)
        except ExternalError as exc:
            login_method, material = self._login_state
            if "permission denied" not in str(exc) or login_method == "token":
                raise
            client.token = self._login(client, login_method, material, force=True).token
            resp = self._call(lambda: call(url, **kwargs), what)
        self._count("vault." + ("list" if method == "list" else "read"))
        if not resp.text:
            return None
        return encoding_json.unmarshal_numbers(resp.text)

    def _count(self, what: str) -> None:
        with self._count_lock:
            self.sc.count(what, 1)

    # --- paths ------------------------------------------------------------------------------

    def build_path(self, key: str) -> str:
        """ESO's ``buildPath``: where a remote key lives for this store's mount and KV version."""
        out = key
        if self.mount is not None:
            cut = self.mount + "/"
            if out.startswith(cut):
                out = out.split(cut, 1)[1]
                if out.startswith("data/") and self.version == "v2":
                    out = out.split("data/", 1)[1]
            parts = self.mount.split("/")
            if self.version == "v2":
                parts.append("data")
            return "/".join(parts + out.split("/"))
        if "/data/" not in out and self.version == "v2":
            parts = out.split("/")
            return "/".join([parts[0], "data", *parts[1:]])
        return out

    def metadata_path(self, key: str) -> str:
        if self.version == "v1":
            return f"{self.mount}/{key}" if self.mount is not None else key
        if self.mount is None:
            if "data" not in key:
                raise InputError(f"{self.store}: provided Path isn't a valid kv v2 path")
            return key.replace("/data/", "/metadata/", 1)
        return f"{self.mount}/metadata/{key}"

    # --- reads ------------------------------------------------------------------------------

    def prefetch(self, refs: list[RemoteRef]) -> None:
        """Read every distinct path of the pass once, a few at a time (KV has no batch read)."""
        todo = sorted({(r.key, r.version) for r in refs if r.metadata_policy != "Fetch"} - set(self._reads))
        if len(todo) < 2:
            return
        self.client()  # log in once, before the workers share the token

        def one(item: tuple[str, str]) -> None:
            try:
                self.read(*item)
            except ExternalError:
                pass  # memoised; the resolve that needs it reports it in context

        with ThreadPoolExecutor(max_workers=min(PREFETCH_WORKERS, len(todo))) as pool:
            list(pool.map(one, todo))

    def read(self, key: str, version: str = "") -> dict[str, Any]:
        """The data of one path (memoised per pass: one request whatever the properties)."""
        memo = (key, version)
        if memo in self._reads:
            cached = self._reads[memo]
            if isinstance(cached, Exception):
                raise cached
            return cached  # type: ignore[no-any-return]
        try:
            data = self._read_uncached(key, version)
        except ExternalError as exc:
            self._reads[memo] = exc
            raise
        self._reads[memo] = data
        return data

    def _read_uncached(self, key: str, version: str) -> dict[str, Any]:
        path = self.build_path(key)
        params = {"version": version} if version else None
        body = self._request("get", f"/v1/{path}", f"read {key!r}", params=params)
        if body is None:
            raise NoSecret(f"{self.store}: read {key!r}: secret does not exist")
        data = body.get("data")
        if self.version == "v2":
            if not isinstance(data, dict) or "data" not in data:
                raise ExternalError(f"{self.store}: read {key!r}: failed to find data field")
            data = data["data"]
        if data is None:
            raise NoSecret(f"{self.store}: read {key!r}: secret does not exist")
        if not isinstance(data, dict):
            raise ExternalError(f"{self.store}: read {key!r}: failed to unmarshall JSON")
        return data

    def read_metadata(self, key: str) -> dict[str, str]:
        memo = ("#metadata", key)
        if memo in self._reads:
            return self._reads[memo]  # type: ignore[no-any-return]
        body = self._request("get", f"/v1/{self.metadata_path(key)}", f"read metadata of {key!r}")
        if body is None:
            raise ExternalError(f"{self.store}: read metadata of {key!r}: secret not found")
        data = body.get("data") or {}
        out: dict[str, str] = {}
        if self.version == "v2":
            for k in SYSTEM_METADATA_KEYS:
                if data.get(k) is not None:
                    out[k] = str(data[k])
        custom = data.get("custom_metadata")
        if isinstance(custom, dict):
            for k, v in custom.items():
                out[str(k)] = v if isinstance(v, str) else secret_bytes.dumps(v)
        self._reads[memo] = out
        return out

    def list_keys(self, path: str) -> list[str]:
        """Every secret under ``path`` (recursive), names relative to the mount."""
        if path in self._lists:
            return self._lists[path]
        body = self._request("list", f"/v1/{self.metadata_path(path)}", f"list {path or '/'!r}")
        if body is None:
            raise NoSecret(f"{self.store}: list {path or '/'!r}: nothing found")
        keys = ((body.get("data") or {}).get("keys")) or []
        out: list[str] = []
        for k in keys:
            full = path + str(k) if path else str(k)
            if str(k).endswith("/"):
                out.extend(self.list_keys(full))
            else:
                out.append(full)
        self._lists[path] = out
        return out

    # --- ESO's three operations ------------------------------------------------------------

    def _data_for(self, ref: RemoteRef) -> dict[str, Any]:
        if ref.metadata_policy == "Fetch":
            if self.version == "v1":
                raise InputError(f"{self.store}: cannot perform metadata fetch operations with kv version v1")
            return dict(self.read_metadata(ref.key))
        return self.read(ref.key, ref.version)

    def get_secret(self, ref: RemoteRef) -> bytes:
        data = self._data_for(ref)
        if not ref.property:
            return secret_bytes.dumps(data).encode()
        if ref.property in data:
            return secret_bytes.byte_value(data[ref.property])
        found = gjson.get(secret_bytes.dumps(data), ref.property)
        if found is None:
            raise ExternalError(
                f"{self.store}: cannot find secret data for key: {ref.property!r} in {ref.key!r}"
            )
        return found.string().encode("utf-8", "surrogateescape")

    def get_secret_map(self, ref: RemoteRef) -> dict[str, bytes]:
        raw = self.get_secret(ref)
        try:
            parsed = encoding_json.unmarshal(raw)
        except ValueError:
            raise ExternalError(f"{self.store}: {ref.describe()} is not a JSON object") from None
        if not isinstance(parsed, dict):
            raise ExternalError(f"{self.store}: {ref.describe()} is not a JSON object")
        return {str(k): secret_bytes.byte_value(v) for k, v in parsed.items()}

    def get_all_secrets(self, find: Find) -> dict[str, bytes]:
        if self.version == "v1" and find.tags:
            raise InputError(f"{self.store}: cannot perform find by tag operations with kv version v1")
        search = "" if find.path is None else find.path + "/"
        candidates = self.list_keys(search)
        out: dict[str, bytes] = {}
        matcher = None
        if find.name_regexp is not None:
            matcher = compile_go_regexp(find.name_regexp, "find.name.regexp")
        for name in candidates:
            if matcher is not None:
                if not matcher.search(name):
                    continue
            elif find.tags:
                meta = self.read_metadata(name)
                if any(meta.get(k) != v for k, v in find.tags.items()):
                    continue
            try:
                out[name] = self.get_secret(RemoteRef(key=name))
            except NoSecret:
                continue
        return out


class OpenBaoProvider(VaultProvider):
    """ESO's ``openBao`` provider: keys relative to the mount (default ``kv``), exact properties."""

    name: ClassVar[str] = "openbao"
    eso_vault: ClassVar[bool] = False

    def __init__(self, sc: StoreContext) -> None:
        super().__init__(sc)
        if self.mount is None:
            self.mount = "kv"

    def build_path(self, key: str) -> str:
        return f"{self.mount}/data/{key}" if self.version == "v2" else f"{self.mount}/{key}"

    def metadata_path(self, key: str) -> str:
        return f"{self.mount}/metadata/{key}" if self.version == "v2" else f"{self.mount}/{key}"

    def get_secret(self, ref: RemoteRef) -> bytes:
        if ref.version:
            if self.version == "v1":
                raise InputError(f"{self.store}: OpenBao KVv1 secrets do not support versioning (use KVv2)")
            if not ref.version.lstrip("-").isdigit():
                raise InputError(f"{self.store}: invalid Ref.Version {ref.version!r}: not a number")
        data = self.read(ref.key, ref.version)
        if not ref.property:
            return secret_bytes.dumps(data).encode()
        if ref.property not in data:
            raise ExternalError(
                f"{self.store}: cannot find secret data for key: {ref.property!r} in {ref.key!r}"
            )
        return secret_bytes.byte_value(data[ref.property])

    def get_all_secrets(self, find: Find) -> dict[str, bytes]:
        if find.tags:
            raise InputError(f"{self.store}: tag based search is not implemented")
        if find.name_regexp is None:
            raise InputError(f"{self.store}: find needs name.regexp")
        base = find.path or ""
        body = self._request("list", f"/v1/{self.metadata_path(base)}", f"list {base or '/'!r}")
        keys = [str(k) for k in (((body or {}).get("data") or {}).get("keys") or [])]
        matcher = compile_go_regexp(find.name_regexp, "find.name.regexp")
        out: dict[str, bytes] = {}
        prefix = base.rstrip("/") + "/" if base else ""
        for name in keys:
            if not matcher.search(name):
                continue
            try:
                out[name] = self.get_secret(RemoteRef(key=prefix + name))
            except NoSecret:
                continue
        return out
