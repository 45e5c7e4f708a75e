"""A Helm chart template is read as the YAML it renders to: literal values in it are judged like
those of any manifest, and the fix never offers to encrypt the template (sops cannot)."""

from __future__ import annotations

from secretsops.check.helmtemplates import PLACEHOLDER, detemplate
from tests.helpers import assert_no_canary

SECRET_TEMPLATE = """apiVersion: v1
kind: Secret
metadata:
  name: {{{{ include "app.fullname" . }}}}
  labels:
    {{{{- include "app.labels" . | nindent 4 }}}}
type: Opaque
stringData:
  from-values: {{{{ .Values.password | quote }}}}
  hard-coded: {value}
{{{{- if .Values.extra }}}}
  extra: {{{{ .Values.extra | quote }}}}
{{{{- end }}}}
"""


def test_a_hard_coded_value_in_a_secret_template_is_found_at_its_line(repo, canary):
    repo.write("charts/app/templates/secret.yaml", SECRET_TEMPLATE.format(value=canary))
    res = repo.check_json()
    assert res.rules_at() == {("k8s-secret-plaintext", "charts/app/templates/secret.yaml", 10)}
    finding = res.json["findings"][0]
    assert finding["fix_command"] is None
    assert "take the value out of the template" in finding["fix"]
    assert_no_canary(canary, res.out)


def test_a_secret_template_whose_values_all_come_from_values_passes(repo):
    repo.write("charts/app/templates/secret.yaml", SECRET_TEMPLATE.format(value="{{ .Values.other }}"))
    res = repo.check_json()
    assert res.code == 0 and res.json["notes"] == []  # parsed: no "cannot parse" note either


def test_a_literal_password_in_a_deployment_template_env_is_found(repo, canary):
    repo.write(
        "charts/app/templates/deployment.yaml",
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "app.fullname" . }}\n'
        "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n"
        "            {{- range $k, $v := .Values.env }}\n            - name: {{ $k }}\n"
        "              value: {{ $v | quote }}\n            {{- end }}\n"
        f"            - name: DB_PASSWORD\n              value: {canary}\n",
    )
    res = repo.check_json()
    assert res.rules_at() == {("k8s-plaintext-credential", "charts/app/templates/deployment.yaml", 16)}


def test_detemplating_keeps_every_line_where_it_was():
    text = SECRET_TEMPLATE.format(value="x")
    out = detemplate(text)
    assert out is not None and out.count("\n") == text.count("\n")
    lines = out.split("\n")
    assert lines[3] == f"  name: {PLACEHOLDER}" and lines[5] == "" and lines[9] == "  hard-coded: x"


def test_an_action_spanning_lines_is_not_guessed_at():
    assert detemplate('data:\n  a: {{ include "x"\n   . }}\n') is None


def test_a_sync_policy_set_from_values_in_an_app_of_apps_template_passes_the_gitops_rules(repo):
    repo.write(
        "charts/apps/templates/apps.yaml",
        "{{- range .Values.apps }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: {{ .name }}\n  namespace: argocd\nspec:\n  project: default\n"
        "  source: {repoURL: 'https://git.example.org/apps.git', path: '{{ .path }}', targetRevision: main}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: '{{ .namespace }}'}\n"
        "  syncPolicy:\n    automated:\n      prune: {{ $.Values.prune }}\n"
        "      selfHeal: {{ $.Values.selfHeal }}\n{{- end }}\n",
    )
    res = repo.check_json("--gitops")
    assert res.code == 0 and res.json["findings"] == [] and res.json["notes"] == []
