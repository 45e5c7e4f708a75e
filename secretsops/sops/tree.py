"""The in-memory document model shared by every store, and the walk that encrypts it.

A document is a ``Branch``: an ordered list of ``(key, value)`` pairs where a key may be a
``Comment`` (then the value is None). Values are str, int, float, bool, bytes, None, lists
and Branches. This mirrors sops' tree so paths, comment handling and the MAC line up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secretsops.errors import DecryptionFailed, InputError, TreeEncryptionFailed
from secretsops.sops.cipher import Cipher, Comment, is_encrypted_value, to_bytes

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any

try:  # CPython's builtin SHA-512: importing hashlib loads OpenSSL, ~3 ms of a small decrypt
    from _sha512 import sha512
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import sha512

MAC_ONLY_ENCRYPTED_INIT = bytes.fromhex("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69")
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


class Branch(list):  # type: ignore[type-arg]
    """A mapping that keeps order and comments: a list of (key, value) tuples."""

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self:
            if k == key:
                return v
        return default


@dataclass(repr=False, eq=False)  # neither is used; each generated method costs start-up time
class CryptRules:
    """Which leaves are encrypted (sops' suffix/regex options; at most one is set)."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""
    mac_only_encrypted: bool = False

    def __post_init__(self) -> None:
        self._compiled: dict[str, Any] = {}

    def _rx(self, pattern: str) -> Any:
        rx = self._compiled.get(pattern)
        if rx is None:
            from secretsops.golang import regexp  # only files with a regex crypt rule need it

            try:
                rx = regexp.matcher(pattern)
            except regexp.error:
                raise InputError(f"invalid regular expression {pattern!r} (RE2 syntax)") from None
            self._compiled[pattern] = rx
        return rx

    def should_encrypt(
        self, path: list[str], stack: list[list[str]], is_comment: bool, aad: str | None = None
    ) -> bool:
        """sops' shouldBeEncrypted; ``aad`` (the joined path) lets the common case skip the scan."""
        encrypted = True
        suffix = self.unencrypted_suffix
        if suffix and (aad is None or suffix + ":" in aad) and any(p.endswith(suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex:
            rx = self._rx(self.unencrypted_regex)
            if any(rx.search(p) for p in path):
                encrypted = False
        if self.encrypted_regex:
            rx = self._rx(self.encrypted_regex)
            encrypted = any(rx.search(p) for p in path)
        if self.unencrypted_comment_regex:
            rx = self._rx(self.unencrypted_comment_regex)
            if any(rx.search(c) for cs in stack for c in cs):
                encrypted = False
        if self.encrypted_comment_regex:
            rx = self._rx(self.encrypted_comment_regex)
            encrypted = False
            last_i = len(stack) - 1
            last_j = len(stack[-1]) - 1 if stack else -1
            for i, cs in enumerate(stack):
                for j, c in enumerate(cs):
                    if is_comment and i == last_i and j == last_j:
                        continue
                    if rx.search(c):
                        encrypted = True
                        break
                if encrypted:
                    break
        return encrypted


if TYPE_CHECKING:
    Leaf = Callable[[Any, list[str], list[list[str]]], Any]


def _walk_value(value: Any, path: list[str], stack: list[list[str]], leaf: Leaf) -> Any:
    if isinstance(value, Branch):
        return _walk_branch(value, path, stack, leaf)
    if isinstance(value, list):
        return _walk_list(value, path, stack, leaf)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    return leaf(value, path, stack)


def _walk_list(items: list[Any], path: list[str], stack: list[list[str]], leaf: Leaf) -> list[Any]:
    stack = [*stack, []]
    for i, v in enumerate(items):
        is_comment = isinstance(v, Comment)
        if is_comment:
            stack[-1].append(v.value)
        items[i] = _walk_value(v, path, stack, leaf)
        if not is_comment:
            stack[-1] = []
    return items


def _walk_branch(branch: Branch, path: list[str], stack: list[list[str]], leaf: Leaf) -> Branch:
    stack = [*stack, []]
    for i, (k, v) in enumerate(branch):
        if isinstance(k, Comment):
            stack[-1].append(k.value)
            new = leaf(k, path, stack)
            branch[i] = (new if isinstance(new, Comment) else Comment(str(new)), None)
            continue
        is_comment = isinstance(v, Comment)
        if is_comment:
            stack[-1].append(v.value)
        if not isinstance(k, str):
            raise InputError(
                f"only string keys are supported (found a {type(k).__name__} key at {path_str(path)})"
            )
        if v is None or isinstance(v, (Branch, list, bytes)):
            branch[i] = (k, _walk_value(v, [*path, k], stack, leaf))
        else:  # the common case, a scalar: skip one call
            branch[i] = (k, leaf(v, [*path, k], stack))
        if not is_comment:
            stack[-1] = []
    return branch


def path_str(path: list[str]) -> str:
    return "".join(f"[{p!r}]" for p in path) or "<root>"


def aad_of(path: list[str]) -> str:
    return ":".join(path) + ":"


def encrypt_branches(branches: list[Branch], cipher: Cipher, rules: CryptRules) -> str:
    """Encrypt every leaf in place; return the MAC (uppercase hex SHA-512) over the plaintexts."""
    h = sha512()
    if rules.mac_only_encrypted:
        h.update(MAC_ONLY_ENCRYPTED_INIT)

    def leaf(value: Any, path: list[str], stack: list[list[str]]) -> Any:
        is_comment = isinstance(value, Comment)
        aad = ":".join(path) + ":"
        enc = rules.should_encrypt(path, stack, is_comment, aad)
        if (not rules.mac_only_encrypted or enc) and not is_comment:
            h.update(to_bytes(value))
        if not enc:
            return value
        out = cipher.encrypt(value, aad)
        if is_comment:
            if rules.unencrypted_comment_regex and rules._rx(rules.unencrypted_comment_regex).search(out):
                raise TreeEncryptionFailed(  # sops: ErrorEncryptingTree (23)
                    "an encrypted comment matches unencrypted_comment_regex; choose a regex that "
                    "cannot match sops' ENC[...] markers"
                )
            return Comment(out)
        return out

    for b in branches:
        _walk_branch(b, [], [], leaf)
    return h.hexdigest().upper()


def decrypt_branches(branches: list[Branch], cipher: Cipher, rules: CryptRules) -> str:
    """Decrypt every encrypted leaf in place; return the MAC over the plaintexts.

    Comments that do not decrypt are kept as they are (older sops wrote them in the clear);
    a comment is tried with its container's path and then each ancestor's, so a comment a
    YAML parser attached one level off still opens (comments are outside the MAC).
    """
    h = sha512()
    if rules.mac_only_encrypted:
        h.update(MAC_ONLY_ENCRYPTED_INIT)

    # the default rule (only an unencrypted suffix) is decided inline, without a call
    suffix_only = bool(rules.unencrypted_suffix) and not (
        rules.encrypted_suffix
        or rules.unencrypted_regex
        or rules.encrypted_regex
        or rules.unencrypted_comment_regex
        or rules.encrypted_comment_regex
    )
    marker = rules.unencrypted_suffix + ":"

    def leaf(value: Any, path: list[str], stack: list[list[str]]) -> Any:
        is_comment = isinstance(value, Comment)
        aad = ":".join(path) + ":"
        if suffix_only and marker not in aad:
            enc = True
        else:
            enc = rules.should_encrypt(path, stack, is_comment, aad)
        out = value
        if enc:
            if is_comment:
                out = _decrypt_comment(cipher, value, path)
            elif isinstance(value, str):
                try:
                    out, canonical = cipher.decrypt_with_bytes(value, aad)
                except DecryptionFailed as exc:
                    raise DecryptionFailed(str(exc).replace(repr(aad), path_str(path))) from None
                if not isinstance(out, Comment):  # sops stores comments in lists as ENC items
                    h.update(canonical)
                return out
            else:
                raise DecryptionFailed(
                    f"value at {path_str(path)} should be encrypted but is not (tampered file?)"
                )
        if (not rules.mac_only_encrypted or enc) and not isinstance(out, Comment):
            h.update(to_bytes(out))
        return out

    for b in branches:
        _walk_branch(b, [], [], leaf)
    return h.hexdigest().upper()


def _decrypt_comment(cipher: Cipher, comment: Comment, path: list[str]) -> Comment:
    text = comment.value
    if not is_encrypted_value(text):
        return comment
    for n in range(len(path), -1, -1):
        try:
            out = cipher.decrypt(text, aad_of(path[:n]))
        except DecryptionFailed:
            continue
        return out if isinstance(out, Comment) else Comment(str(out))
    return comment
