"""The INI store: sections of ``key = value`` (values are strings), ``;``/``#`` comments.

Layout follows go-ini as sops uses it: keys aligned on ``=`` per section, a comment is written
above the key it belongs to, a ``[sops]`` section carries flattened metadata.
"""

from __future__ import annotations

import math
from typing import Any

from secretsops.errors import InvalidFormat
from secretsops.golang import strconv
from secretsops.sops.cipher import Comment, TimeValue
from secretsops.sops.formats import flatten as fl
from secretsops.sops.formats.base import METADATA_KEY, Store
from secretsops.sops.tree import Branch

DEFAULT_SECTION = "DEFAULT"


def go_val_float(v: float) -> str:
    """sops' ValToString for floats: ``FormatFloat(v, 'G', -1, 64)``, ``.0`` added to whole numbers."""
    text = strconv.format_float(v, "G", -1)
    if "." not in text and "E" not in text and not math.isinf(v) and not math.isnan(v):
        text = text + ".0"
    return text


def go_fmt_v(v: Any) -> str:
    """Go's ``fmt.Sprintf("%v", v)`` of a sops tree value: how sops writes a nested value into
    an INI key (a branch is a slice of ``{key value}`` items)."""
    if isinstance(v, Branch):
        return (
            "["
            + " ".join(f"{{{go_fmt_v(k)} {go_fmt_v(x)}}}" for k, x in v if not isinstance(k, Comment))
            + "]"
        )
    if isinstance(v, list):
        return "[" + " ".join(go_fmt_v(x) for x in v if not isinstance(x, Comment)) + "]"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return strconv.format_float(v, "g", -1)  # fmt's %v of a float64
    if isinstance(v, TimeValue):
        return v.text
    return str(v)


def go_rfc3339(t: TimeValue) -> str:
    """sops' ValToString of a time: ``time.RFC3339``, which drops fractional seconds."""
    date, sep, rest = t.text.partition("T")
    if not sep or "." not in rest:
        return t.text
    clock, _, frac_zone = rest.partition(".")
    zone = frac_zone.lstrip("0123456789")
    return f"{date}T{clock}{zone}"


def val_to_string(v: Any, *, nil: str = "") -> str:
    """sops' ``stores.ValToString``: how a non-string leaf becomes INI or dotenv text.

    Floats as ``'G'`` with ``.0`` kept, bools lowercase, times as RFC 3339, anything else as
    Go's ``%v``; ``nil`` is what a null becomes (INI writes nothing, dotenv Go's ``<nil>``).
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return go_val_float(v)
    if isinstance(v, TimeValue):
        return go_rfc3339(v)
    if isinstance(v, (Branch, list)):
        return go_fmt_v(v)
    return nil if v is None else str(v)


def _strip_comment_char(text: str) -> str:
    if text.startswith(";"):
        return text.lstrip("; ")
    if text.startswith("#"):
        return text.lstrip("# ")
    return text


def _surrounded(v: str, quote: str) -> bool:
    return len(v) >= 2 and v[0] == quote and v[-1] == quote and v.count(quote) == 2


def parse_value(raw: str) -> tuple[str, str]:
    """go-ini's value rules: ``\"\"\"``/backtick quoting, inline ``#``/``;`` comments, then
    surrounding quotes. Returns (value, inline comment or "")."""
    line = raw.lstrip()
    for quote in ('"""', "`"):
        if line.startswith(quote) and (quote == "`" or len(line) > 3):
            end = line.rfind(quote, len(quote))
            if end >= 0:
                return line[len(quote) : end], ""
    line = line.strip()
    comment = ""
    cut = min((i for i in (line.find("#"), line.find(";")) if i >= 0), default=-1)
    if cut >= 0:
        comment = line[cut:]
        line = line[:cut].strip()
    if _surrounded(line, "'") or _surrounded(line, '"'):
        line = line[1:-1]
    return line, comment


def quote_value(text: str) -> str:
    """go-ini's writer: triple quotes for newlines/backticks, backticks for comment chars,
    double quotes for surrounding spaces."""
    if "\n" in text or "`" in text:
        return f'"""{text}"""'
    if "#" in text or ";" in text:
        return f"`{text}`"
    if text != text.strip():
        return f'"{text}"'
    return text


def _open_quote(rest: str, last_line: bool) -> str:
    """The quote a value opens without closing it on its line (go-ini's readMultilines), or ""."""
    value = rest.lstrip()
    for quote in ('"""', "`"):
        # go-ini sees the line with its newline: '"""' alone at the end of a line opens a value
        long_enough = len(value) > 3 or (quote == '"""' and value == quote and not last_line)
        if value.startswith(quote) and (quote == "`" or long_enough):
            return "" if value.find(quote, len(quote)) >= 0 else quote
    return ""


