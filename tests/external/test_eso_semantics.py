"""ESO's value and key handling, reproduced exactly (no server needed)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from secretsops.errors import ExternalError, InputError
from secretsops.external import secret_bytes, transforms
from secretsops.external.refresh import parse_duration, refresh_due, refresh_interval
from secretsops.external.resolve import object_hash_of_data, owner_label
from secretsops.external.resources import ExternalSecret
from secretsops.golang import encoding_json, gjson
from tests.external.manifests import external_secret


def test_go_json_sorts_keys_and_escapes_html() -> None:
    expected = '{"a":[1,true,null],"b":"\\u003c\\u0026\\u003e"}'
    assert secret_bytes.dumps({"b": "<&>", "a": [1, True, None]}) == expected


def test_go_json_keeps_number_literals() -> None:
    assert secret_bytes.dumps(encoding_json.unmarshal_numbers('{"n": 1.50, "i": 10}')) == '{"i":10,"n":1.50}'


def test_go_json_floats_use_exponent_only_outside_go_range() -> None:
    assert secret_bytes.dumps([1e21, 1e20, 1.5e-7, 0.5]) == "[1e+21,100000000000000000000,1.5e-7,0.5]"


def test_byte_value_of_float_has_no_exponent() -> None:
    assert secret_bytes.byte_value(1e21) == b"1000000000000000000000"
    assert secret_bytes.byte_value(5432.0) == b"5432"


def test_raw_members_keep_non_string_values_verbatim() -> None:
    assert secret_bytes.secret_map_from_json('{"a": {"x" : 1}, "b": "s", "c": null, "d": 1.50}') == {
        "a": b'{"x" : 1}',
        "b": b"s",
        "c": b"",
        "d": b"1.50",
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("conn.pass", "s3"),
        ("conn.port", "5432"),
        ("conn.ratio", "1.5"),
        ("conn.list.1", "y"),
        ("conn.list.#", "2"),
        ("a\\.b", "dot"),
        ("c*.pass", "s3"),
        ("conn.obj", '{"k" : [1, 2]}'),
    ],
)
def test_gjson_paths_return_go_strings(path: str, expected: str) -> None:
    text = (
        '{"conn": {"pass": "s3", "port": 5432, "ratio": 1.50, "list": ["x", "y"], "obj": {"k" : [1, 2]}},'
        ' "a.b": "dot"}'
    )
    found = gjson.get(text, path)
    assert found is not None and found.string() == expected


def test_gjson_missing_path_is_none() -> None:
    assert gjson.get('{"a": {"b": 1}}', "a.c") is None


def test_decoding_strategies() -> None:
    assert transforms.decode("Base64", b"aGk=") == b"hi"
    assert transforms.decode("Base64URL", b"-_8=") == b"\xfb\xff"
    assert transforms.decode("Auto", b"not base64!") == b"not base64!"
    assert transforms.decode("None", b"aGk=") == b"aGk="
    with pytest.raises(ExternalError, match="Base64"):
        transforms.decode("Base64", b"***")


def test_conversion_strategies() -> None:
    assert transforms.convert_key("Default", "path/to:key") == "path_to_key"
    assert transforms.convert_key("Unicode", "a/b") == "a_U002f_b"


def test_invalid_keys_are_rejected_and_empty_keys_dropped() -> None:
    assert transforms.validate_keys({"": b"x", "ok": b"y"}) == {"ok": b"y"}
    with pytest.raises(ExternalError, match="invalid character"):
        transforms.validate_keys({"a b": b"x"})


def test_go_replace_all_expands_like_go() -> None:
    rx = transforms.compile_go_regexp("(?P<first>[a-z]+)-(\\d+)", "t")
    assert transforms.go_replace_all(rx, "ab-12 cd-3", "${first}_$2") == "ab_12 cd_3"
    assert transforms.go_replace_all(rx, "ab-12", "$1x") == ""  # Go reads $1x as a group named "1x"
    assert transforms.go_replace_all(rx, "ab-12", "$$") == "$"


def test_go_replace_all_skips_empty_match_after_a_match() -> None:
    rx = transforms.compile_go_regexp("a*", "t")
    assert transforms.go_replace_all(rx, "baaac", "-") == "-b-c-"


def test_rewrite_merge_json_into_one_key() -> None:
    merge = [{"merge": {"into": "all", "strategy": "JSON"}}]
    out = transforms.rewrite(merge, {"a": b'{"x":"1"}', "b": b'{"y":2}'})
    assert out["all"] == b'{"x":"1","y":2}'


def test_rewrite_merge_reports_conflicts_by_key() -> None:
    with pytest.raises(ExternalError, match="conflicts: x"):
        transforms.rewrite([{"merge": {}}], {"a": b'{"x":"1"}', "b": b'{"x":"2"}'})


def test_data_hash_matches_go_object_hash() -> None:
    # fmt.Sprintf("%+v", map[string][]byte{"a": []byte("hi"), "b": {}}) == "map[a:[104 105] b:[]]"
    expected = hashlib.sha3_224(b"map[a:[104 105] b:[]]").hexdigest()
    assert object_hash_of_data({"b": b"", "a": b"hi"}) == expected
    assert owner_label("ns", "es") == hashlib.sha3_224(b"ns/es").hexdigest()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("0", 0), ("0s", 0), ("300ms", 0.3), ("1h0m0s", 3600)],
)
def test_parse_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_bad_duration_is_an_input_error() -> None:
    with pytest.raises(InputError, match="invalid duration"):
        parse_duration("1 hour")


def test_refresh_due_follows_interval_and_policy() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    es = external_secret(data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    es["spec"]["refreshInterval"] = "15m"
    assert refresh_due(es, None, now)
    assert not refresh_due(es, now - timedelta(minutes=10), now)
    assert refresh_due(es, now - timedelta(minutes=15), now)
    es["spec"]["refreshInterval"] = "0"
    assert not refresh_due(es, now - timedelta(days=30), now)
    del es["spec"]["refreshInterval"]
    assert refresh_interval(es) == timedelta(hours=1)
    es["spec"]["refreshPolicy"] = "CreatedOnce"
    assert not refresh_due(es, now - timedelta(days=30), now)


def test_external_secret_defaults() -> None:
    raw = external_secret("web", data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    del raw["spec"]["target"]
    del raw["spec"]["secretStoreRef"]["kind"]
    es = ExternalSecret.parse(raw)
    assert es.target.name == "web"
    assert (es.target.creation_policy, es.target.deletion_policy) == ("Owner", "Retain")
    assert es.store_ref is not None and es.store_ref.kind == "SecretStore"
    assert es.data[0].remote.decoding == "None"


def test_invalid_enum_is_rejected_with_field_path() -> None:
    raw = external_secret(data=[{"secretKey": "a", "remoteRef": {"key": "k", "decodingStrategy": "Hex"}}])
    with pytest.raises(InputError, match=r"spec.data\[0\].remoteRef.decodingStrategy"):
        ExternalSecret.parse(raw)


def test_generators_are_refused_clearly() -> None:
    raw = external_secret(data_from=[{"sourceRef": {"generatorRef": {"kind": "Password", "name": "p"}}}])
    with pytest.raises(InputError, match="generators are not supported"):
        ExternalSecret.parse(raw)


def test_schema_rejects_what_esos_crd_rejects() -> None:
    import jsonschema

    from tests.external import eso_schema

    good = external_secret(data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    eso_schema.validate(good)
    for bad_patch in (
        lambda e: e["spec"]["target"].update(creationPolicy="Always"),
        lambda e: e["spec"]["data"][0].update(secretKey="has space"),
        lambda e: e["spec"]["data"][0]["remoteRef"].pop("key"),
        lambda e: e["spec"].update(dataFrom=[{"rewrite": [{"regexp": {"source": "a"}}]}]),
    ):
        bad = external_secret(data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
        bad_patch(bad)
        with pytest.raises(jsonschema.ValidationError):
            eso_schema.validate(bad)


def test_next_refresh_is_the_earliest_interval() -> None:
    from secretsops.external.refresh import next_refresh_at

    last = datetime(2026, 1, 1, tzinfo=UTC)
    a = external_secret("a", data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    b = external_secret("b", data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    b["spec"]["refreshInterval"] = "10m"
    never = external_secret("c", data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    never["spec"]["refreshInterval"] = "0s"
    assert next_refresh_at([a, b, never, {"kind": "ConfigMap"}], last) == last + timedelta(minutes=10)
    assert next_refresh_at([never], last) is None


MALFORMED = {
    "transform is a string": (
        lambda e: e["spec"].update(dataFrom=[{"extract": {"key": "k"}, "rewrite": [{"transform": "x"}]}]),
        r"spec.dataFrom\[0\].rewrite\[0\].transform: expected a mapping",
    ),
    "regexp without target": (
        lambda e: e["spec"].update(
            dataFrom=[{"extract": {"key": "k"}, "rewrite": [{"regexp": {"source": "a"}}]}]
        ),
        r"spec.dataFrom\[0\].rewrite\[0\].regexp.target: expected a string",
    ),
    "rewrite is a mapping": (
        lambda e: e["spec"].update(dataFrom=[{"extract": {"key": "k"}, "rewrite": {"regexp": {}}}]),
        r"spec.dataFrom\[0\].rewrite: expected a list",
    ),
    "template data is not a map": (
        lambda e: e["spec"]["target"].update(template={"data": True}),
        r"spec.target.template.data: expected a mapping",
    ),
    "template data value is a number": (
        lambda e: e["spec"]["target"].update(template={"data": {"port": 5432}}),
        r"spec.target.template.data.port: expected a string",
    ),
    "templateFrom is a mapping": (
        lambda e: e["spec"]["target"].update(template={"templateFrom": {"configMap": {"name": "c"}}}),
        r"spec.target.template.templateFrom: expected a list",
    ),
    "templateFrom configMap is a string": (
        lambda e: e["spec"]["target"].update(template={"templateFrom": [{"configMap": "tpl"}]}),
        r"spec.target.template.templateFrom\[0\].configMap: expected a mapping",
    ),
    "template labels are a list": (
        lambda e: e["spec"]["target"].update(template={"metadata": {"labels": ["a"]}}),
        r"spec.target.template.metadata.labels: expected a mapping",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_shapes_esos_crd_rejects_are_input_errors_naming_the_field(case: str) -> None:
    import jsonschema

    from tests.external import eso_schema

    patch, message = MALFORMED[case]
    raw = external_secret(data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
    patch(raw)
    with pytest.raises(jsonschema.ValidationError):
        eso_schema.validate(raw)
    with pytest.raises(InputError, match=message):
        ExternalSecret.parse(raw)


def test_auth_secret_with_non_mapping_string_data_is_an_input_error() -> None:
    from secretsops.external.lookup import ObjectLookup

    token = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t", "namespace": "apps"}}
    lookup = ObjectLookup([{**token, "stringData": True}])
    with pytest.raises(InputError, match="Secret apps/t: stringData must be a mapping"):
        lookup.secret_data("apps", "t")


def test_refresh_of_an_external_secret_whose_spec_is_not_a_mapping_is_an_input_error() -> None:
    from secretsops.external.refresh import next_refresh_at

    bad = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "x"},
        "spec": ["a"],
    }
    with pytest.raises(InputError, match="ExternalSecret x: spec: expected a mapping"):
        next_refresh_at([bad], datetime(2026, 1, 1, tzinfo=UTC))
