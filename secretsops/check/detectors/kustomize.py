"""kustomize: plaintext in ``secretGenerator`` inputs, and build output nobody decrypted.

``SecretGenerators``: the generator turns literals and envs/files into a Secret at build time, so
the plaintext is in git even though no ``kind: Secret`` is. Referenced files count as protected
when they are SOPS-encrypted (the ksops / kustomize-sops pattern).

``UndecryptedBuildOutput``: ``kustomize build`` output (``check -``) that still holds SOPS
material — a generated Secret whose data is a SOPS file or a SOPS dotenv split into ``sops_*``
keys, or (on stdin) a whole SOPS-encrypted object. Nothing leaked, but the decryption plugin did
not run: the commonest cause is ``kubectl kustomize``, which has no ``--enable-exec`` and skips
exec KRM functions (KSOPS, ``secretsops-krm``) without a word. The finding says how to enable it
instead of calling ciphertext a plaintext secret.
"""

from __future__ import annotations

import base64
from typing import Any

from secretsops.check.detectors.secrets import decode_data_value, is_exposed_value, iter_k8s_objects
from secretsops.check.detectors.sops_files import _dotenv_items, _ini_items, is_dotenv_name
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import check_metadata, flat_metadata_check, looks_like_sops_metadata
from secretsops.check.yamllines import line_of, parse_with_lines
from secretsops.decryptors.guard import SOPS_MARKER
from secretsops.errors import InputError

_MARKER_BYTES = SOPS_MARKER.encode("ascii")
_DATA_KINDS = ("Secret", "ConfigMap")

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def is_sops_encrypted_text(text: str, name: str) -> bool:
    """Whole-file SOPS check used for files a generator reads."""
    if is_dotenv_name(name):
        meta = {k[5:]: v for k, v, _l, _s in _dotenv_items(text) if k.startswith("sops_")}
        return bool(meta) and flat_metadata_check(meta).ok
    if name.endswith(".ini"):
        meta = {k: v for k, v, _l, s in _ini_items(text) if s == "sops"}
        return bool(meta) and flat_metadata_check(meta).ok
    try:
        docs = parse_with_lines(text, name)
    except InputError:
        return False
    maps = [d for d in docs if isinstance(d, dict)]
    return bool(maps) and all(
        looks_like_sops_metadata(d.get("sops")) and check_metadata(d.get("sops")).ok for d in maps
    )


class SecretGenerators:
    def __init__(self, strict: bool = False) -> None:
        self.strict = strict

    def scan(self, file: ScanFile) -> None:
        if file.name not in KUSTOMIZATION_NAMES or "secretGenerator" not in file.text:
            return
        docs = file.parse()
        if not file.parsed_ok and file.name == "Kustomization":
            file.note("cannot parse YAML")
        for doc in docs:
            generators = doc.get("secretGenerator") if isinstance(doc, dict) else None
            if isinstance(generators, list):
                for gen in generators:
                    if isinstance(gen, dict):
                        self._generator(file, gen)

    def _generator(self, file: ScanFile, gen: dict[str, Any]) -> None:
        name = str(gen.get("name") or "")
        literals = gen.get("literals")
        if isinstance(literals, list):
            for i, item in enumerate(literals):
                key, sep, value = str(item).partition("=")
                if sep and is_exposed_value(key, value.strip("'\""), strict=self.strict):
                    file.report("kustomize-secret-literal", line_of(literals, i), f"{name}.{key}", value)
        refs: list[tuple[Any, Any, str]] = []
        for field_name in ("envs", "files"):
            items = gen.get(field_name)
            if isinstance(items, list):
                for i, item in enumerate(items):
                    ref = str(item).partition("=")[2] if "=" in str(item) else str(item)
                    refs.append((items, i, ref))
        if isinstance(gen.get("env"), str):
            refs.append((gen, "env", gen["env"]))
        for container, index, ref in refs:
            self._referenced(file, line_of(container, index), name, ref)

    def _referenced(self, file: ScanFile, line: int, generator: str, ref: str) -> None:
        target = file.resolve(ref)
        text = file.read_sibling(target)
        if text is None:
            file.note(f"secretGenerator '{generator}' reads {ref}, which is not in the scanned tree")
            return
        if not text.strip() or is_sops_encrypted_text(text, target.rsplit("/", 1)[-1]):
            return
        if is_dotenv_name(target) and all(is_placeholder(v) for _k, v, _l, _s in _dotenv_items(text)):
            return
        file.report("kustomize-secret-file", line, f"{generator}:{ref}", text, target=target)


def _marker_in_base64() -> tuple[str, ...]:
    """The SOPS marker as it reads inside base64 at each of the 3 byte alignments (whole
    4-character groups only), so files are parsed only when a data value can hold it."""
    out = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + _MARKER_BYTES + b"\0\0\0").decode()
        first = -(-shift // 3)  # the first group that starts inside the marker
        last = (shift + len(_MARKER_BYTES)) // 3  # groups before this one end inside it
        out.append(encoded[4 * first : 4 * last])
    return tuple(out)


_MARKER_B64 = _marker_in_base64()


class UndecryptedBuildOutput:
    def scan(self, file: ScanFile) -> None:
        if not file.is_structured:
            return
        stdin = file.path == "<stdin>"
        text = file.text
        # cheap test first: only a sops key, a flattened sops_mac or base64'd ciphertext can match
        if not ((stdin and "sops" in text) or "sops_mac" in text or any(m in text for m in _MARKER_B64)):
            return
        for doc in file.docs:
            for obj in iter_k8s_objects(doc):
                if stdin and isinstance(obj.get("sops"), dict) and obj.get("kind"):
                    file.report("kustomize-not-decrypted", line_of(obj, "sops"), "sops", _where(obj))
                elif obj.get("kind") in _DATA_KINDS:
                    self._data(file, obj)

    def _data(self, file: ScanFile, obj: dict[str, Any]) -> None:
        """One finding per object, at its first key holding SOPS material."""
        for field in ("data", "binaryData", "stringData"):
            values = obj.get(field)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if str(key) == "sops_mac" or (field != "stringData" and _holds_ciphertext(value)):
                    line = line_of(values, key)
                    file.report("kustomize-not-decrypted", line, f"{field}.{key}", _where(obj))
                    return


def _holds_ciphertext(value: Any) -> bool:
    raw = decode_data_value(value) if isinstance(value, str) else None
    return raw is not None and _MARKER_BYTES in raw


def _where(obj: dict[str, Any]) -> str:
    """What the fingerprint is taken of: the object's identity, never a value."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    return f"{obj.get('kind')}/{meta.get('namespace') or ''}/{meta.get('name') or ''}"
