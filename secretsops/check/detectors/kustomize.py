"""kustomize ``secretGenerator``: plaintext literals, and envs/files that are not encrypted.

The generator turns these into a Secret at build time, so the plaintext is in git even though
no ``kind: Secret`` is. Referenced files count as protected when they are SOPS-encrypted (the
ksops / kustomize-sops pattern).
"""

from __future__ import annotations

from typing import Any

from secretsops.check.detectors.sops_files import _dotenv_items, _ini_items, is_dotenv_name
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import check_metadata, flat_metadata_check, looks_like_sops_metadata
from secretsops.check.yamllines import line_of, parse_with_lines
from secretsops.errors import InputError

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
                if sep and not is_placeholder(value.strip("'\"")):
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
        file.report("kustomize-secret-file", line, f"{generator}:{ref}", text)
