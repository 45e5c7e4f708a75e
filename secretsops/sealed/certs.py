"""Find the sealing certificate: a file, an http(s)/file URL, or the controller via the API proxy.

Mirrors kubeseal's OpenCert/ParseKey: the first certificate of the PEM is used, it must hold an
RSA key and must not be expired. From a cluster the certificate is fetched through the API
server's service proxy (``/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/v1/cert.pem``),
the port name being the first port of the controller's Service.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from secretsops.errors import SealedError

if TYPE_CHECKING:
    from secretsops.kube import KubeClient

DEFAULT_CONTROLLER_NAME = "sealed-secrets-controller"
DEFAULT_CONTROLLER_NAMESPACE = "kube-system"
_TIMEOUT = 30


def is_filename(ref: str) -> bool:
    """kubeseal's isFilename: no URL scheme (or a one-letter Windows drive)."""
    scheme = urllib.parse.urlparse(ref).scheme
    return scheme == "" or len(scheme) == 1


def read_cert_ref(ref: str) -> bytes:
    """Bytes of ``--cert``: a local file or an http(s)/file URL."""
    if is_filename(ref):
        try:
            return Path(ref).read_bytes()
        except OSError as exc:
            raise SealedError(f"{ref}: cannot read certificate ({exc.strerror})") from None
    scheme = urllib.parse.urlparse(ref).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise SealedError(f"{ref}: unsupported certificate URL scheme {scheme!r}")
    try:
        with urllib.request.urlopen(ref, timeout=_TIMEOUT) as resp:  # noqa: S310 - scheme checked above
            status = getattr(resp, "status", 200) or 200
            if status != 200:
                raise SealedError(f"cannot fetch {ref!r}: HTTP {status}")
            return bytes(resp.read())
    except urllib.error.HTTPError as exc:
        raise SealedError(f"cannot fetch {ref!r}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise SealedError(f"cannot fetch {ref!r}: {reason}") from None


def fetch_cluster_cert(kube: KubeClient, namespace: str, name: str) -> bytes:
    """The controller's certificate through the kube API service proxy, as kubeseal fetches it."""
    from secretsops.sealed.cluster import ProxyStatus, controller_request

    try:
        return controller_request(kube, namespace, name, "GET", "cert.pem")
    except ProxyStatus as exc:
        raise SealedError(f"cannot fetch certificate from {namespace}/{name}: HTTP {exc.status}") from None
    except SealedError:
        raise
    except Exception as exc:  # noqa: BLE001 - connection problems of any kind
        raise SealedError(f"cannot fetch certificate from {namespace}/{name}: {type(exc).__name__}") from None


def parse_cert(pem: bytes, source: str, now: dt.datetime | None = None) -> x509.Certificate:
    """kubeseal's ParseKey checks: a PEM certificate, RSA, not expired."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise SealedError(f"{source}: failed to read any certificates") from None
    cert = certs[0]
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise SealedError(f"{source}: expected RSA public key but found {type(cert.public_key()).__name__}")
    when = now or dt.datetime.now(dt.UTC)
    if when > cert.not_valid_after_utc:
        day = cert.not_valid_after_utc.strftime("%B %-d, %Y")
        raise SealedError(f"{source}: failed to encrypt using an expired certificate on {day}")
    return cert


def public_key_of(cert: x509.Certificate) -> rsa.RSAPublicKey:
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key
