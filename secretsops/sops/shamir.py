"""Shamir secret sharing over GF(2^8) (the AES field), share layout as sops writes it.

Each share is ``len(secret)+1`` bytes: the y values followed by the x coordinate (1..n).
"""

from __future__ import annotations

import os

from secretsops.errors import SopsError


def _mul(a: int, b: int) -> int:
    out = 0
    while b:
        if b & 1:
            out ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return out


_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x = _mul(_x, 3)
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("divide by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[(_LOG[a] - _LOG[b]) % 255]


def split(secret: bytes, parts: int, threshold: int) -> list[bytes]:
    if parts < threshold:
        raise SopsError("shamir: the number of key groups cannot be less than the threshold")
    if parts > 255 or threshold > 255:
        raise SopsError("shamir: at most 255 key groups are supported")
    if threshold < 2:
        raise SopsError("shamir: the threshold must be at least 2")
    if not secret:
        raise SopsError("shamir: cannot split an empty secret")
    shares = [bytearray(len(secret) + 1) for _ in range(parts)]
    for i in range(parts):
        shares[i][-1] = i + 1
    for idx, byte in enumerate(secret):
        coeffs = [byte, *os.urandom(threshold - 1)]
        for i in range(parts):
            x = i + 1
            y = 0
            for c in reversed(coeffs):
                y = mul(y, x) ^ c
            shares[i][idx] = y
    return [bytes(s) for s in shares]


def combine(shares: list[bytes]) -> bytes:
    if len(shares) < 2:
        raise SopsError("shamir: fewer than two parts cannot rebuild the data key")
    length = len(shares[0])
    if length < 2 or any(len(s) != length for s in shares):
        raise SopsError("shamir: the parts have different or too short lengths")
    xs = [s[-1] for s in shares]
    if len(set(xs)) != len(xs):
        raise SopsError("shamir: duplicate part detected")
    out = bytearray(length - 1)
    for idx in range(length - 1):
        result = 0
        for i, xi in enumerate(xs):
            basis = 1
            for j, xj in enumerate(xs):
                if i != j:
                    basis = mul(basis, div(xj, xi ^ xj))
            result ^= mul(shares[i][idx], basis)
        out[idx] = result
    return bytes(out)
