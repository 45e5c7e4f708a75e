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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml as pyyaml

from secretsops.errors import InvalidFormat, UnwalkableValue
from secretsops.golang import strconv
from secretsops.sops.cipher import Comment, TimeValue
from secretsops.sops.formats.base import METADATA_KEY, Store
from secretsops.sops.tree import Branch
from secretsops.yamlio.graph import check_node_graph
from secretsops.yamlio.limits import DEFAULT_LIMITS

DEFAULT_INDENT = 4

# --- YAML 1.2 core resolution (what go-yaml v3 gives an interface{}) -----------------------

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$|^0x[0-9a-fA-F_]+$|^0o[0-7_]+$|^0b[01_]+$")
_FLOAT = re.compile(
    r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$"
)
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
#: strings go-yaml quotes so YAML 1.1 readers do not take them for something else
_AMBIGUOUS = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$"
    r"|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$"
    r"|^[-+]?0[0-7_]+$"
    r"|^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$"
)


_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?)?$"
)
_INT64 = (-(2**63), 2**63 - 1)


def go_timestamp(text: str) -> str | None:
    """The RFC 3339 (nano) text go-yaml gives a plain timestamp, or None when it is not one."""
    m = _TIMESTAMP.match(text)
    if m is None:
        return None
    year, month, day, t_sep, space_sep, hh, mm, ss, frac, zone = m.groups()
    if (t_sep and zone is None) or (space_sep and zone is not None):
        return None  # go-yaml's layouts: T needs a zone, a space allows none
    from datetime import date

    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return None
    if hh is None:
        return f"{year}-{int(month):02d}-{int(day):02d}T00:00:00Z"
    if int(hh) > 23 or int(mm) > 59 or int(ss) > 59:
        return None
    frac_text = ("." + frac.rstrip("0")) if frac and frac.rstrip("0") else ""
    if zone in (None, "Z", "+00:00", "-00:00"):
        zone = "Z"
    return (
        f"{year}-{int(month):02d}-{int(day):02d}T{int(hh):02d}:{int(mm):02d}:{int(ss):02d}{frac_text}{zone}"
    )


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


def go_yaml_float(v: float) -> str:
    """go-yaml's float text: ``strconv.FormatFloat(v, 'g', -1, 64)`` plus YAML's inf/nan."""
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    return strconv.format_float(v, "g", -1)


def go_printable(ch: str) -> bool:
    """libyaml's is_printable as go-yaml has it (no tabs, no astral plane, no NEL/BOM)."""
    c = ord(ch)
    return c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)


_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z")
_RESERVED = frozenset(_BOOL) | _NULL | frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())
_ALWAYS_INDICATOR = set("#,[]{}&*!|>'\"%@`")
_ENC_PLAIN = re.compile(
    r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]\Z"
)


def _special(s: str) -> bool:
    return not all(go_printable(c) for c in s)


@dataclass(frozen=True)
class _Analysis:
    """libyaml's ``yaml_emitter_analyze_scalar`` verdict for a string (block context)."""

    plain: bool
    single: bool
    block: bool
    multiline: bool


_FIRST_INDICATORS = set("#,[]{}&*!|>'\"%@`")
_BREAKS = "\n\r\x85\u2028\u2029"


@lru_cache(maxsize=4096)
def _analyze(s: str) -> _Analysis:
    block_ind = leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = tabs = special = line_breaks = False
    if s.startswith(("---", "...")):
        block_ind = True
    preceded_ws = True
    prev_space = prev_break = False
    n = len(s)
    for i, ch in enumerate(s):
        followed_ws = i + 1 >= n or s[i + 1] in " \t"
        if i == 0:
            if ch in _FIRST_INDICATORS:
                block_ind = True
            elif ch in "?:" and followed_ws:
                block_ind = True
            elif ch == "-" and followed_ws:
                block_ind = True
        elif (ch == ":" and followed_ws) or (ch == "#" and preceded_ws):
            block_ind = True
        if ch == "\t":
            tabs = True
        elif not go_printable(ch) or ch == "\ufeff":
            special = True
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == n - 1
            break_space = break_space or prev_break
            prev_space, prev_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == n - 1
            space_break = space_break or prev_space
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_ws = ch in " \t" or ch in _BREAKS
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or tabs or special:
        plain = single = False
    if space_break or special:
        block = False
    if line_breaks or block_ind:
        plain = False
    return _Analysis(plain, single, block, line_breaks)


def _plain_ok(s: str) -> bool:
    """libyaml's block-plain rules plus go-yaml's type check (no string that reads as another type)."""
    if _SIMPLE.match(s):
        return s not in _RESERVED
    if not s:
        return False
    return _analyze(s).plain and not _type_ambiguous(s)


