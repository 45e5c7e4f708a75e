"""The YAML store: multi-document, comments kept, output laid out like sops (go-yaml v3).

Values always come from libyaml's node graph, resolved the way go-yaml v3 resolves them for
sops (YAML 1.2 core plus its timestamps and old octals), so the MAC matches sops'. When the
file has comments, ruamel.yaml's round-trip parser supplies them with their positions and
each comment line becomes a tree item at its place (sops encrypts comments as ``#ENC[...]``).
Output is written by a small emitter that follows go-yaml/libyaml exactly (indentation,
quoting, escapes, ``|`` blocks) so a file decrypted here is byte-identical to sops' output.
"""

from __future__ import annotations

import math
import re

import yaml as pyyaml

from secretsops.errors import InvalidFormat, UnwalkableValue
from secretsops.golang import yaml_v3
from secretsops.golang.yaml_v3 import BOOL as _BOOL  # the reader keeps its names
from secretsops.golang.yaml_v3 import FLOAT as _FLOAT
from secretsops.golang.yaml_v3 import INT as _INT
from secretsops.golang.yaml_v3 import INT64_RANGE as _INT64
from secretsops.golang.yaml_v3 import NULL as _NULL
from secretsops.golang.yaml_v3 import timestamp as go_timestamp
from secretsops.sops.cipher import Comment, TimeValue
from secretsops.sops.formats.base import METADATA_KEY, Store
from secretsops.sops.tree import Branch
from secretsops.yamlio.graph import check_node_graph
from secretsops.yamlio.limits import DEFAULT_LIMITS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_INDENT = 4


def _doc_to_branch(doc: Any, n: int) -> Branch:
    if doc is None:
        return Branch()
    if isinstance(doc, Branch):
        return doc
    if isinstance(doc, list):
        raise InvalidFormat(f"YAML document {n} is a sequence; only mappings are supported (as in sops)")
    raise InvalidFormat(f"YAML document {n} is a single value; only mappings are supported (as in sops)")


_STR_TAG = "tag:yaml.org,2002:str"
#: untagged plain scalars (resolved by ``_resolve_plain``); explicit ``!!str`` keeps _STR_TAG
_PLAIN_TAG = "!secretsops/plain"
_OLD_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
_RESOLVE_FIRST = frozenset("0123456789-+.~nNtTfF")


def _resolve_plain(text: str) -> Any:
    """Resolution of a plain scalar as go-yaml v3 does it into an interface{} (what sops sees)."""
    if not text or text[0] not in _RESOLVE_FIRST:
        return None if text == "" else text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text) or _OLD_OCTAL.match(text):
        clean = text.replace("_", "")
        sign = -1 if clean.startswith("-") else 1
        digits = clean.lstrip("+-")
        if digits.startswith("0o"):
            value = int(digits[2:], 8)
        elif digits.startswith(("0x", "0b")):
            value = int(digits, 0)
        elif len(digits) > 1 and digits.startswith("0"):
            value = int(digits, 8)  # Go's ParseInt(s, 0, 64): a leading 0 means octal
        elif len(digits) > 400:
            return text  # beyond float64 too: Go's ParseInt/ParseUint/ParseFloat all fail, a string
        else:
            value = int(digits, 10)
        value *= sign
        if _INT64[0] <= value <= _INT64[1]:
            return value
        if value <= 2**64 - 1:
            raise UnwalkableValue("integers above 2^63-1 are not supported (sops cannot walk them either)")
        try:
            return float(value)
        except OverflowError:
            return text
    if text[0].isdigit():
        stamp = go_timestamp(text)
        if stamp is not None:
            return TimeValue(stamp)
    if _FLOAT.match(text):
        low = text.replace("_", "").lower()
        if low.endswith(".inf"):
            return -math.inf if low.startswith("-") else math.inf
        if low == ".nan":
            return math.nan
        return float(low)
    return text


def _unique_keys(node: Any, branch: Branch) -> Branch:
    """go-yaml v3 refuses a mapping that repeats a key (sops: "already defined")."""
    keys = [k for k, _ in branch if not isinstance(k, Comment)]
    try:
        unique = len(set(keys)) == len(keys)
    except TypeError:  # a sequence or mapping as a key: go-yaml cannot load it either
        raise InvalidFormat(f"unsupported mapping key at line {node.start_mark.line + 1}") from None
    if not unique:
        seen: set[Any] = set()
        dup = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise InvalidFormat(f"mapping key {dup!r} already defined (line {node.start_mark.line + 1})")
    return branch


