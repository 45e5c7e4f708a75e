"""High-entropy values under secret-like keys: the catch-all for credentials with no known format.

In YAML/JSON the parsed tree is walked (skipping Secrets, SealedSecret ciphertext, SOPS
files and ExternalSecrets, which other detectors judge exactly); in other text files an
assignment to a secret-like name with a quoted value is matched per line. A value counts when
it is at least 16 characters without spaces and has at least 3.5 bits of Shannon entropy per
character (3.0 for hex strings) and contains a digit (generated secrets almost always do;
identifiers and type names do not).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from secretsops.check.detectors.secrets import iter_k8s_objects
from secretsops.check.detectors.sops_files import is_dotenv_name
from secretsops.check.keynames import HINT_WORDS, is_secret_key_name
from secretsops.check.placeholders import is_placeholder
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsfmt import is_enc, iter_leaves
from secretsops.check.yamllines import line_of

MIN_LENGTH = 16
#: a name starts only where no name character precedes it, and nothing backtracks: a 4,000-character
#: run of letters is one attempt, not 4,000 (it was 0.9 s a line)
_ASSIGNMENT = re.compile(
    r"""(?<![\w.\-])([A-Za-z_][\w.\-]*+)["']?\s*+(?::=|=>|[:=])\s*+["']([^"'\s]{16,}+)["']"""
)
#: config formats whose values are written unquoted (``spring.datasource.password=…``): there a
#: whole line ``key = value`` / ``key: value`` counts, not only a quoted value
_UNQUOTED_SUFFIXES = (".properties", ".ini", ".cfg", ".conf", ".cnf", ".npmrc", ".pypirc")
#: possessive throughout (no backtracking: a line of 2,000 ``a:`` must not cost 2,000 scans of it);
#: ``//registry.example/:_authToken=…`` (.npmrc) names the key after the registry
_UNQUOTED = re.compile(
    r"""^\s*+(?://[^\s:=]*+:)?+([A-Za-z_/][\w.\-/]*+)\s*+[=:]\s*+([^\s"'#;]{16,}+)\s*+$"""
)
#: ``<password>…</password>`` (Maven settings.xml, NuGet.config, Spring XML)
_XML_ELEMENT = re.compile(r"<([A-Za-z_][\w.\-]*)>([^<>\s]{16,})</\1>")
#: a list item ``NAME=value`` (docker-compose ``environment:`` lists, ``--flag=value`` args)
_LIST_ASSIGNMENT = re.compile(r"^-{0,2}([A-Za-z_][\w.\-]*)=(\S+)$")
#: a secret-like key followed by a long value (or a block scalar) somewhere in the text; files
#: without one are not parsed just for this detector
_CANDIDATE = re.compile(  # run on the lowercased text: no IGNORECASE, 6x faster
    r"(?:pass|secret|token|key|credential|pwd|dsn)[\w.-]*[\"']?\s*[:=]\s*"
    r"(?:[\"']?[^\s\"'#{}\[\],]{16,}|[|>])"
)
_WORDISH = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_FILE_NAME = re.compile(r"^[\w./-]+\.(?:md|ya?ml|json|go|py|txt|html?|sh|tpl|toml|ini|cfg|conf|xml|js|ts)$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
#: a dotted name made of camelCase/snake_case words: ``ed25519.PrivateKey``, ``pkg.module.Class``
_DOTTED_NAME = re.compile(
    r"^[*&]?(?:[A-Za-z_](?:[a-z0-9_]|[A-Z](?![A-Z]))*)(?:(?:\.|::)[A-Za-z_](?:[a-z0-9_]|[A-Z](?![A-Z]))*)+$"
)
_SKIP_KINDS = frozenset({"Secret", "SealedSecret", "ExternalSecret", "ClusterExternalSecret", "PushSecret"})


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_like_identifier(value: str) -> bool:
    """Names made of words and small numbers (``authorizedKeySecretName1``,
    ``test-unmanaged-store-1``): generated secrets are not spelled in words of 3+ letters."""
    parts = _WORDISH.findall(value)
    if not parts or "".join(parts) != re.sub(r"[-_.:/\[\]]", "", value):
        return False
    for part in parts:
        if part.isdigit():
            if len(part) > 4:
                return False
        elif part.isupper():
            if not 2 <= len(part) <= 4:  # acronyms (ID, API, URL), not random capitals
                return False
        elif len(part) < 3:
            return False
    return True


def is_high_entropy(value: str) -> bool:
    value = value.strip()  # block scalars end with a newline
    if len(value) < MIN_LENGTH or any(ch.isspace() for ch in value) or is_enc(value):
        return False
    if is_placeholder(value) or value.startswith(("http://", "https://", "/", "./")):
        return False
    if _FILE_NAME.match(value):
        return False  # a path to a document or manifest, not its content
    if not any(ch.isdigit() for ch in value) or _DOTTED_NAME.match(value) or looks_like_identifier(value):
        return False  # identifiers and type names ("*ecdsa.PrivateKey"), not generated secrets
    threshold = 3.0 if _HEX.match(value) else 3.5
    return shannon_entropy(value) >= threshold


class HighEntropyValues:
    def scan(self, file: ScanFile) -> None:
        if is_dotenv_name(file.name):
            return
        lower = file.lower
        if not any(word in lower for word in HINT_WORDS):
            return
        if file.is_structured:
            if not file.parsed and not _CANDIDATE.search(lower):
                return
            docs = file.docs
            if docs or not file.notes:
                for doc in docs:
                    self._document(file, doc)
                return
        self._lines(file)

    def _document(self, file: ScanFile, doc: Any) -> None:
        if isinstance(doc, dict) and "sops" in doc:
            return
        for obj in iter_k8s_objects(doc):
            if obj.get("kind") in _SKIP_KINDS:
                continue
            self._walk(file, obj)

    def _walk(self, file: ScanFile, node: Any) -> None:
        for leaf in iter_leaves(node):
            key, value = leaf.key, leaf.value
            if not isinstance(value, str):
                continue
            if "\n" in value.rstrip("\n"):
                # a file carried in a value (a ConfigMap's application.yaml, a values block):
                # its lines are read as config text, starting below the key of the block scalar
                self._text(file, value, line_of(leaf.container, leaf.key), unquoted=True, xml=True)
                continue
            if isinstance(key, int) and (m := _LIST_ASSIGNMENT.match(value)):
                key, value = m.group(1), m.group(2)  # compose `environment: [NAME=value]`, args
            if isinstance(key, str) and is_secret_key_name(key) and is_high_entropy(value):
                file.report("high-entropy-secret", line_of(leaf.container, leaf.key), key, value)

    def _lines(self, file: ScanFile) -> None:
        name = file.name.lower()
        unquoted = name.endswith(_UNQUOTED_SUFFIXES)
        self._text(file, file.text, 0, unquoted=unquoted, xml=name.endswith((".xml", ".config")))

    def _text(self, file: ScanFile, text: str, offset: int, *, unquoted: bool, xml: bool) -> None:
        """Assignments in config or code text; line ``n`` of ``text`` is reported as ``offset + n``."""
        for n, line in enumerate(text.splitlines(), offset + 1):
            if len(line) > 4096:
                continue
            low = line.lower()
            if not any(word in low for word in HINT_WORDS):
                continue
            found = [(m.group(1), m.group(2)) for m in _ASSIGNMENT.finditer(line)]
            if unquoted and not found and (m := _UNQUOTED.match(line)):
                found.append((m.group(1), m.group(2)))
            if xml:
                found += [(m.group(1), m.group(2)) for m in _XML_ELEMENT.finditer(line)]
            for key, value in found:
                if is_secret_key_name(key.rsplit(".", 1)[-1].rsplit(":", 1)[-1]) and is_high_entropy(value):
                    file.report("high-entropy-secret", n, key, value)
