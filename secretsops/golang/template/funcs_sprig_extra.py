"""The rest of ESO's vendored sprig: decimal float math, must* variants, random strings,
URL helpers, OS path aliases, AES and htpasswd(sha). Registered into the same table."""

from __future__ import annotations

import base64
import hashlib
import math
import os
import posixpath
import secrets
import string
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .funcs import ANY, INT, MAP, STRING, FuncError, gobytes, gostr
from .funcs_sprig import (
    _base,
    _clean,
    _dir,
    _ext,
    _to_pretty_json,
    _to_raw_json,
    reg,
    to_float64,
)
from .funcs_sprig_collections import (
    _chunk,
    _compact,
    _deep_copy,
    _first,
    _has,
    _initial,
    _last,
    _merge,
    _merge_overwrite,
    _prepend,
    _rest,
    _reverse,
    _sprig_slice,
    _uniq,
    _without,
)
from .values import go_type_name

# --- float math on decimals (shopspring/decimal, as sprig does) -------------------------------


def _dec(v: Any) -> Decimal:
    f = to_float64(v)
    return Decimal(repr(f)) if math.isfinite(f) else Decimal(0)


def _decimal_op(first: Any, rest: tuple[Any, ...], op: str) -> float:
    acc = _dec(first)
    with localcontext() as ctx:
        ctx.prec = 60
        for v in rest:
            d = _dec(v)
            if op == "+":
                acc += d
            elif op == "-":
                acc -= d
            elif op == "*":
                acc *= d
            else:
                try:
                    acc = (acc / d).quantize(Decimal("1e-16"), rounding=ROUND_HALF_UP)
                except (DivisionByZero, InvalidOperation):
                    raise FuncError("decimal division by 0") from None
    return float(acc)


reg("addf", ANY, variadic=True)(lambda *v: _decimal_op(0.0, v, "+"))
reg("add1f", ANY)(lambda v: _decimal_op(v, (1,), "+"))
reg("subf", ANY, ANY, variadic=True)(lambda a, *v: _decimal_op(a, v, "-"))
reg("mulf", ANY, ANY, variadic=True)(lambda a, *v: _decimal_op(a, v, "*"))
reg("divf", ANY, ANY, variadic=True)(lambda a, *v: _decimal_op(a, v, "/"))
reg("maxf", ANY, ANY, variadic=True)(lambda a, *v: max([to_float64(a)] + [to_float64(x) for x in v]))
reg("minf", ANY, ANY, variadic=True)(lambda a, *v: min([to_float64(a)] + [to_float64(x) for x in v]))

# --- must* variants: the same function, failing the template instead of returning junk ---------

for _name, _fn, _params in [
    ("mustFirst", _first, (ANY,)), ("mustLast", _last, (ANY,)), ("mustRest", _rest, (ANY,)),
    ("mustInitial", _initial, (ANY,)), ("mustReverse", _reverse, (ANY,)), ("mustUniq", _uniq, (ANY,)),
    ("mustCompact", _compact, (ANY,)), ("mustHas", _has, (ANY, ANY)), ("mustPrepend", _prepend, (ANY, ANY)),
    ("mustChunk", _chunk, (INT, ANY)), ("mustDeepCopy", _deep_copy, (ANY,)),
    ("mustToPrettyJson", _to_pretty_json, (ANY,)), ("mustToRawJson", _to_raw_json, (ANY,)),
]:
    reg(_name, *_params)(_fn)
reg("mustWithout", ANY, ANY, variadic=True)(_without)
reg("mustSlice", ANY, ANY, variadic=True)(_sprig_slice)
reg("mustMerge", MAP, MAP, variadic=True)(_merge)
reg("mustMergeOverwrite", MAP, MAP, variadic=True)(_merge_overwrite)

# --- strings ------------------------------------------------------------------------------------


@reg("hexdec", STRING)
def _hexdec(s: str) -> str:
    try:
        return gostr(bytes.fromhex(s)) if len(s) % 2 == 0 else "encoding/hex: odd length hex string"
    except ValueError:
        return "encoding/hex: invalid byte"


reg("trimall", STRING, STRING)(lambda cut, s: s.strip(cut))


@reg("abbrevboth", INT, INT, STRING)
def _abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7) or len(s) <= right:
        return s
    if left <= 4:
        return s[: right - 3] + "..."
    if left + right - 3 < len(s):
        s = "..." + s[left:] if left > 0 else s
        return s[: right - 3] + "..." if len(s) > right else s
    return "..." + s[len(s) - (right - 3) :]


