"""Errors name templates, positions, fields and types; never a value from the data."""

from __future__ import annotations

import pytest

from secretsops.errors import TemplateError
from secretsops.external.template_funcs import ESO_TEMPLATES
from secretsops.golang.template import string_map
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


def test_fail_with_a_data_value_is_redacted() -> None:
    canary = new_canary()
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile("{{ fail .pw }}").execute(string_map({"pw": canary.encode()}))
    assert str(info.value).endswith("error calling fail: <redacted>")


def test_error_names_the_field_and_position_instead() -> None:
    canary = new_canary()
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile("x\n{{ .pw.inner }}", name="k").execute(string_map({"pw": canary.encode()}))
    assert str(info.value) == (
        'template: k:2:6: executing "k" at <.pw.inner>: can\'t evaluate field inner in type string'
    )


def test_redaction_leaves_the_public_location_prefix_intact() -> None:
    with pytest.raises(TemplateError) as info:
        ESO_TEMPLATES.compile("{{ fail .v }}", name="template").execute({"v": "template"})
    assert str(info.value) == (
        'template: template:1:3: executing "template" at <fail .v>: error calling fail: <redacted>'
    )
