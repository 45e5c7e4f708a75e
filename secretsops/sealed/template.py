"""The subset of Go text/template that SealedSecret ``spec.template.data`` needs in practice.

sealed-secrets renders each template value with Go's text/template (+ sprig) over the map of
decrypted values. The full engine lives in ``secretsops.external.template``, which this layer
must not import; callers pass it as ``template_renderer``. Without one, this module renders
text, ``{{ .key }}``, ``{{ index . "key" }}``, comments and ``{{-``/``-}}`` trimming, and refuses
anything else with a clear error instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from secretsops.errors import SealedError

TemplateRenderer = Callable[[str, Mapping[str, str]], str]

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_FIELD = re.compile(r"\.([^\W\d]\w*)")
_INDEX = re.compile(r'index\s+\.\s+"((?:[^"\\]|\\.)*)"')
_COMMENT = re.compile(r"/\*.*\*/", re.DOTALL)


class UnsupportedTemplate(SealedError):
    """The template uses Go template features beyond the built-in subset."""


def render_subset(text: str, data: Mapping[str, str]) -> str:
    """Render ``text``; raises ``UnsupportedTemplate`` for anything outside the subset."""
    out: list[str] = []
    pos = 0
    for match in _ACTION.finditer(text):
        literal = text[pos : match.start()]
        if match.group(1):
            literal = literal.rstrip(" \t\r\n")
        out.append(literal)
        body = match.group(2).strip()
        out.append(_evaluate(body, data))
        pos = match.end()
        if match.group(3):
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
    tail = text[pos:]
    if "{{" in tail:
        raise UnsupportedTemplate("unclosed action")
    out.append(tail)
    return "".join(out)


def _evaluate(body: str, data: Mapping[str, str]) -> str:
    if _COMMENT.fullmatch(body):
        return ""
    field = _FIELD.fullmatch(body)
    if field:
        return data.get(field.group(1), "<no value>")
    index = _INDEX.fullmatch(body)
    if index:
        key = index.group(1).encode("latin-1", "backslashreplace").decode("unicode_escape")
        return data.get(key, "")
    raise UnsupportedTemplate(
        'uses Go template features beyond {{ .key }} and {{ index . "key" }}; '
        "render it with a full Go template engine (template_renderer)"
    )