def _rand(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(max(n, 0)))


reg("randAlphaNum", INT)(lambda n: _rand(string.ascii_letters + string.digits, n))
reg("randAlpha", INT)(lambda n: _rand(string.ascii_letters, n))
reg("randNumeric", INT)(lambda n: _rand(string.digits, n))
reg("randAscii", INT)(lambda n: _rand("".join(chr(c) for c in range(32, 127)), n))
reg("randBytes", INT)(lambda n: base64.b64encode(os.urandom(max(n, 0))).decode())


@reg("randInt", INT, INT)
def _rand_int(lo: int, hi: int) -> int:
    if hi - lo <= 0:
        raise FuncError("invalid argument to Intn")
    return lo + secrets.randbelow(hi - lo)


@reg("shuffle", STRING)
def _shuffle(s: str) -> str:
    chars = list(s)
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@reg("wrapWith", INT, STRING, STRING)
def _wrap_with(width: int, sep: str, s: str) -> str:
    import textwrap

    return sep.join(textwrap.wrap(s, max(width, 1), break_long_words=True)) if s else s


reg("deepEqual", ANY, ANY)(lambda a, b: type(a) is type(b) and a == b)
reg("typeIsLike", STRING, ANY)(lambda t, v: go_type_name(v) in (t, "*" + t))

# --- paths (Linux: filepath == path) --------------------------------------------------------------

reg("osBase", STRING)(_base)
reg("osDir", STRING)(_dir)
reg("osClean", STRING)(_clean)
reg("osExt", STRING)(_ext)
reg("osIsAbs", STRING)(posixpath.isabs)

# --- URLs ---------------------------------------------------------------------------------------


@reg("urlParse", STRING)
def _url_parse(s: str) -> dict[str, Any]:
    u = urllib.parse.urlsplit(s)
    userinfo, _, hostport = u.netloc.rpartition("@")
    return {
        "scheme": u.scheme, "host": hostport, "hostname": u.hostname or "",
        "path": urllib.parse.unquote(u.path), "query": u.query, "opaque": "", "fragment": u.fragment,
        "userinfo": userinfo,
    }


@reg("urlJoin", MAP)
def _url_join(d: dict[str, Any]) -> str:
    def get(k: str) -> str:
        v = d.get(k, "")
        if not isinstance(v, str):
            raise FuncError(f"unable to parse {k} key, must be of type string, but {go_type_name(v)} found")
        return v

    netloc = get("host")
    if get("userinfo"):
        netloc = get("userinfo") + "@" + netloc
    path = urllib.parse.quote(get("path"), safe="/:@!$&'()*+,;=-._~")
    return urllib.parse.urlunsplit((get("scheme"), netloc, path, get("query"), get("fragment")))


# --- crypto -------------------------------------------------------------------------------------


def _aes_key(password: str) -> bytes:
    return gobytes(password)[:32].ljust(32, b"\0")


@reg("encryptAES", STRING, STRING)
def _encrypt_aes(password: str, plaintext: str) -> str:
    if plaintext == "":
        return ""
    content = gobytes(plaintext)
    pad = 16 - len(content) % 16
    content += bytes([pad]) * pad
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(content) + enc.finalize()).decode()


@reg("decryptAES", STRING, STRING)
def _decrypt_aes(password: str, crypt64: str) -> str:
    if crypt64 == "":
        return ""
    try:
        crypt = base64.b64decode(crypt64, validate=True)
    except ValueError:
        raise FuncError("illegal base64 data at input byte 0") from None
    if len(crypt) < 16 or len(crypt) % 16 != 0:
        raise FuncError("crypto/cipher: input not full blocks")
    dec = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(crypt[:16])).decryptor()
    out = dec.update(crypt[16:]) + dec.finalize()
    if not out:
        raise FuncError("runtime error: index out of range [-1]")
    cut = len(out) - out[-1]
    if cut < 0:
        raise FuncError("runtime error: slice bounds out of range")  # the bound comes from data
    return gostr(out[:cut])


@reg("htpasswd", STRING, STRING, STRING)
def _htpasswd(user: str, password: str, algorithm: str) -> str:
    if ":" in user:
        return f"invalid username: {user}"
    if algorithm == "sha":
        return f"{user}:{{SHA}}" + base64.b64encode(hashlib.sha1(gobytes(password)).digest()).decode()  # noqa: S324
    raise FuncError("bcrypt is not supported by secretsops (use the \"sha\" algorithm)")