def _node_value(node: Any) -> Any:
    if isinstance(node, pyyaml.MappingNode):
        return _unique_keys(node, Branch((_node_value(k), _node_value(v)) for k, v in node.value))
    if isinstance(node, pyyaml.SequenceNode):
        return [_node_value(v) for v in node.value]
    text = node.value
    tag = node.tag
    if tag == _PLAIN_TAG:
        return _resolve_plain(text)
    if tag == _STR_TAG:
        return text
    if tag.endswith(":int"):
        value = _resolve_plain(text)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _cannot_decode(node, "!!int")
        return value
    if tag.endswith(":float"):
        value = _resolve_plain(text)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _cannot_decode(node, "!!float")
        return float(value)
    if tag.endswith(":bool"):
        return _BOOL.get(text, text)
    if tag.endswith(":null"):
        return None
    if tag.endswith(":binary"):  # go-yaml gives []byte, sops walks it as a string
        import base64
        import binascii

        try:
            return base64.b64decode("".join(text.split())).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError):
            raise InvalidFormat("invalid !!binary value") from None
    if tag.endswith(":timestamp"):
        stamp = go_timestamp(text)
        if stamp is None:
            raise _cannot_decode(node, "!!timestamp")
        return TimeValue(stamp)
    return text


def _cannot_decode(node: Any, tag: str) -> InvalidFormat:
    """go-yaml v3: an explicit tag the text cannot be (``!!int 'zz'``) fails the file (no value shown)."""
    mark = node.start_mark
    return InvalidFormat(f"cannot decode a value as {tag} (line {mark.line + 1}, column {mark.column + 1})")


_Base = pyyaml.CBaseLoader if hasattr(pyyaml, "CBaseLoader") else pyyaml.BaseLoader


