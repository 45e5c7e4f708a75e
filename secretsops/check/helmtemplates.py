"""Read a Helm chart template (or any Go-templated manifest) as the YAML it will render to.

A template does not parse as YAML (``name: {{ include "x" . }}``, ``{{- if }}`` lines), so without
this a hard-coded ``stringData`` value in ``templates/secret.yaml`` would only be seen by the
line rules. Here every action becomes a placeholder the detectors already pass (``${HELM}``) and a
line holding only actions (control flow, ``include … | nindent``) becomes empty, so line numbers
stay those of the file. The result is what the literal parts of the template say; values that
come from ``.Values`` are judged where they are written (values files).
"""

from __future__ import annotations

import re

PLACEHOLDER = "${HELM}"
_ACTION = re.compile(r"\{\{-?.*?-?\}\}", re.DOTALL)
_ONLY_ACTIONS = re.compile(r"^\s*(?:\{\{-?.*?-?\}\}\s*)+$")
#: a multi-line comment or action cannot be mapped line by line: leave such files alone
_OPEN_ACROSS_LINES = re.compile(r"\{\{[^}]*\n")


def looks_templated(text: str) -> bool:
    return "{{" in text and "}}" in text


def detemplate(text: str) -> str | None:
    """The template with its actions replaced, same number of lines; None when it cannot be."""
    if _OPEN_ACROSS_LINES.search(text):
        return None
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "{{" not in line:
            continue
        if _ONLY_ACTIONS.match(line):
            lines[i] = ""
        else:
            lines[i] = _ACTION.sub(PLACEHOLDER, line)
    return "\n".join(lines)
