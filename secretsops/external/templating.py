"""``spec.target.template`` (engine v2) applied the way ESO's ``ApplyTemplate`` applies it.

Order and precedence are ESO's: fetched data (only when there is no data template, or
``mergePolicy: Merge``), then ``templateFrom`` (ConfigMap, Secret, literal; into Data,
Labels or Annotations), then ``template.data`` (highest), then templated labels and
annotations. Each template sees the fetched data as ``map[string]string`` with
``missingkey=error``. Delimiters come from the ``secretsops.io/template-delims`` annotation so
charts need not escape ``{{ }}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secretsops import yamlio
from secretsops.errors import ExternalError, InputError, TemplateError
from secretsops.external.lookup import ObjectLookup
from secretsops.external.resources import DECODING, ExternalSecret
from secretsops.external.transforms import decode
from secretsops.golang import regexp

TARGETS = ("Data", "Annotations", "Labels")


@dataclass
class Rendered:
    """What a template contributes to the Secret."""

    data: dict[str, bytes] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


class Executor:
    """Compiles and runs templates with one ExternalSecret's delimiters."""

    def __init__(self, delims: tuple[str, str]) -> None:
        self.delims = delims

    def run(self, name: str, text: str, data: dict[str, bytes]) -> bytes:
        """The rendered bytes (exactly as Go would write them, binary results included)."""
        from secretsops.external.template_funcs import ESO_TEMPLATES
        from secretsops.golang.template import string_map

        try:
            tpl = ESO_TEMPLATES.compile(text, delims=self.delims, name=name)
            return tpl.execute_bytes(string_map(data))
        except TemplateError as exc:
            raise TemplateError(f"unable to execute template at key {name}: {exc}") from None

    def transform_key(self, template: str, key: str) -> str:
        """``rewrite.transform``: ``.value`` is the key name."""
        from secretsops.external.template_funcs import ESO_TEMPLATES
        from secretsops.golang.template import string_map

        try:
            return ESO_TEMPLATES.compile(template, name="transform").execute(string_map({"value": key}))
        except TemplateError as exc:
            raise TemplateError(f"transform failed for key {key!r}: {exc}") from None


# What the API server accepts, checked here first: it rejects the others with a message that
# quotes the offending key or value, and that message would carry rendered text into status and
# Events. Our message names the template and what is wrong, never the rendered text.
_SECRET_KEY = regexp.compile(r"^[-._a-zA-Z0-9]{1,253}$")
_NAME_PART = regexp.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = regexp.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = regexp.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _qualified_name(key: str) -> bool:
    prefix, sep, name = key.rpartition("/")
    if sep and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.search(prefix)):
        return False
    return bool(_NAME_PART.search(name))


def _refuse(template: str, what: str) -> TemplateError:
    return TemplateError(
        f"template {template}: produced {what} the API server would refuse (not shown: rendered text)"
    )


def _apply(out: Rendered, target: str, key: str, value: bytes, *, computed_key: bool, template: str) -> None:
    """Put one rendered entry in place; ``computed_key`` when the template produced the key too."""
    t = target.lower()
    if t == "data":
        if computed_key and not _SECRET_KEY.search(key):
            raise _refuse(template, "a Secret data key")
        out.data[key] = value
    elif t == "labels":
        text = value.decode("utf-8", "surrogateescape")
        if computed_key and not _qualified_name(key):
            raise _refuse(template, "a label key")
        if not _LABEL_VALUE.search(text):
            raise _refuse(template, "a label value" if computed_key else f"a value for label {key!r}")
        out.labels[key] = text
    elif t == "annotations":
        if computed_key and not _qualified_name(key):
            raise _refuse(template, "an annotation key")
        out.annotations[key] = value.decode("utf-8", "surrogateescape")
    else:
        raise InputError(
            f"templateFrom target {target!r} is not allowed for a Secret (Data, Labels, Annotations)"
        )