def _type_ambiguous(s: str) -> bool:
    return bool(
        s in _NULL
        or s in _BOOL
        or _AMBIGUOUS.match(s)
        or _INT.match(s)
        or _FLOAT.match(s)
        or go_timestamp(s) is not None
    )


def _literal_ok(s: str) -> bool:
    """go-yaml writes strings with a newline as ``|`` blocks when libyaml allows it."""
    return "\n" in s and _analyze(s).block and not _has_surrogates(s)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogates(s: str) -> bool:
    return _SURROGATE.search(s) is not None


def _single_quoted(v: str, indent: int) -> str:
    """libyaml's single-quoted style: after a line break character (not ``\n``: such values
    are never single-quoted here) it writes the indentation before the next character."""
    out = ["'"]
    after_break = False
    for ch in v:
        if ch in _BREAKS:
            out.append(ch)
            after_break = True
            continue
        if after_break:
            out.append(" " * indent)
            after_break = False
        out.append("''" if ch == "'" else ch)
    out.append("'")
    return "".join(out)


def _simple_key(k: Any) -> bool:
    """libyaml writes a key longer than 128 bytes, or one with a line break, as ``? key``."""
    if not isinstance(k, str):
        return True
    return len(k.encode("utf-8", "surrogateescape")) <= 128 and not any(c in _BREAKS for c in k)


def scalar(v: Any, *, key: bool = False, indent: int = 0) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_yaml_float(v)
    if isinstance(v, TimeValue):
        return v.text
    if isinstance(v, bytes):
        v = v.decode("utf-8", "surrogateescape")
    if isinstance(v, str):
        if v.startswith("ENC[") and _ENC_PLAIN.match(v):
            return v
        if _SIMPLE.match(v):  # the common case: a plain word, unless it reads as another type
            return v if v not in _RESERVED else _double_quoted(v)
        if v == "<<":  # go-yaml resolves it to the merge tag and writes the tag out
            return "!!merge <<"
        if _has_surrogates(v):  # not UTF-8: go-yaml writes the bytes as !!binary
            import base64

            return "!!binary " + base64.b64encode(v.encode("utf-8", "surrogateescape")).decode()
        if "\n" not in v:
            if _plain_ok(v):
                return v
            if not _type_ambiguous(v) and _analyze(v).single:
                if any(c in _BREAKS for c in v):
                    return _single_quoted(v, indent)
                return "'" + v.replace("'", "''") + "'"
        return _double_quoted(v)
    raise InvalidFormat(f"cannot write a {type(v).__name__} value as YAML")


_ESCAPES = {
    "\0": "\\0",
    "\x07": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def _double_quoted(v: str) -> str:
    """libyaml's double-quoted style: its escapes, upper-case hex for the rest."""
    out = ['"']
    for ch in v:
        esc = _ESCAPES.get(ch)
        if esc is None and (not go_printable(ch) or ch == "\ufeff"):
            c = ord(ch)
            esc = f"\\x{c:02X}" if c <= 0xFF else f"\\u{c:04X}" if c <= 0xFFFF else f"\\U{c:08X}"
        if esc is not None and ch == "\n":
            esc = "\\n"
        out.append(esc if esc is not None else ch)
    out.append('"')
    return "".join(out)


class _Emitter:
    def __init__(self, indent: int) -> None:
        self.step = indent if 2 <= indent <= 9 else 2  # libyaml's accepted range
        self.out: list[str] = []

    def block(self, s: str, pad: str) -> str:
        """A ``|`` block with libyaml's hints: indentation digit, then chomping."""
        hint = str(self.step) if s[0] in " \n" else ""
        if not s.endswith("\n"):
            chomp = "-"
        elif len(s) == 1 or s[-2] == "\n":
            chomp = "+"
        else:
            chomp = ""
        body = s[:-1] if s.endswith("\n") else s
        lines = "\n".join((pad + ln) if ln else "" for ln in body.split("\n"))
        return f"|{hint}{chomp}\n{lines}"

    def value_inline(self, v: Any, pad: str, block_pad: str | None = None) -> str | None:
        """Text after ``key: `` / ``- `` for scalars and empty containers; None when nested."""
        if isinstance(v, Branch):
            return "{}" if not any(not isinstance(k, Comment) for k, _ in v) and not v else None
        if isinstance(v, list):
            return "[]" if not v else None
        if isinstance(v, str) and _literal_ok(v) and not v.startswith("ENC["):
            return self.block(v, block_pad if block_pad is not None else pad + " " * self.step)
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
        simple, reserved = _SIMPLE.match, _RESERVED
        for k, v in b:
            if not first and type(k) is str and type(v) is str and "\n" not in v and _simple_key(k):
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
            if not _simple_key(k):
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
