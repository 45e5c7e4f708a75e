"""Differential specs against real Go text/template: kubectl's ``-o go-template`` printer.

kubectl renders the object (here a ConfigMap, as a map[string]interface{} from JSON) with
Go's text/template and its builtins (missingkey=default). Every template below is rendered by
both, and the outputs — or the error messages — must be identical. (kubectl 1.32 is built
with Go 1.23, before range-over-int; and ``range`` over a scalar is left out on purpose: Go
prints the value there, we print its type.)
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess

import pytest

from secretsops.errors import TemplateError
from secretsops.golang.template import compile
from secretsops.golang.template.funcs_go import BUILTINS


def _reference_kubectl() -> str | None:
    """A kubectl built with Go 1.23, the text/template these specs pin (messages change between Go
    releases: 1.26's ``eq`` names the types). The first on PATH wins, whatever else put a newer one
    in front (the real-apiserver tools do)."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        exe = shutil.which("kubectl", path=folder) if folder else None
        if exe is None:
            continue
        version = [exe, "version", "--client", "-o", "json"]
        proc = subprocess.run(version, capture_output=True, text=True, check=False)
        go = json.loads(proc.stdout)["clientVersion"]["goVersion"] if proc.returncode == 0 else ""
        if go.startswith("go1.23"):
            return exe
    return None


KUBECTL = _reference_kubectl()
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="no kubectl built with Go 1.23 on PATH")

DATA = {"b": "2", "a": "1", "json": '{"x": [1, 2.5, "s"], "n": null}', "multi": "l1\nl2", "empty": ""}


@functools.cache
def _object() -> dict[str, object]:
    """The ConfigMap exactly as this kubectl builds it (1.32 writes ``creationTimestamp: null``,
    1.34 leaves it out), so both engines always render the same object."""
    proc = subprocess.run(_args("json"), capture_output=True, text=True, timeout=60, check=True)
    obj: dict[str, object] = json.loads(proc.stdout)
    return obj

RENDERS = [
    '{{ printf "%v|%q|%5.2f|%x|%d|%s|%t" .data .data.a 3.14159 "hi" 42 .kind true }}',
    "{{ .metadata }}|{{ .metadata.creationTimestamp }}|{{ .nope }}|{{ .nope.deeper }}",
    "{{ 1e6 }} {{ 1.0 }} {{ 0x1F }} {{ 'a' }} {{ -0 }} {{ 1e21 }} {{ .5 }}",
    '{{- " x " -}} | {{ "a" | printf "%s-%s" "b" }}',
    '{{ range $k, $v := .data }}{{ $k }}={{ len $v }};{{ end }}',
    "{{ range $i, $e := .data }}{{ if eq $i \"a\" }}{{ continue }}{{ end }}{{ $i }}{{ end }}",
    '{{ range .data }}{{ if eq . "2" }}{{ break }}{{ end }}[{{ . }}]{{ end }}',
    "{{ range .nothing }}x{{ else }}empty{{ end }}",
    '{{ with .data.empty }}yes{{ else with .data.a }}a={{ . }}{{ else }}no{{ end }}',
    '{{ if and .data.a .data.b }}both{{ end }} {{ or .data.empty "dflt" }} {{ and 1 0 2 }}',
    "{{ not .data.empty }}",
    '{{ eq .data.a "1" "2" }} {{ ne 1 2 }} {{ lt "a" "b" }} {{ le 2 2 }} {{ gt 1.5 0.5 }} {{ ge 1 2 }}',
    '{{ index .data "a" }}|{{ index .data "zz" }}|{{ index "abc" 1 }}|{{ slice "abcdef" 1 3 }}',
    '{{ len "héllo" }}',
    '{{ print 1 2 "a" 3 "b" "c" }}|{{ println "x" 1 }}|{{ print nil }}|{{ printf "%v" nil }}',
    "{{ html \"<a href='x'>&</a>\" }}|{{ js \"it's <b> & a=b\" }}|{{ urlquery \"a b&c=d/é~\" }}",
    '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }} {{ $.kind }} {{ $ }}',
    '{{ define "t2" }}[{{ . }}]{{ end }}{{ template "t2" .data.a }}{{ block "b" .kind }}<{{ . }}>{{ end }}',
    '{{ printf "%05d|%-4s|%+d|%x|%X|%o|%b|%c|%U" -42 "ab" 5 255 255 8 5 65 65 }}',
    '{{ printf "%e|%g|%.3g" 1234.5678 1e6 3.14159 }}',
    '{{ printf "%d %s" "x" 5 }}|{{ printf "%d" }}|{{ printf "%d" 1 2 }}|{{ printf "%T %T %T" 1 "a" 1.5 }}',
    '{{ printf "%s" .data.multi }}|{{ printf "%q" .data.multi }}|{{ printf "%v" .metadata }}',
    "{{/* comment */}}a {{- /* trimmed */ -}} b",
    '{{ printf "%6.2f%%" 12.345 }}|{{ printf "%[2]s-%[1]s" "a" "b" }}|{{ printf "%*d" 4 7 }}',
    '{{ printf "%!" }}',
    "{{ (index .data \"a\") }}{{ (.metadata).name }}",
]