class _BaseLoader(_Base):  # type: ignore[misc,valid-type]
    """libyaml composer without per-scalar resolver work (scalars are resolved in ``_node_value``)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is pyyaml.ScalarNode:
            return _PLAIN_TAG if implicit[0] else _STR_TAG
        return "tag:yaml.org,2002:seq" if kind is pyyaml.SequenceNode else "tag:yaml.org,2002:map"


def _compose(text: str) -> list[Any]:
    """libyaml's node graphs, checked against the shared reader's limits (aliases, depth)."""
    try:
        nodes = list(pyyaml.compose_all(text, Loader=_BaseLoader))  # noqa: S506 - composes nodes only
    except pyyaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml stops at 1,000 levels
            raise InvalidFormat(f"YAML input is nested too deeply{where}") from None
        raise InvalidFormat(f"input is not valid YAML{where}") from None
    anchors = "&" in text
    for node in nodes:
        if node is not None:
            check_node_graph(node, DEFAULT_LIMITS, "", InvalidFormat, anchors=anchors)
    return nodes


def _load_fast(text: str) -> list[Branch]:
    """libyaml composes the node graph; scalars are resolved here (as go-yaml v3 does for sops)."""
    return [
        _doc_to_branch(None if n is None else _node_value(n), i + 1) for i, n in enumerate(_compose(text))
    ]


# --- comment-preserving path (ruamel.yaml) -------------------------------------------------


def _ruamel() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class _Constructor(RoundTripConstructor):
        pass

    def _timestamp(c: Any, n: Any) -> Any:
        text = str(c.construct_scalar(n))
        stamp = go_timestamp(text)
        return TimeValue(stamp) if stamp is not None else text

    _Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    y.allow_duplicate_keys = True
    return y


def _comment_lines_of(token: Any) -> list[tuple[int, int, str]]:
    """(line, column, text after '#') of every comment line in a ruamel comment token."""
    value = getattr(token, "value", None)
    if not isinstance(value, str):
        return []
    segments = value.split("\n")
    mark = getattr(token, "start_mark", None)
    start = mark.line if mark is not None else 0
    first = next((i for i, s in enumerate(segments) if s.strip().startswith("#")), None)
    out = []
    for i, seg in enumerate(segments):
        s = seg.strip()
        if s.startswith("#") and first is not None:
            if i == 0 and seg.startswith("#") and mark is not None:
                col = mark.column
            else:
                col = len(seg) - len(seg.lstrip(" "))
            out.append((start + i - first, col, s[1:]))
    return out


def _tokens_in(obj: Any, acc: list[Any]) -> None:
    if obj is None:
        return
    if isinstance(obj, list):
        for o in obj:
            _tokens_in(o, acc)
    elif hasattr(obj, "value") and hasattr(obj, "start_mark"):
        acc.append(obj)


class _CommentPlacer:
    """Assign every ruamel comment token to the deepest container that refers to it."""

    def __init__(self) -> None:
        self.owner: dict[int, tuple[int, Any]] = {}
        self.tokens: dict[int, Any] = {}

    def visit(self, node: Any, depth: int) -> None:
        ca = getattr(node, "ca", None)
        if ca is not None:
            acc: list[Any] = []
            _tokens_in(ca.comment, acc)
            for v in ca.items.values():
                _tokens_in(v, acc)
            _tokens_in(ca.end, acc)
            for t in acc:
                prev = self.owner.get(id(t))
                if prev is None or prev[0] < depth:
                    self.owner[id(t)] = (depth, node)
                    self.tokens[id(t)] = t
        if isinstance(node, dict):
            for v in node.values():
                self.visit(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                self.visit(v, depth + 1)

    def comments_for(self, node: Any) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        for tid, (_, owner) in self.owner.items():
            if owner is node:
                out.extend(_comment_lines_of(self.tokens[tid]))
        return out


def _ruamel_comments(node: Any, placer: _CommentPlacer, out: dict[tuple[str, int, int], Any]) -> None:
    """Comments of every ruamel container, keyed by the container's kind and position."""
    if isinstance(node, dict):
        out[("map", node.lc.line, node.lc.col)] = placer.comments_for(node)  # type: ignore[attr-defined]
        for v in node.values():
            _ruamel_comments(v, placer, out)
    elif isinstance(node, list):
        out[("seq", node.lc.line, node.lc.col)] = placer.comments_for(node)  # type: ignore[attr-defined]
        for v in node:
            _ruamel_comments(v, placer, out)


_Pending = list[tuple[int, int, str]]


def _node_value_with_comments(node: Any, comments: dict[tuple[str, int, int], Any]) -> Any:
    """Like ``_node_value`` (same scalars as the fast path) with comment items put in line order."""
    value, left = _with_comments(node, comments)
    if left and isinstance(value, Branch):
        value = _merge(value, left)
    return value


def _merge(branch: Branch, pending: _Pending) -> Branch:
    """Comments left of the document's own indentation: kept, at the end."""
    return Branch([*branch, *((Comment(text), None) for _, _, text in sorted(pending))])


def _with_comments(node: Any, comments: dict[tuple[str, int, int], Any]) -> tuple[Any, _Pending]:
    """Build the value; comments indented less than this container go up to the parent.

    A comment line belongs to the innermost container whose indentation it is not left of
    (go-yaml attaches ``# x`` written at column 0 after a nested block to the next top-level
    key, where ruamel attaches it to the nested block).
    """
    if not isinstance(node, (pyyaml.MappingNode, pyyaml.SequenceNode)):
        return _node_value(node), []
    col = node.start_mark.column
    is_map = isinstance(node, pyyaml.MappingNode)
    kind = "map" if is_map else "seq"
    mine: _Pending = list(comments.get((kind, node.start_mark.line, col), ()))
    entries: list[tuple[tuple[int, int, int], Any]] = []
    if is_map:
        for i, (k, v) in enumerate(node.value):
            child, up = _with_comments(v, comments)
            mine.extend(up)
            entries.append(((k.start_mark.line, 1, i), (_node_value(k), child)))
    else:
        for i, v in enumerate(node.value):
            child, up = _with_comments(v, comments)
            mine.extend(up)
            entries.append(((v.start_mark.line, 1, i), child))
    bubble: _Pending = []
    for j, (line, ccol, text) in enumerate(mine):
        if ccol < col:
            bubble.append((line, ccol, text))
        else:
            entries.append(((line, 0, j), (Comment(text), None) if is_map else Comment(text)))
    entries.sort(key=lambda e: e[0])
    items = [item for _, item in entries]
    return (_unique_keys(node, Branch(items)) if is_map else items), bubble


