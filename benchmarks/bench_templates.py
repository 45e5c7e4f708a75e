"""Benchmark: compile and execute a realistic 20-line ESO template (run by hand).

    python benchmarks/bench_templates.py
"""

from __future__ import annotations

import timeit

from secretsops.external.template_funcs import ESO_TEMPLATES
from secretsops.golang.template import string_map

TEMPLATE = """\
{{- /* database config rendered from fetched secrets */ -}}
[client]
user = {{ .username | quote }}
password = {{ .password | quote }}
host = {{ .host | default "localhost" }}
port = {{ .port | atoi | add 0 }}
{{- if hasPrefix "prod" .env }}
ssl-mode = REQUIRED
{{- else }}
ssl-mode = PREFERRED
{{- end }}
{{- $cfg := fromJson .extra }}
{{- range $k, $v := $cfg }}
{{ $k | upper }} = {{ $v }}
{{- end }}
token = {{ .password | sha256sum | trunc 16 }}
b64 = {{ printf "%s:%s" .username .password | b64enc }}
labels:
{{ toYaml (dict "app" "db" "tier" .env) | indent 2 }}
"""

DATA = string_map({
    "username": b"admin", "password": b"s3cr3t-p@ss", "host": b"db.internal", "port": b"5432",
    "env": b"production", "extra": b'{"timeout": 30, "pool": 10, "mode": "rw"}',
})


def main() -> None:
    n = 2000
    compile_s = min(timeit.repeat(lambda: ESO_TEMPLATES.compile(TEMPLATE, name="db"), number=200, repeat=3))
    compile_s /= 200
    tpl = ESO_TEMPLATES.compile(TEMPLATE, name="db")
    exec_s = min(timeit.repeat(lambda: tpl.execute(DATA), number=n, repeat=3)) / n
    print(f"template lines: {TEMPLATE.count(chr(10))}")
    print(f"compile: {compile_s * 1e3:.3f} ms")
    print(f"execute: {exec_s * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