@dataclass
class _Run:
    ex: Executor
    data: dict[str, bytes]
    out: Rendered


def _values_scope(run: _Run, tpls: dict[str, str], target: str, decoding: str) -> None:
    ex, data, out = run.ex, run.data, run.out
    for key, text in tpls.items():
        value = decode(decoding, ex.run(key, text, data), key)
        _apply(out, target, key, value, computed_key=False, template=key)


def _keys_and_values_scope(run: _Run, text: str, target: str, decoding: str, name: str) -> None:
    """A template whose output is YAML: keys and values are both rendered text.

    ``name`` says where the template is (``templateFrom[0].literal``): its text can be long, or
    come from a Secret, so it does not name itself in errors; rendered keys are never shown.
    """
    ex, data, out = run.ex, run.data, run.out
    rendered = ex.run(name, text, data).decode("utf-8", "surrogateescape")
    try:
        # sigs.k8s.io/yaml into map[string]string turns scalars into strings: keep them as text
        parsed = yamlio.load_strings(rendered, "template")
    except InputError:
        raise TemplateError(
            "could not unmarshal template to 'map[string][]byte': rendered text is not YAML"
        ) from None
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise TemplateError("could not unmarshal template to 'map[string][]byte': expected a map of strings")
    for k, v in parsed.items():
        value = decode(decoding, v.encode("utf-8", "surrogateescape"), name)  # names the template
        _apply(out, target, str(k), value, computed_key=True, template=name)


def render_template(es: ExternalSecret, data: dict[str, bytes], lookup: ObjectLookup) -> Rendered:
    """Everything ``spec.target.template`` adds; raises naming the template key, never a value."""
    tpl = es.target.template or {}
    out = Rendered()
    run = _Run(Executor(es.delims), data, out)
    for i, item in enumerate(tpl.get("templateFrom") or []):
        where = f"spec.target.template.templateFrom[{i}]"
        target = str(item.get("target") or "Data")
        if target not in TARGETS and target.lower() not in ("data", "labels", "annotations"):
            raise InputError(f"{where}.target {target!r} is not allowed for a Secret")
        decoding = str(item.get("valuesDecodingStrategy") or "None")
        if decoding not in DECODING:
            raise InputError(f"{where}.valuesDecodingStrategy {decoding!r} is not supported")
        for kind in ("configMap", "secret"):
            ref = item.get(kind)
            if ref is None:
                continue
            name = str(ref.get("name") or "")
            source: dict[str, Any] | None
            if kind == "configMap":
                source = lookup.configmap_data(es.namespace, name)
            else:
                sec = lookup.secret_data(es.namespace, name)
                source = (
                    None if sec is None else {k: v.decode("utf-8", "surrogateescape") for k, v in sec.items()}
                )
            if source is None:
                raise ExternalError(f"{where}.{kind}: {kind} {name!r} not found")
            for ref_item in ref.get("items") or []:
                key = str(ref_item.get("key") or "")
                if key not in source:
                    raise ExternalError(f"error in {kind.lower()} {name}: missing key {key}")
                scope = str(ref_item.get("templateAs") or "Values")
                if scope == "Values":
                    _values_scope(run, {key: source[key]}, target, decoding)
                elif scope == "KeysAndValues":
                    _keys_and_values_scope(run, source[key], target, decoding, f"{where}.{kind}[{key}]")
                else:
                    raise InputError(
                        f"{where}: unknown scope {scope!r}: expected 'Values' or 'KeysAndValues'"
                    )
        if item.get("literal") is not None:
            _keys_and_values_scope(run, str(item["literal"]), target, decoding, f"{where}.literal")
    meta = tpl.get("metadata") or {}
    for target, source_map in (
        ("Data", tpl.get("data")),
        ("Labels", meta.get("labels")),
        ("Annotations", meta.get("annotations")),
    ):
        _values_scope(run, {str(k): str(v) for k, v in (source_map or {}).items()}, target, "None")
    return out
