"""One file (or blob) under scan: its text, its parsed documents, and where findings go.

Detectors read from a ScanFile and call ``report``; parsing happens at most once per file and
only when a detector asks for it.
"""

from __future__ import annotations

import bisect
import functools
import posixpath
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from secretsops.check.helmtemplates import detemplate, looks_templated
from secretsops.check.model import Finding, Note, fingerprint
from secretsops.check.sopsconfig import CreationRule
from secretsops.check.yamllines import parse_documents_leniently, parse_with_lines
from secretsops.errors import InputError
from secretsops.yamlio import LimitExceeded

STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json")
_NEWLINE = re.compile("\n")


@dataclass
class ScanFile:
    path: str
    text: str
    commit: str = ""
    #: reads another file of the same snapshot (path relative to the scan root), None if absent
    read_sibling: Callable[[str], str | None] = lambda _p: None
    #: the .sops.yaml creation rule that covers this file, if any
    sops_rule: CreationRule | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    #: why the file could not be judged (over a reader limit): the run cannot pass
    errors: list[Note] = field(default_factory=list)
    parsed_ok: bool = False
    #: a Go/Helm template (not YAML until rendered): read through check/helmtemplates.py
    templated: bool = False
    #: the repository's fingerprint key (check/fpkey.py); a fresh random one when not given
    fingerprint_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _docs: list[Any] | None = None
    _lower: str | None = None
    _newlines: list[int] | None = None

    @functools.cached_property
    def name(self) -> str:
        """The file name (every detector asks: computed once)."""
        return posixpath.basename(self.path)

    @functools.cached_property
    def looks_templated(self) -> bool:
        """Holds ``{{ … }}`` (asked once per finding: searched once per file)."""
        return looks_templated(self.text)

    def line_at(self, offset: int) -> int:
        """1-based line of a character offset; the newline index is built once per file, so a
        file with thousands of matches is not counted through thousands of times."""
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self.text)]
        return bisect.bisect_left(self._newlines, offset) + 1

    @property
    def lower(self) -> str:
        """The text lowercased once, for detectors' cheap substring tests before any regex."""
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @property
    def is_structured(self) -> bool:
        return self.path.endswith(STRUCTURED_SUFFIXES) or self.path == "<stdin>"

    @property
    def docs(self) -> list[Any]:
        """Parsed YAML/JSON documents ([] when not structured or unparseable, with a note)."""
        return self.parse() if self.is_structured else []

    @property
    def parsed(self) -> bool:
        """Whether a parse was already attempted (so asking for docs costs nothing)."""
        return self._docs is not None

    def parse(self) -> list[Any]:
        """Parse as YAML/JSON whatever the file name ([] with a note when it does not parse);
        for files whose name does not say YAML: ``kubeconfig``, ``Kustomization``, sops' binary store."""
        if self._docs is None:
            try:
                self._docs = parse_with_lines(self.text, self.path)
                self.parsed_ok = True
            except LimitExceeded as exc:  # hostile or absurd input: fail closed, never half-read
                self._docs = []
                self.errors.append(Note(self.path, str(exc).split(": ", 1)[-1]))
            except InputError as exc:
                self.templated = self.looks_templated
                templated = self._parse_template() if self.templated else None
                if templated is not None:
                    self._docs = templated
                    return self._docs
                self._docs = parse_documents_leniently(self.text) if "\n---" in self.text else []
                if self.is_structured:
                    self.note(str(exc).split(": ", 1)[-1])
        return self._docs

    def _parse_template(self) -> list[Any] | None:
        """A Helm chart template read as the YAML it renders to (check/helmtemplates.py)."""
        text = detemplate(self.text)
        if text is None:
            return None
        try:
            return parse_with_lines(text, self.path)
        except LimitExceeded as exc:  # hostile once its actions are gone: fail closed, as above
            self.errors.append(Note(self.path, str(exc).split(": ", 1)[-1]))
            return []
        except InputError:
            return parse_documents_leniently(text) if "\n---" in text else None

    def report(
        self, rule: str, line: int, key: str, value: str | bytes, *, variant: str = "", target: str = ""
    ) -> None:
        """A finding at ``line``; ``variant`` picks one of the rule's fixes, ``target`` names the
        file the fix acts on when it is not this one (a secretGenerator's env file)."""
        if not variant and self.is_structured and self.looks_templated:
            self.parse()
            if self.templated:
                variant = "template"  # no command can encrypt a template: the fix says what to do
        fp = fingerprint(value, self.fingerprint_key)
        finding = Finding(rule, self.path, max(line, 1), key, fp, self.commit, variant=variant, target=target)
        self.findings.append(finding)

    def note(self, reason: str) -> None:
        self.notes.append(Note(self.path, reason))

    def resolve(self, ref: str) -> str:
        """A path written in this file (kustomize style: relative to its directory), normalised."""
        return (
            posixpath.normpath(posixpath.join(posixpath.dirname(self.path), ref)).lstrip("./") if ref else ""
        )
