"""go-yaml v3 as sops uses it: how a plain scalar resolves, and how a scalar is written.

sops reads and writes YAML with go-yaml v3 into ``interface{}``: plain scalars resolve by the
YAML 1.2 core schema plus go-yaml's timestamps and old octals, and on output a string that
would read back as another type (including YAML 1.1's ``yes``/``on``) is quoted. Which style a
string gets (plain, single-quoted, double-quoted, ``|`` block) follows libyaml
(:mod:`secretsops.golang.libyaml`). The block layout of a whole document (indentation,
comments, ``? key`` forms) is the sops store's (:mod:`secretsops.sops.formats.yaml`), which
writes every scalar through this module.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import date

from secretsops.golang import strconv
from secretsops.golang.libyaml import BREAKS, analyze, escape

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

# --- resolution (resolve.go: what a plain scalar becomes in an interface{}) ------------------

INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$|^0x[0-9a-fA-F_]+$|^0o[0-7_]+$|^0b[01_]+$")
FLOAT = re.compile(
    r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$"
)
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
NULL = {"", "~", "null", "Null", "NULL"}
#: strings go-yaml quotes so YAML 1.1 readers do not take them for something else
AMBIGUOUS = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$"
    r"|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$"
    r"|^[-+]?0[0-7_]+$"
    r"|^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$"
)
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?)?$"
)
INT64_RANGE = (-(2**63), 2**63 - 1)


def timestamp(text: str) -> str | None:
    """The RFC 3339 (nano) text go-yaml gives a plain timestamp, or None when it is not one."""
    m = _TIMESTAMP.match(text)
    if m is None:
        return None
    year, month, day, t_sep, space_sep, hh, mm, ss, frac, zone = m.groups()
    if (t_sep and zone is None) or (space_sep and zone is not None):
        return None  # go-yaml's layouts: T needs a zone, a space allows none
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


# --- output (encode.go + libyaml's emitter) ---------------------------------------------------

#: a plain word that needs no analysis (the bulk of a Secret's keys and values)
SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z")
#: plain words go-yaml still quotes: they would read back as bool or null (in YAML 1.1 too)
RESERVED = frozenset(BOOL) | NULL | frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())


def format_float(v: float) -> str:
    """go-yaml's float text: ``strconv.FormatFloat(v, 'g', -1, 64)`` plus YAML's inf/nan."""
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    return strconv.format_float(v, "g", -1)


def _type_ambiguous(s: str) -> bool:
    return bool(
        s in NULL
        or s in BOOL
        or AMBIGUOUS.match(s)
        or INT.match(s)
        or FLOAT.match(s)
        or timestamp(s) is not None
    )


def _plain_ok(s: str) -> bool:
    """libyaml's block-plain rules plus go-yaml's type check (no string that reads as another type)."""
    if SIMPLE.match(s):
        return s not in RESERVED
    if not s:
        return False
    return analyze(s).plain and not _type_ambiguous(s)


def _has_surrogates(s: str) -> bool:
    """Lone surrogates (bytes that were not UTF-8): the only code points UTF-8 cannot encode."""
    if s.isascii():
        return False
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def literal_ok(s: str) -> bool:
    """go-yaml writes strings with a newline as ``|`` blocks when libyaml allows it."""
    return "\n" in s and analyze(s).block and not _has_surrogates(s)


def literal_block(s: str, pad: str, step: int) -> str:
    """A ``|`` block with libyaml's hints (indentation digit, then chomping), lines at ``pad``."""
    hint = str(step) if s[0] in " \n" else ""
    if not s.endswith("\n"):
        chomp = "-"
    elif len(s) == 1 or s[-2] == "\n":
        chomp = "+"
    else:
        chomp = ""
    body = s[:-1] if s.endswith("\n") else s
    lines = "\n".join((pad + ln) if ln else "" for ln in body.split("\n"))
    return f"|{hint}{chomp}\n{lines}"


def simple_key(k: Any) -> bool:
    """libyaml writes a key longer than 128 bytes, or one with a line break, as ``? key``."""
    if not isinstance(k, str):
        return True
    return len(k.encode("utf-8", "surrogateescape")) <= 128 and not any(c in BREAKS for c in k)


def _single_quoted(v: str, indent: int) -> str:
    """libyaml's single-quoted style: after a line break character (not ``\\n``: such values
    are never single-quoted here) it writes the indentation before the next character."""
    out = ["'"]
    after_break = False
    for ch in v:
        if ch in BREAKS:
            out.append(ch)
            after_break = True
            continue
        if after_break:
            out.append(" " * indent)
            after_break = False
        out.append("''" if ch == "'" else ch)
    out.append("'")
    return "".join(out)


def double_quoted(v: str) -> str:
    """libyaml's double-quoted style: its escapes, upper-case hex for the rest."""
    out = ['"']
    for ch in v:
        esc = escape(ch)
        out.append(esc if esc is not None else ch)
    out.append('"')
    return "".join(out)


def string(v: str, indent: int = 0) -> str:
    """A string scalar in the style go-yaml v3 picks outside a ``|`` block (``indent``: its column)."""
    if SIMPLE.match(v):  # the common case: a plain word, unless it reads as another type
        return v if v not in RESERVED else double_quoted(v)
    if v == "<<":  # go-yaml resolves it to the merge tag and writes the tag out
        return "!!merge <<"
    if _has_surrogates(v):  # not UTF-8: go-yaml writes the bytes as !!binary
        return "!!binary " + base64.b64encode(v.encode("utf-8", "surrogateescape")).decode()
    if "\n" not in v:
        if _plain_ok(v):
            return v
        if not _type_ambiguous(v) and analyze(v).single:
            if any(c in BREAKS for c in v):
                return _single_quoted(v, indent)
            return "'" + v.replace("'", "''") + "'"
    return double_quoted(v)