def _load_with_comments(text: str) -> list[Branch]:
    """Values from libyaml (as the fast path), comments and their lines from ruamel.yaml."""
    nodes = _compose(text)  # syntax errors are reported by libyaml, as on the fast path
    try:
        docs = list(_ruamel().load_all(text))
    except Exception:  # ruamel is stricter in a few corners: keep the values, lose the comments
        docs = []
    out = []
    for i, n in enumerate(nodes):
        comments: dict[tuple[str, int, int], Any] = {}
        if i < len(docs):
            placer = _CommentPlacer()
            placer.visit(docs[i], 0)
            _ruamel_comments(docs[i], placer, comments)
        out.append(_doc_to_branch(None if n is None else _node_value_with_comments(n, comments), i + 1))
    return out


def load_yaml(data: bytes) -> list[Branch]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidFormat("YAML input is not valid UTF-8") from None
    if "%YAML" in text:
        import re

        # go-yaml v3 accepts only "%YAML 1.1" (libyaml takes any 1.x)
        if any(v != "1.1" for v in re.findall(r"(?m)^%YAML[ \t]+(\S+)", text)):
            raise InvalidFormat("found incompatible YAML document (only %YAML 1.1 is accepted, as in sops)")
    if "#" not in text:
        return _load_fast(text)
    return _load_with_comments(text)


# --- emitter -------------------------------------------------------------------------------


_ENC_PLAIN = re.compile(
    r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]\Z"
)


