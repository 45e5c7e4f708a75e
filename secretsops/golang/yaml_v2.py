"""go-yaml v2 as sigs.k8s.io/yaml drives it: the YAML kubeseal prints and sprig/ESO's toYaml/fromYaml.

``sigs.k8s.io/yaml.Marshal`` writes an object as JSON, reads that back into ``interface{}``
and emits it with go-yaml v2. go-yaml v2 is a port of libyaml, as is PyYAML's emitter, so
block layout, quoting choices and line folding agree once we steer the few places where Go
decides differently: strings that would read back as another type are double-quoted,
multi-line strings use literal style, floats use Go's shortest form, map keys use go-yaml's
"natural" order, and integral JSON numbers become YAML ints.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import yaml

from secretsops.errors import InputError
from secretsops.golang import encoding_json
from secretsops.golang.libyaml import escape, printable
from secretsops.golang.strconv import format_float
from secretsops.yamlio.loader import iter_documents


class _GoDumper(yaml.SafeDumper):
    """PyYAML's emitter with go-yaml's printable set and double-quoted line folding."""

    def analyze_scalar(self, scalar: str) -> Any:
        analysis = super().analyze_scalar(scalar)
        if any(not printable(c) and c not in "\t\r\x85\u2028\u2029" for c in scalar):
            analysis.allow_flow_plain = analysis.allow_block_plain = False
            analysis.allow_single_quoted = analysis.allow_block = False
        return analysis

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode and tag in _PLAIN_TAGS:
            return "tag:yaml.org,2002:str"
        return tag

    def _put(self, data: str) -> None:
        self.column += len(data)
        self.stream.write(data)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        """libyaml's yaml_emitter_write_double_quoted_scalar (folds at a space, not with \\)."""
        self.write_indicator('"', True)
        spaces = False
        n = len(text)
        for i, ch in enumerate(text):
            if not printable(ch) or ch in '"\\\n':
                self._put(escape(ch) or ch)  # escape() has an answer for each of these
                spaces = False
            elif ch == " ":
                if split and not spaces and self.column > self.best_width and 0 < i < n - 1:
                    self.write_indent()
                    if text[i + 1] == " ":
                        self._put("\\")
                else:
                    self._put(" ")
                spaces = True
            else:
                self._put(ch)
                spaces = False
        self.write_indicator('"', False)


def _natural_less(a: str, b: str) -> bool:  # noqa: C901
    """go-yaml v2 keyList.Less for two strings (digit runs compare numerically)."""
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and _isdigit(ar[j]):
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and _isdigit(ar[ai]):
            an = an * 10 + int(ar[ai]) if ar[ai].isascii() else an
            ai += 1
        bi = i
        while bi < len(br) and _isdigit(br[bi]):
            bn = bn * 10 + int(br[bi]) if br[bi].isascii() else bn
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _isdigit(c: str) -> bool:
    return unicodedata.category(c) == "Nd"


def _cmp(a: str, b: str) -> int:
    if _natural_less(a, b):
        return -1
    if _natural_less(b, a):
        return 1
    return 0


def _represent_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    keys = sorted((str(k) for k in data), key=functools.cmp_to_key(_cmp))
    lookup = {str(k): v for k, v in data.items()}
    return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, lookup[k]) for k in keys])


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    implicit = dumper.resolve(yaml.ScalarNode, data, (True, False))
    if implicit not in _PLAIN_TAGS or data == "" or _go_resolves_non_string(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_GO_SPECIAL = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", ".nan",
    ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
}
# PyYAML resolves these too; go-yaml leaves "<<" and "=" plain strings.
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$")


def _go_resolves_non_string(s: str) -> bool:
    """go-yaml v2's resolve(): would this plain scalar read back as non-string?"""
    if s in _GO_SPECIAL:
        return True
    if not s or s[0] not in "0123456789+-.":
        return False
    plain = s.replace("_", "")
    return bool(_GO_INT.match(plain) or _GO_FLOAT.match(plain))


def _represent_float(dumper: yaml.SafeDumper, data: float) -> yaml.Node:
    if data == int(data) and abs(data) < 2**63:
        return dumper.represent_int(int(data))
    return dumper.represent_scalar("tag:yaml.org,2002:float", format_float(data, "g", -1))


_GoDumper.add_representer(dict, _represent_dict)
_GoDumper.add_representer(str, _represent_str)
_GoDumper.add_representer(float, _represent_float)
_GoDumper.add_multi_representer(dict, _represent_dict)
_GoDumper.add_multi_representer(str, _represent_str)
_GoDumper.add_multi_representer(list, lambda d, v: d.represent_list(list(v)))
_GoDumper.add_multi_representer(int, lambda d, v: d.represent_int(int(v)))


def marshal(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """``sigs.k8s.io/yaml.Marshal``: JSON semantics first, then go-yaml v2's text (final newline kept).

    Raises :class:`~secretsops.golang.encoding_json.UnsupportedValue` (a ``ValueError``) for
    what ``json.Marshal`` refuses; ``default`` converts other types as in ``encoding_json.marshal``.
    """
    plain = encoding_json.unmarshal(encoding_json.marshal(value, default=default))
    text = yaml.dump(
        plain, Dumper=_GoDumper, default_flow_style=False, allow_unicode=True, width=80, indent=2,
        sort_keys=False,
    )
    if text.endswith("\n...\n"):  # PyYAML ends a lone scalar with a document end marker; Go does not
        text = text[: -len("...\n")]
    return text


def _jsonify(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("unsupported float")
        return v
    if isinstance(v, dict):
        return {_key(k): _jsonify(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonify(x) for x in v]
    if isinstance(v, bytes):
        import base64

        return base64.b64encode(v).decode()
    return str(v)


def _key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return format_float(k, "g", -1)
    return str(k)


def from_yaml(text: str) -> dict[str, Any]:
    """fromYaml: a map[string]interface{}; on failure {"Error": <message>} like ESO.

    The message is ours and names no content, since the input is usually a secret.
    """
    try:
        # go-yaml's Unmarshal reads the first document and ignores the rest; the shared reader
        # (YAML 1.1 scalars, timestamps as strings) applies its limits: data may be hostile
        doc = next(iter_documents(text, "fromYaml"), None)
    except InputError as e:
        line = re.search(r": line (\d+),", str(e))
        where = f" at line {line.group(1)}" if line else ""
        return {"Error": f"error converting YAML to JSON: yaml: invalid document{where}"}
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        kind = "array" if isinstance(doc, list) else ("string" if isinstance(doc, str) else "number")
        if isinstance(doc, bool):
            kind = "bool"
        return {"Error": f"error unmarshaling JSON: json: cannot unmarshal {kind} into Go value of type "
                         "map[string]interface {}"}
    try:
        out = _jsonify(doc)
    except ValueError:
        return {"Error": "error converting YAML to JSON: unsupported value"}
    return out  # type: ignore[no-any-return]