def _read_multiline(first: str, quote: str, lines: list[str], start: int, n: int) -> tuple[str, str, int]:
    """Continue a ``\"\"\"``/backtick value over the following lines, keeping their newlines as
    go-ini does (sops 3.13.0 and 3.13.1 write INI metadata such as age's ``enc`` this way).
    Returns (value, inline comment after the closing quote, index of the next line)."""
    value = first
    i = start
    while i < len(lines):
        nxt = lines[i]
        i += 1
        pos = nxt.rfind(quote)
        if pos >= 0:
            tail = nxt[pos:]
            cut = min((c for c in (tail.find("#"), tail.find(";")) if c >= 0), default=-1)
            return value + nxt[:pos], tail[cut:].strip() if cut >= 0 else "", i
        value += nxt
    raise InvalidFormat(f"INI: the value opened with {quote} on line {n} is never closed")


def parse_ini(data: bytes) -> Branch:
    text = data.decode("utf-8", "surrogateescape")
    sections: list[tuple[str, Branch, list[str]]] = [(DEFAULT_SECTION, Branch(), [])]
    pending: list[str] = []
    raw_lines = text.splitlines(keepends=True)
    i = 0
    while i < len(raw_lines):
        raw_line = raw_lines[i]
        i += 1
        n = i
        raw = raw_line.rstrip("\r\n")
        line = raw.strip()
        if not line:
            continue
        if line[0] in ";#":
            pending.append(line)
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise InvalidFormat(f"INI: unclosed section header on line {n}")
            name = line[1:-1].strip()
            sec = Branch()
            if pending:
                sec.append((Comment(_strip_comment_char("\n".join(pending))), None))
                pending = []
            sections.append((name, sec, []))
            continue
        pos = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if pos <= 0:
            raise InvalidFormat(f"INI: line {n} is not 'key = value'")
        key = line[:pos].strip()
        rest = raw.lstrip()[pos + 1 :]
        quote = _open_quote(rest, last_line=i == len(raw_lines) and raw == raw_line)
        if quote:
            first = rest.lstrip()[len(quote) :] + raw_line[len(raw) :]
            value, inline, i = _read_multiline(first, quote, raw_lines, i, n)
        else:
            value, inline = parse_value(line[pos + 1 :])
        branch = sections[-1][1]
        branch.append((key, value))
        if inline:
            pending.append(inline)
        if pending:
            branch.append((Comment(_strip_comment_char("\n".join(pending))), None))
            pending = []
    return Branch((name, b) for name, b, _ in sections)


def _comment_lines(text: str, indent: str = "") -> list[str]:
    out = []
    for line in text.split("\n"):
        if line[:1] in ("#", ";"):
            out.append(line[:1] + " " + line[1:].strip())
        else:
            out.append("; " + line.strip())
    return out


def emit_ini(branch: Branch) -> str:
    chunks: list[str] = []
    carry: list[str] = []  # comments of an empty leading default section
    index = -1
    for name, sec in branch:
        if isinstance(name, Comment):
            continue
        if not isinstance(sec, Branch):
            raise InvalidFormat("INI: every top-level value must be a section")
        index += 1
        lines: list[str] = carry
        carry = []
        items = list(sec)
        if items and isinstance(items[0][0], Comment):
            lines.extend(_comment_lines(items[0][0].value))
            items = items[1:]
        keys = [k for k, _ in items if not isinstance(k, Comment)]
        # go-ini: only the implicit first section goes without a header; an explicit
        # [DEFAULT] later in the file (sops keeps both) is written with its header
        if index == 0 and name == DEFAULT_SECTION:
            if not keys:
                carry = lines
                continue
        else:
            lines.append(f"[{name}]")
        width = max((len(k) for k in keys), default=0)
        # a comment item belongs to the key before it and is written above that key
        entries: list[tuple[str, Any, str | None]] = []
        for k, v in items:
            if isinstance(k, Comment):
                if entries:
                    key, val, _ = entries[-1]
                    entries[-1] = (key, val, k.value)
                continue
            entries.append((k, v, None))
        for key, val, comment in entries:
            if comment is not None:
                lines.extend(_comment_lines(comment))
            text = quote_value(val_to_string(val))
            lines.append(f"{key.ljust(width)} = {text}")
        chunks.append("\n".join(lines) + "\n")
    if carry:
        chunks.append("\n".join(carry) + "\n")
    return "\n".join(chunks)


class IniStore(Store):
    name = "ini"
    extensions = (".ini",)

    def load_plain(self, data: bytes) -> list[Branch]:
        return [parse_ini(data)]

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Any]:
        branch = parse_ini(data)
        out = Branch()
        meta = None
        for k, v in branch:
            if k == METADATA_KEY:
                flat = {kk: vv for kk, vv in v if not isinstance(kk, Comment)}
                meta = fl.unflatten(fl.decode_from_text(flat))
            else:
                out.append((k, v))
        return [out], meta

    def emit_plain(self, branches: list[Branch]) -> bytes:
        return emit_ini(branches[0] if branches else Branch()).encode("utf-8", "surrogateescape")

    def emit_encrypted(self, branches: list[Branch], metadata: dict[str, Any]) -> bytes:
        flat = fl.encode_for_text(fl.flatten(metadata))
        b = Branch(branches[0] if branches else [])
        b.append((METADATA_KEY, Branch(sorted(flat.items()))))
        return self.emit_plain([b])

    def emit_value(self, value: Any) -> bytes:
        import json

        if isinstance(value, Branch):
            return emit_ini(value).encode()
        return json.dumps(value).encode()