FAILS = [
    '{{ eq 1 "1" }}',
    "{{ .kind.x }}",
    "{{ index .data 1 }}",
    "{{ len 3 }}",
    "{{ lt true false }}",
    '{{ template "nope" }}',
    "{{ printf }}",
    '{{ index "abc" 5 }}',
    '{{ "a" 1 }}',
    "{{ nil }}",
    "{{ .metadata.name 1 }}",
    "{{ 1 2 }}",
    "{{ (nil).x }}",
    "{{ call .data.a }}",
    "{{ .metadata.creationTimestamp.x }}",
    '{{ index .metadata.creationTimestamp "x" }}',
    "{{ len .metadata.creationTimestamp }}",
    "{{ and }}",
    "{{ not 1 2 }}",
    "{{ slice .data }}",
    '{{ slice "abc" 2 1 }}',
    "{{ range $v := .data }}{{ $v.x }}{{ end }}",
    "{{ with .data }}{{ .a.b }}{{ end }}",
    "{{ $v := .data.a }}{{ $v.x }}",
]

PARSE_FAILS = [
    "{{ foo }}",
    "{{ if }}",
    "{{ end }}",
    "{{ if true }}x",
    "{{ $x }}",
    '{{ "a" | "b" }}',
    '{{ .a"x" }}',
    "{{ (1)2 }}",
    '{{ "\\q" }}',
    "{{ break }}",
    "{{/* x */ 1}}",
    "{{ else }}",
    "{{ range $i, $j, $k := .data }}{{ end }}",
    '{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}',
    "{{ .data. }}",
    "{{ 09 }}",
    "{{ 1e400 }}",
    "{{ 99999999999999999999 }}",
    "{{ 'ab' }}",
    '{{ "a".b }}',
    "{{ nil.x }}",
    "{{ with $x := .data.a }}{{ $x }}{{ end }}{{ $x }}",
]

MORE_RENDERS = [
    '{{ define "a" }}{{ template "b" . }}{{ end }}{{ define "b" }}{{ .x.y }}{{ end }}'
    '{{ template "a" .data }}',
    '{{ printf "%v %v" (index .data "a") .data.empty }}',
    '{{ template "x" }}{{ define "x" }}X{{ . }}{{ end }}',
    "{{ range $k, $v := .metadata }}{{ $k }}:{{ $v }},{{ end }}",
    "{{ eq .metadata.creationTimestamp nil }} {{ eq .nope \"x\" }}",
    '{{ printf "%s" .data | len }}',
    "{{ html .nope }}|{{ js 1 2 }}|{{ urlquery \"a\" 1 }}|{{ print .nope }}|{{ print 1 .nope 2 }}",
    "{{- range .data -}} {{ . }} {{- end -}}",
    '{{ "x" | printf "%s %s" }}|{{ .kind | len | printf "%d-%s" }}',
    '{{ printf "%v" (1) }} {{ (printf "%d" 1) }}',
    "{{ $.data.a }}{{ $x := $ }}{{ $x.kind }}",
    '{{ if eq .kind "ConfigMap" }}cm{{ else if eq .kind "Secret" }}s{{ end }}',
    '{{ printf "%08.3f|% d|%x|%X" -3.14159 5 "Hé" -255 }}|{{ printf "%.0f %.1f %.2f" 2.5 0.25 1.005 }}',
    '{{ printf "%v %v %v %v" 1e20 1e-5 123456789.0 100000.0 }}',
    '{{ printf "%g %G %e %E" 0.000001234 1e100 0.0 -1.5 }}',
    '{{ printf "%t %v" false true }}|{{ printf "%d" true }}|{{ printf "%s" nil }}|{{ printf "%d" nil }}',
    "{{ printf \"%5t|%-7v|%q\" true 3 'x' }}|{{ printf \"%x %X % X %#x\" \"abc\" \"abc\" \"abc\" \"abc\" }}",
    '{{ printf "%c%c%c" 72 105 128512 }}|{{ printf "%3c|%-3c|" 65 66 }}|{{ printf "%+.2e" 12345.678 }}',
    '{{ printf "%#v" .data.a }} {{ printf "%#v" 1.0 }} {{ printf "%#v" nil }} {{ printf "%#v" 2.5 }}',
]


def _args(output: str) -> list[str]:
    args = [str(KUBECTL), "create", "configmap", "t", "--dry-run=client", "-o", output]
    return args + [f"--from-literal={k}={v}" for k, v in DATA.items()]


def _kubectl(template: str) -> tuple[str, str]:
    args = _args("go-template=" + template)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    return proc.stdout, proc.stderr


def _ours(template: str) -> str:
    builtin_slice = {"slice": BUILTINS["slice"]}  # kubectl has Go's slice, not sprig's
    return compile(template, name="output", missingkey="default", funcs=builtin_slice).execute(_object())


@pytest.mark.parametrize("template", RENDERS + MORE_RENDERS)
def test_outputs_match_go(template: str) -> None:
    out, err = _kubectl(template)
    assert err == ""
    assert _ours(template) == out


#: where our message deliberately differs from Go's: numbers computed at run time (an index or a
#: slice bound can be derived from a secret) are not printed (docs/security.md)
WITHOUT_COMPUTED_NUMBERS = {
    "index out of range: 5": "index out of range",
    "invalid slice index: 2 > 1": "invalid slice index: low > high",
}


@pytest.mark.parametrize("template", FAILS)
def test_errors_match_go(template: str) -> None:
    out, err = _kubectl(template)
    marker = "Error executing template: "
    go_message = out[out.index(marker) + len(marker) : out.index(". Printing more information")]
    for go_text, ours in WITHOUT_COMPUTED_NUMBERS.items():
        go_message = go_message.replace(go_text, ours)
    with pytest.raises(TemplateError) as info:
        _ours(template)
    assert str(info.value) == go_message


@pytest.mark.parametrize("template", PARSE_FAILS)
def test_parse_errors_match_go(template: str) -> None:
    out, err = _kubectl(template)
    assert out == ""
    with pytest.raises(TemplateError) as info:
        _ours(template)
    assert err.strip().endswith(", " + str(info.value))