def scalar(v: Any, *, key: bool = False, indent: int = 0) -> str:
    """A leaf of the sops tree as go-yaml v3 writes it (``indent``: the column it starts at)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return yaml_v3.format_float(v)
    if isinstance(v, TimeValue):
        return v.text
    if isinstance(v, bytes):
        v = v.decode("utf-8", "surrogateescape")
    if isinstance(v, str):
        if v.startswith("ENC[") and _ENC_PLAIN.match(v):  # what sops writes most: always plain
            return v
        return yaml_v3.string(v, indent)
    raise InvalidFormat(f"cannot write a {type(v).__name__} value as YAML")


class _Emitter:
    def __init__(self, indent: int) -> None:
        self.step = indent if 2 <= indent <= 9 else 2  # libyaml's accepted range
        self.out: list[str] = []

    def value_inline(self, v: Any, pad: str, block_pad: str | None = None) -> str | None:
        """Text after ``key: `` / ``- `` for scalars and empty containers; None when nested."""
        if isinstance(v, Branch):
            return "{}" if not any(not isinstance(k, Comment) for k, _ in v) and not v else None
        if isinstance(v, list):
            return "[]" if not v else None
        if isinstance(v, str) and yaml_v3.literal_ok(v) and not v.startswith("ENC["):
            at = block_pad if block_pad is not None else pad + " " * self.step
            return yaml_v3.literal_block(v, at, self.step)
        return scalar(v, indent=len(block_pad) if block_pad is not None else len(pad) + self.step)

    def mapping(self, b: Branch, pad: str, first_prefix: str | None = None) -> None:
        """Write a mapping at column ``len(pad)``; ``first_prefix`` replaces ``pad`` on its first line.

        go-yaml (yaml_emitter_increase_indent) puts a mapping value's block at the next multiple
        of the indent step after the mapping's column, and a sequence item's block two columns
        after its dash.
        """
        step = self.step
        child = " " * (step * ((len(pad) + step) // step))
        first = True
        append = self.out.append
        simple, reserved = yaml_v3.SIMPLE.match, yaml_v3.RESERVED
        for k, v in b:
            if not first and type(k) is str and type(v) is str and "\n" not in v and yaml_v3.simple_key(k):
                # the bulk of a Secret: both sides one-line strings, most of them plain words
                ks = k if simple(k) and k not in reserved else scalar(k)
                vs = v if simple(v) and v not in reserved else scalar(v, indent=len(child))
                append(f"{pad}{ks}: {vs}")
                continue
            lead = first_prefix if (first and first_prefix is not None) else pad
            if isinstance(k, Comment) and lead != pad:
                self.out.append(lead.rstrip())
                lead = pad
            if isinstance(k, Comment):
                self.out.append(f"{lead}#{k.value}")
                first = False
                continue
            first = False
            key = scalar(k, indent=len(child))
            inline = self.value_inline(v, pad, child)
            if not yaml_v3.simple_key(k):
                self.out.append(f"{lead}? {key}")
                if inline is not None:
                    self.out.append(f"{pad}: {inline}")
                    continue
                # a block value starts on the ":" line, at its own column
                colon = pad + ":" + " " * (len(child) - len(pad) - 1)
                if isinstance(v, Branch):
                    self.mapping(v, child, first_prefix=colon)
                else:
                    self.sequence(v, child, first_prefix=colon)
                continue
            if inline is not None:
                self.out.append(f"{lead}{key}: {inline}")
            elif isinstance(v, Branch):
                self.out.append(f"{lead}{key}:")
                self.mapping(v, child)
            else:
                self.out.append(f"{lead}{key}:")
                self.sequence(v, child)

    def sequence(self, items: list[Any], pad: str, first_prefix: str | None = None) -> None:
        for n, v in enumerate(items):
            lead = pad
            if n == 0 and first_prefix is not None:
                if isinstance(v, Comment):
                    self.out.append(first_prefix.rstrip())
                else:
                    lead = first_prefix
            if isinstance(v, Comment):
                self.out.append(f"{pad}#{v.value}")
                continue
            inline = self.value_inline(v, pad, pad + "  ")
            if inline is not None:
                self.out.append(f"{lead}- {inline}")
            elif isinstance(v, Branch):
                self.mapping(v, pad + "  ", first_prefix=lead + "- ")
            else:
                self.sequence(v, pad + "  ", first_prefix=lead + "- ")


def emit_documents(branches: list[Branch], indent: int) -> str:
    docs = []
    for b in branches:
        em = _Emitter(indent)
        if not b:
            docs.append("{}\n")
            continue
        em.mapping(b, "")
        if all(isinstance(k, Comment) for k, _ in b):
            em.out.append("{}")  # go-yaml writes a comment-only document as its comments and {}
        docs.append("\n".join(em.out) + "\n")
    return "---\n".join(docs)


class YamlStore(Store):
    name = "yaml"
    extensions = (".yaml", ".yml")
    config_section = "yaml"

    def _indent(self) -> int:
        if self.indent is None or self.indent == 0:
            return DEFAULT_INDENT
        if self.indent < 0:
            raise InvalidFormat("YAML negative indentation is not accepted")
        return self.indent

    def load_plain(self, data: bytes) -> list[Branch]:
        return load_yaml(data)

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Any]:
        docs = load_yaml(data)
        meta = None
        out = []
        for b in docs:
            kept = Branch()
            for k, v in b:
                if k == METADATA_KEY:
                    if meta is None:
                        meta = _to_plain(v)
                else:
                    kept.append((k, v))
            out.append(kept)
        return out, meta

    def emit_plain(self, branches: list[Branch]) -> bytes:
        return emit_documents(branches, self._indent()).encode("utf-8", "surrogateescape")

    def emit_encrypted(self, branches: list[Branch], metadata: dict[str, Any]) -> bytes:
        md = _to_branch(metadata)
        docs = [Branch([*b, (METADATA_KEY, md)]) for b in branches]
        return self.emit_plain(docs)

    def emit_value(self, value: Any) -> bytes:
        if isinstance(value, (Branch, list)):
            em = _Emitter(self._indent())
            if isinstance(value, Branch):
                em.mapping(value, "")
            else:
                em.sequence(value, "")
            return ("\n".join(em.out) + "\n").encode("utf-8", "surrogateescape")
        return (scalar(value) + "\n").encode("utf-8", "surrogateescape")


def _to_plain(value: Any) -> Any:
    if isinstance(value, Branch):
        return {k: _to_plain(v) for k, v in value if not isinstance(k, Comment)}
    if isinstance(value, list):
        return [_to_plain(v) for v in value if not isinstance(v, Comment)]
    return value


def _to_branch(value: Any) -> Any:
    if isinstance(value, dict):
        return Branch((k, _to_branch(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_to_branch(v) for v in value]
    return value
