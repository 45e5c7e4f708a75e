"""SOPS files that are not (fully) encrypted: by their own metadata and by ``.sops.yaml``.

Three findings: a file a creation rule covers that holds secrets (``check/holds_secrets.py``:
not a certificate or a README under a broad rule) and has no SOPS metadata
(``sops-unencrypted``); a value that the file's metadata or the covering rule says must be
ENC[...] but is plaintext (``sops-partially-decrypted``, e.g. one value decrypted by hand);
and metadata without a MAC or without any wrapped data key, or ENC[...] values with no
metadata at all (``sops-metadata-broken``).
"""

from __future__ import annotations

import re
from typing import Any

from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import (
    NO_MAC,
    EncryptionRules,
    check_metadata,
    flat_metadata_check,
    has_key_stanza,
    is_enc,
    iter_leaves,
    looks_like_sops_metadata,
    plaintext_leaves,
)
from secretsops.check.yamllines import line_of

_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*)$")
_INI_LINE = re.compile(r"^\s*([^=;#\[\s][^=]*?)\s*=\s*(.*)$")
_ENC_ANYWHERE = "ENC[AES256_GCM,"


def is_dotenv_name(name: str) -> bool:
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


class SopsFiles:
    def scan(self, file: ScanFile) -> None:
        name = file.name
        if name in (".sops.yaml", ".sops.yml"):
            return
        if is_dotenv_name(name):
            self._flat(file, _dotenv_items(file.text), "sops_")
        elif name.endswith(".ini"):
            self._flat(file, _ini_items(file.text), "")
        elif file.is_structured or file.sops_rule is not None:
            self._tree(file)

    # --- YAML / JSON (and sops' binary store, which is JSON) --------------------------------

    def _tree(self, file: ScanFile) -> None:
        if "sops" not in file.text and _ENC_ANYWHERE not in file.text:
            # no SOPS metadata can be in it: only whether a rule covers it is left to judge
            if _covered(file):
                file.report("sops-unencrypted", 1, "", file.text)
            return
        docs = file.parse()
        if not any(isinstance(d, dict) for d in docs):
            # nothing that could carry sops metadata: a covered file is not encrypted
            if _covered(file):
                file.report("sops-unencrypted", 1, "", file.text)
            return
        for doc in docs:
            self._document(file, doc)
        plain = any(isinstance(d, dict) and not looks_like_sops_metadata(d.get("sops")) for d in docs)
        if plain and _covered(file):
            file.report("sops-unencrypted", 1, "", file.text)

    def _document(self, file: ScanFile, doc: Any) -> None:
        meta = doc.get("sops") if isinstance(doc, dict) else None
        if isinstance(doc, dict) and looks_like_sops_metadata(meta):
            check = check_metadata(meta)
            line = line_of(doc, "sops")
            if not check.ok:
                # with a wrapped data key left, re-encrypting writes the missing MAC
                variant = "no-mac" if check.problem == NO_MAC and has_key_stanza(meta) else ""
                file.report("sops-metadata-broken", line, "sops", check.problem, variant=variant)
            rules = [EncryptionRules.from_mapping(meta)]
            if file.sops_rule is not None and _rule_requires(file):
                rules.append(file.sops_rule.rules)
            for leaf in plaintext_leaves(doc, rules, file.text.splitlines()):
                value = leaf.value if isinstance(leaf.value, str) else str(leaf.value)
                file.report(
                    "sops-partially-decrypted", line_of(leaf.container, leaf.key), ".".join(leaf.path), value
                )
            return
        if _has_enc_value(doc):
            file.report(
                "sops-metadata-broken", getattr(doc, "line", 1), "sops", "ENC values without metadata"
            )

    # --- dotenv / ini: sops flattens its metadata into prefixed keys --------------------------

    def _flat(self, file: ScanFile, items: list[tuple[str, str, int, str]], prefix: str) -> None:
        meta = {k[len(prefix) :]: v for k, v, _line, section in items if _is_meta(k, section, prefix)}
        data = [(k, v, line) for k, v, line, section in items if not _is_meta(k, section, prefix)]
        if not meta:
            if data and _covered(file):
                file.report("sops-unencrypted", 1, "", file.text)
            elif any(is_enc(v) for _k, v, _l in data):
                file.report("sops-metadata-broken", 1, "sops", "ENC values without metadata")
            return
        check = flat_metadata_check(meta)
        if not check.ok:
            meta_line = next((line for k, _v, line, s in items if _is_meta(k, s, prefix)), 1)
            file.report("sops-metadata-broken", meta_line, "sops", check.problem)
        rules = [EncryptionRules.from_mapping(meta)]
        if file.sops_rule is not None and _rule_requires(file):
            rules.append(file.sops_rule.rules)
        for key, value, line in data:
            if value and not is_enc(value) and any(r.must_encrypt([key]) for r in rules):
                file.report("sops-partially-decrypted", line, key, value)


def _rule_requires(file: ScanFile) -> bool:
    """The covering rule sets crypt options, so it says which values must be encrypted; a rule
    without them (sops' default: everything) says only which keys to use, and a file encrypted
    with ``--encrypted-regex '^(data|stringData)$'`` under it is not partly decrypted."""
    return file.sops_rule is not None and file.sops_rule.declares_options


def _covered(file: ScanFile) -> bool:
    """A creation rule covers the file and the file holds secrets (a rule's coverage is for those)."""
    if file.sops_rule is None:
        return False
    from secretsops.check.holds_secrets import holds_secrets  # it reads .env files with this module

    return holds_secrets(file)


def _is_meta(key: str, section: str, prefix: str) -> bool:
    return key.startswith("sops_") if prefix else section == "sops"


def _dotenv_items(text: str) -> list[tuple[str, str, int, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _DOTENV_LINE.match(line)
        if m and not line.lstrip().startswith("#"):
            out.append((m.group(1), _unquote(m.group(2)), n, ""))
    return out


def _ini_items(text: str) -> list[tuple[str, str, int, str]]:
    out, section = [], ""
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            continue
        m = _INI_LINE.match(line)
        if m and not stripped.startswith((";", "#")):
            out.append((m.group(1), m.group(2).strip(), n, section))
    return out


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


def _has_enc_value(node: Any) -> bool:
    return any(is_enc(leaf.value) for leaf in iter_leaves(node))
