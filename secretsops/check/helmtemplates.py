"""Read a Helm chart template (or any Go-templated manifest) as the YAML it will render to.

A template does not parse as YAML (``name: {{ include "x" . }}``, ``{{- if }}`` lines), so without
this a hard-coded ``stringData`` value in ``templates/secret.yaml`` would only be seen by the
line rules. Here every action becomes a placeholder the detectors already pass (``${HELM}``) and a
line holding only actions (control flow, ``include … | nindent``) becomes empty, so line numbers
stay those of the file. The result is what the literal parts of the template say; values that
come from ``.Values`` are judged where they are written (values files).
"""

from __future__ import annotations

PLACEHOLDER = "${HELM}"


def looks_templated(text: str) -> bool:
    return "{{" in text and "}}" in text


def _replace_actions(line: str) -> str | None:
    """``line`` with each ``{{ … }}`` replaced; None when an action is not closed on it.

    str.find, not a regex: a line of a million ``{{`` must not cost a million scans of the line."""
    out: list[str] = []
    at = 0
    while (start := line.find("{{", at)) != -1:
        end = line.find("}}", start + 2)
        if end == -1:
            return None
        out += (line[at:start], PLACEHOLDER)
        at = end + 2
    out.append(line[at:])
    return "".join(out)


def detemplate(text: str) -> str | None:
    """The template with its actions replaced, same number of lines; None when an action spans
    lines (a multi-line comment or pipeline cannot be mapped line by line)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "{{" not in line:
            continue
        replaced = _replace_actions(line)
        if replaced is None:
            return None
        lines[i] = "" if not replaced.replace(PLACEHOLDER, "").strip() else replaced
    return "\n".join(lines)
