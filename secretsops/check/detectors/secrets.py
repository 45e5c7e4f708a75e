"""Kubernetes Secrets whose values are readable, and SealedSecrets that are not really sealed.

Looks at every document of a YAML/JSON file (so Helm/kustomize output streams and JSON work)
and at the items of ``kind: List``. A value passes when it is ENC[...] (its file's SOPS
metadata is judged by the sops detector), empty, a public certificate or key, a placeholder
(``${DB_PASSWORD}``, ``<your-password>``, ``changeme``), or a plain identifier (``username:
app``, ``port: "5432"``: see ``check/identifiers.py``). ``strict`` reports every non-empty
value that is not ciphertext or public material. ``data`` values are base64-decoded first:
placeholders and key material are judged on what the cluster would see.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from secretsops.check.detectors.tokens import find_key_material
from secretsops.check.identifiers import is_plain_identifier
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc, looks_like_sops_metadata
from secretsops.check.yamllines import line_of
from secretsops.decryptors.guard import SOPS_MARKER

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_PUBLIC_PEM_TYPES = frozenset(
    {
        "CERTIFICATE", "TRUSTED CERTIFICATE", "PUBLIC KEY", "RSA PUBLIC KEY", "X509 CRL",
        "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "PGP PUBLIC KEY BLOCK", "SSH2 PUBLIC KEY",
        "PKCS7", "CMS",
    }
)  # fmt: skip
#: one public key per line: OpenSSH (authorized_keys, known_hosts without markers) and age recipients
_PUBLIC_LINE = re.compile(
    r"^(?:(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)"
    r"\s+AAAA[0-9A-Za-z+/]+={0,3}(?:\s.*)?|age1(?:pq1)?[02-9ac-hj-np-z]{58,})$"
)


def iter_k8s_objects(doc: Any) -> Iterator[dict[str, Any]]:
    """The document itself, or the items of a ``*List``."""
    if not isinstance(doc, dict):
        return
    kind = str(doc.get("kind") or "")
    if kind.endswith("List") and isinstance(doc.get("items"), list):
        yield from (i for i in doc["items"] if isinstance(i, dict))
    else:
        yield doc


_PUBLIC_LINE_STARTS = ("ssh-", "ecdsa-", "sk-", "age1", "#")


def is_public_material(text: str) -> bool:
    """Certificates and public keys only: PEM blocks of public types (a TLS Secret's tls.crt,
    ca.crt), OpenSSH public keys, age recipients. Never a finding: they are meant to be shared."""
    if "PRIVATE KEY" in text:
        return False
    blocks = _PEM_BEGIN.findall(text) if "-----BEGIN " in text else []
    if blocks:
        return all(b in _PUBLIC_PEM_TYPES for b in blocks)
    if not text.lstrip().startswith(_PUBLIC_LINE_STARTS):
        return False  # cheap: most text is not a list of public keys
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and all(_PUBLIC_LINE.match(ln) for ln in lines)


def is_exposed_value(key: str, text: str, *, strict: bool = False) -> bool:
    """Whether a plaintext Secret value (already base64-decoded) is a leak.

    Empty values and public material never are; otherwise ``strict`` says yes to everything,
    and the default leaves out placeholders and plain identifiers (user, host, port, database).
    """
    if not text.strip() or is_public_material(text):
        return False
    return strict or not (is_placeholder(text) or is_plain_identifier(key, text))


def decode_data_value(value: str) -> bytes | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def is_kubeseal_ciphertext(value: Any) -> bool:
    """kubeseal's hybrid format: uint16 RSA-ciphertext length, RSA-OAEP block, AES-GCM body."""
    if not isinstance(value, str):
        return False
    raw = decode_data_value(value)
    if raw is None or len(raw) < 2:
        return False
    rsa_len = int.from_bytes(raw[:2], "big")
    return rsa_len in (128, 256, 384, 512, 1024) and len(raw) >= 2 + rsa_len + 16


class KubernetesSecrets:
    def __init__(self, strict: bool = False) -> None:
        self.strict = strict

    def scan(self, file: ScanFile) -> None:
        if "Secret" not in file.text or not file.is_structured:
            return
        for doc in file.docs:
            for obj in iter_k8s_objects(doc):
                kind = obj.get("kind")
                if kind == "Secret" and obj.get("apiVersion") == "v1":
                    self._secret(file, obj)
                elif kind == "SealedSecret":
                    self._sealed(file, obj)

    def _secret(self, file: ScanFile, obj: dict[str, Any]) -> None:
        for field_name, encoded in (("data", True), ("stringData", False)):
            values = obj.get(field_name)
            if not isinstance(values, dict):
                continue
            flattened_sops = "sops_mac" in values  # a SOPS dotenv split into keys: the kustomize detector's
            # a Secret in a SOPS file whose rules leave data in plaintext: re-encrypting fixes it
            variant = "in-sops-file" if looks_like_sops_metadata(obj.get("sops")) else ""
            for key, value in values.items():
                if value is None or is_enc(value) or (flattened_sops and str(key).startswith("sops_")):
                    continue
                line = line_of(values, key)
                text = value if isinstance(value, str) else str(value)
                if encoded and isinstance(value, str):
                    raw = decode_data_value(value)
                    if raw is not None:
                        text = raw.decode("utf-8", "replace")
                if SOPS_MARKER in text:
                    continue  # ciphertext the decryption plugin did not open (detectors.kustomize)
                if not is_exposed_value(str(key), text, strict=self.strict):
                    continue
                file.report("k8s-secret-plaintext", line, f"{field_name}.{key}", text, variant=variant)
                if encoded:
                    for match in find_key_material(text):
                        file.report(match.rule, line, f"{field_name}.{key}", match.value)

    def _sealed(self, file: ScanFile, obj: dict[str, Any]) -> None:
        spec = obj.get("spec")
        values = spec.get("encryptedData") if isinstance(spec, dict) else None
        if not isinstance(values, dict):
            return
        for key, value in values.items():
            if value is None or is_placeholder(str(value)) or is_kubeseal_ciphertext(value):
                continue
            file.report("sealed-secret-not-sealed", line_of(values, key), f"encryptedData.{key}", str(value))
