"""``secretsops check --fix``: re-encrypt, in place, a SOPS file whose values were decrypted by hand.

``secretsops decrypt -i`` (like sops) refuses such a file: a value that should be ``ENC[...]`` is
not, so the tree does not decrypt and nothing that decrypts first (``edit``, ``set``, ``rotate``)
can repair it. Here the file is opened with its own data key, values that are already plaintext
are taken as they are, and the file is written again with every value its rules require
encrypted and a new MAC. Nothing plaintext is written: the result is checked in memory, with the
same detectors as ``check``, before it replaces the file.

Which rules: the crypt options of the creation rule that covers the file, when it sets any
(then it may require more than the file's metadata), else the file's own; for a Secret whose data
both leave in plaintext, ``encrypted_regex: ^(data|stringData)$``. A value that was encrypted
is never written in plaintext: a choice of rules that would do so is refused. The MAC is not
verified (the file was changed by hand, so it cannot match); that is why the value must be
rotated and the diff reviewed.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

from secretsops.check.detectors.secrets import KubernetesSecrets
from secretsops.check.detectors.sops_files import SopsFiles
from secretsops.check.scanfile import ScanFile
from secretsops.check.sopsconfig import CreationRule
from secretsops.errors import CheckError, SecretsOpsError
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import DecryptedTree, load_encrypted, reencrypt
from secretsops.sops.cipher import Cipher, is_encrypted_value, to_bytes
from secretsops.sops.datakey import unwrap_data_key
from secretsops.sops.formats.registry import formats
from secretsops.sops.tree import CryptRules, decrypt_branches

SECRET_DATA_REGEX = "^(data|stringData)$"
#: findings that mean "this SOPS file still has plaintext it should not"
_LEFT_OVER = frozenset({"sops-partially-decrypted", "sops-metadata-broken", "k8s-secret-plaintext"})


@dataclasses.dataclass
class _LenientCipher(Cipher):
    """Decrypts ENC values and takes plaintext ones as they are; records which paths were which."""

    was_encrypted: set[str] = dataclasses.field(default_factory=set)
    was_plaintext: int = 0
    written_encrypted: set[str] = dataclasses.field(default_factory=set)

    def decrypt_with_bytes(self, text: str, aad: str, where: str = "") -> tuple[Any, bytes]:
        if text != "" and not is_encrypted_value(text):
            self.was_plaintext += 1
            return text, to_bytes(text)
        if text != "":
            self.was_encrypted.add(aad)
        return super().decrypt_with_bytes(text, aad, where)

    def encrypt(self, value: Any, aad: str) -> str:
        self.written_encrypted.add(aad)
        return super().encrypt(value, aad)


@dataclasses.dataclass
class Result:
    path: Path
    #: values that were plaintext and are now encrypted (they were readable: rotate them)
    reencrypted: int


def _crypt_rules(rule: CreationRule, base: CryptRules) -> CryptRules:
    r = rule.rules
    return CryptRules(
        unencrypted_suffix=r.unencrypted_suffix,
        encrypted_suffix=r.encrypted_suffix,
        unencrypted_regex=r.unencrypted_regex,
        encrypted_regex=r.encrypted_regex,
        unencrypted_comment_regex=r.unencrypted_comment_regex,
        encrypted_comment_regex=r.encrypted_comment_regex,
        mac_only_encrypted=base.mac_only_encrypted,
    )


def _clean(output: bytes, shown: str, rule: CreationRule | None) -> bool:
    """Whether check finds nothing left to re-encrypt in ``output`` (judged in memory)."""
    name = Path(shown).name
    file = ScanFile(name, output.decode("utf-8", "replace"), sops_rule=rule)
    for detector in (SopsFiles(), KubernetesSecrets()):
        detector.scan(file)
    return not any(f.rule in _LEFT_OVER for f in file.findings)


def reencrypt_file(path: Path, *, shown: str, ctx: KeyContext, rule: CreationRule | None) -> Result:
    """Re-encrypt the plaintext values of the SOPS file at ``path`` in place (see the module doc)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckError(f"{shown}: cannot read ({exc.strerror})") from None
    fmt = formats().for_path(str(path))
    try:
        probe = load_encrypted(data, fmt, where=shown)
    except SecretsOpsError as exc:
        raise CheckError(f"{shown}: not a SOPS file this fix can open ({exc})") from None
    base = probe.metadata.rules
    candidates = [base]
    if rule is not None and rule.declares_options:
        candidates.insert(0, _crypt_rules(rule, base))
    candidates.append(dataclasses.replace(CryptRules(), encrypted_regex=SECRET_DATA_REGEX,
                                          mac_only_encrypted=base.mac_only_encrypted))  # fmt: skip
    try:
        data_key = unwrap_data_key(probe.metadata, ctx)
    except SecretsOpsError as exc:
        raise CheckError(f"{shown}: cannot open the data key: {exc}") from None
    for rules in candidates:
        ef = load_encrypted(data, fmt, where=shown)
        cipher = _LenientCipher(data_key)
        try:
            decrypt_branches(ef.branches, cipher, ef.metadata.rules)
        except SecretsOpsError as exc:
            raise CheckError(f"{shown}: cannot re-encrypt: {str(exc).split(': ', 1)[-1]}") from None
        ef.metadata.rules = rules
        output = reencrypt(DecryptedTree(ef.branches, ef.metadata, data_key, cipher, fmt), in_place=True)
        if not cipher.was_encrypted <= cipher.written_encrypted:
            continue  # these rules would write a value that was encrypted in plaintext
        if _clean(output, shown, rule):
            _replace(path, output)
            return Result(path, cipher.was_plaintext)
    raise CheckError(
        f"{shown}: no encryption rules (the creation rule's, the file's, ^(data|stringData)$) encrypt every "
        "value that must be without writing an encrypted one in plaintext; decrypt and re-encrypt it by hand"
    )


def _replace(path: Path, data: bytes) -> None:
    """Atomically, keeping the file's mode (the bytes are ciphertext)."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".secretsops-fix-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
