"""Errors name templates, positions, fields and types; never a value from the data."""

from __future__ import annotations

import pytest

from secretsops.errors import TemplateError
from secretsops.external.template_funcs import ESO_TEMPLATES
from secretsops.golang.template import string_map
from secretsops.golang.template.redact import redact
from tests.helpers import assert_no_canary, new_canary

FAILING_TEMPLATES = [
    "{{ .missing }}",
    "{{ .secret.field }}",
    "{{ upper (list .secret) }}",
    "{{ range .secret }}{{ end }}",
    "{{ index .secret 99 }}",
    "{{ fail .secret }}",
    '{{ printf "%s" .secret | fail }}',
    "{{ eq .secret 1 }}",
    "{{ lt .secret (list) }}",
    "{{ pkcs12key .secret }}",
    "{{ jwkPrivateKeyPem .secret }}",
    '{{ filterPEM "CERTIFICATE" .secret }}',
    "{{ filterCertChain \"leaf\" .secret }}",
    "{{ pemToPkcs12 .secret .secret }}",
    "{{ mustFromJson .secret }}",
    "{{ regexReplaceAll .secret \"x\" \"y\" }}",
    "{{ call .boom .secret }}",
    "{{ len (atoi .secret) }}",
    "{{ template \"nope\" .secret }}",
]


@pytest.mark.parametrize("text", FAILING_TEMPLATES)
def test_execution_errors_never_contain_data_values(text: str) -> None:
    canary = new_canary()

    def boom(*_: object) -> None:
        raise RuntimeError("leaked " + canary)

    data = {"secret": canary + "(\n-----BEGIN X-----", "boom": boom}
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile(text, name="tpl").execute(data)
    err = info.value
    assert_no_canary(canary, str(err), repr(err), repr(err.args))
    assert err.__cause__ is None
    assert "tpl" in str(err)


@pytest.mark.parametrize(
    "text",
    [
        "{{ fail .pw }}",
        "{{ fail (.pw | b64enc) }}",
        "{{ .pw | upper | fail }}",
        '{{ fail (printf "%x" .pw) }}',
        "{{ fail (trunc 6 .pw) }}",
        '{{ fail (cat "bad:" .pw) }}',
    ],
)
def test_a_fail_message_computed_by_the_template_is_not_shown(text: str) -> None:
    canary = new_canary()
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile(text, name="k").execute(string_map({"pw": canary.encode()}))
    assert str(info.value).endswith("error calling fail: <message not shown: computed by the template>")


def test_a_fail_message_quoted_in_the_template_is_shown() -> None:
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile('{{ if lt (len .pw) 16 }}{{ fail "pw: too short" }}{{ end }}').execute(
            string_map({"pw": b"hunter2"})
        )
    assert str(info.value).endswith("error calling fail: pw: too short")


def test_error_names_the_field_and_position_instead() -> None:
    canary = new_canary()
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile("x\n{{ .pw.inner }}", name="k").execute(string_map({"pw": canary.encode()}))
    assert str(info.value) == (
        'template: k:2:6: executing "k" at <.pw.inner>: can\'t evaluate field inner in type string'
    )


def test_redaction_leaves_the_public_location_prefix_intact() -> None:
    message = 'template: template:1:3: executing "template" at <f .v>: error calling f: template'
    assert redact(message, {"v": "template"}) == (
        'template: template:1:3: executing "template" at <f .v>: error calling f: <redacted>'
    )
