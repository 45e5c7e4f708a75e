"""git merge and diff drivers for sops files: merge and review secrets without plaintext on disk.

``merge_files`` is a git merge driver (``%O %A %B %P``): it decrypts ancestor, ours and theirs
in memory, merges them key by key, and re-encrypts with ours' data key and metadata (values
that did not change keep their ciphertext; the MAC and ``lastmodified`` are new). Changes on
both sides to the same key are a conflict: ``%A`` stays as it was (ciphertext) and the
conflicting key paths are reported — conflict markers would put plaintext on disk.
Differences only in ``mac``/``lastmodified`` (or re-encryption with new IVs) never conflict.
A merged file is never weaker than either side: when the chosen crypt rules (say one branch
narrowed ``encrypted_regex``) would leave plaintext a value that either side held encrypted,
the merge conflicts and names those key paths instead of writing it.

``textconv`` is a git ``diff.<driver>.textconv``: one line per value (``["a"]["b"]: value``),
or with ``redact`` a short keyed fingerprint instead of each encrypted value, for reviews. Its
header lists the recipients and the crypt rules, so a diff shows a change of either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops import git
from secretsops.errors import (
    CouldNotReadInputFile,
    CouldNotWriteOutputFile,
    InputError,
    MetadataNotFound,
    NoKeyRetrieved,
    SecretsOpsError,
)
from secretsops.keysources.base import KeyContext
from secretsops.sops.api import (
    DataKeyCache,
    DecryptedTree,
    EncryptedFile,
    decrypt_tree,
    load_encrypted,
    reencrypt,
)
from secretsops.sops.cipher import Cipher, Comment, TimeValue, is_encrypted_value
from secretsops.sops.datakey import unwrap_data_key
from secretsops.sops.formats import format_for_path
from secretsops.sops.metadata import CRYPT_FIELDS
from secretsops.sops.tree import Branch

DRIVER_NAME = "secretsops"
DEFAULT_PATTERNS = ("*.sops.yaml", "*.sops.yml", "*.sops.json", "*.sops.env", "*.sops.ini")
_MISSING: Any = object()


class MergeConflict(SecretsOpsError):
    """Both sides changed the same keys differently; ``paths`` lists them (never values)."""

    def __init__(self, where: str, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        more = f" (+{len(self.paths) - 20} more)" if len(self.paths) > 20 else ""
        shown = ", ".join(self.paths[:20]) + more
        super().__init__(
            f"{where}: merge conflict in {len(self.paths)} key(s): {shown}; "
            "resolve with `secretsops edit` and commit the result"
        )


# --- reading the three versions ---------------------------------------------------------------


@dataclass
class _KeyRing:
    """Data keys by the wrapped-key stanzas that hold them: three versions, usually one unwrap."""

    ctx: KeyContext
    by_stanzas: dict[str, bytes] = field(default_factory=dict)

    def decrypt(self, ef: EncryptedFile, where: str) -> DecryptedTree:
        sig = json.dumps(
            [[k.to_metadata() for k in g] for g in ef.metadata.key_groups], sort_keys=True, default=str
        )
        key = self.by_stanzas.get(sig)
        if key is None:
            key = unwrap_data_key(ef.metadata, self.ctx)
            self.by_stanzas[sig] = key
        cache = DataKeyCache()
        cache.put(ef.metadata, key)
        return decrypt_tree(ef, ctx=self.ctx, cache=cache, where=where)


def _read(path: Path, label: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise CouldNotReadInputFile(f"cannot read the {label} version {path}") from None


# --- three-way merge of plaintext trees -------------------------------------------------------


def path_label(path: Sequence[str | int]) -> str:
    """sops' ``--extract`` syntax (``["data"]["password"]``, ``[0]`` for list items)."""
    return "".join(f"[{p}]" if isinstance(p, int) else f"[{json.dumps(p)}]" for p in path) or "<document>"


def same(a: Any, b: Any) -> bool:
    """Equality that keeps types apart (``1`` ≠ ``True`` ≠ ``1.0`` ≠ ``"1"``) and sees comments."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):  # Branch is a list of pairs
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def merge_value(base: Any, ours: Any, theirs: Any, path: list[str | int], conflicts: list[str]) -> Any:
    """Three-way merge of one value; mappings merge key by key, anything else whole."""
    if same(ours, theirs):
        return ours
    if base is not _MISSING and same(base, ours):
        return theirs
    if base is not _MISSING and same(base, theirs):
        return ours
    if isinstance(ours, Branch) and isinstance(theirs, Branch):
        return _merge_branch(base if isinstance(base, Branch) else Branch(), ours, theirs, path, conflicts)
    conflicts.append(path_label(path))
    return ours


def _entries(branch: Branch) -> dict[str, Any]:
    return {k: v for k, v in branch if not isinstance(k, Comment)}


def _merge_branch(
    base: Branch, ours: Branch, theirs: Branch, path: list[str | int], conflicts: list[str]
) -> Branch:
    b, o, t = _entries(base), _entries(ours), _entries(theirs)
    out = Branch()
    for k, v in ours:
        if isinstance(k, Comment):
            out.append((k, v))
            continue
        bv = b.get(k, _MISSING)
        if k in t:
            out.append((k, merge_value(bv, v, t[k], [*path, k], conflicts)))
        elif bv is _MISSING:
            out.append((k, v))  # added by ours
        elif not same(bv, v):
            conflicts.append(path_label([*path, k]))  # ours changed it, theirs deleted it
            out.append((k, v))
        # else: theirs deleted an unchanged key
    # keys only theirs has: added by theirs (insert after their predecessor), or deleted by ours
    pending_comments: list[tuple[Any, Any]] = []
    prev: str | None = None
    for k, v in theirs:
        if isinstance(k, Comment):
            pending_comments.append((k, v))
            continue
        if k not in o:
            bv = b.get(k, _MISSING)
            if bv is _MISSING:
                _insert_after(out, prev, [*pending_comments, (k, v)])
            elif not same(bv, v):
                conflicts.append(path_label([*path, k]))  # theirs changed it, ours deleted it
        pending_comments = []
        prev = k
    return out


def _insert_after(out: Branch, prev: str | None, items: list[tuple[Any, Any]]) -> None:
    idx = 0
    if prev is not None:
        for i, (k, _) in enumerate(out):
            if not isinstance(k, Comment) and k == prev:
                idx = i + 1
                break
        else:
            idx = len(out)
    out[idx:idx] = items


def merge_documents(
    base: list[Branch] | None, ours: list[Branch], theirs: list[Branch]
) -> tuple[list[Branch], list[str]]:
    """Merge lists of documents (multi-document YAML) index by index; returns (docs, conflicts)."""
    conflicts: list[str] = []
    base_docs = base or []
    if len(ours) == len(theirs):
        docs = []
        for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
            bv = base_docs[i] if i < len(base_docs) else _MISSING
            found: list[str] = []
            docs.append(merge_value(bv, o, t, [], found))
            conflicts.extend(found if len(ours) == 1 else [f"document {i}: {p}" for p in found])
        return docs, conflicts
    if base is not None and same(base, ours):
        return theirs, conflicts
    if base is not None and same(base, theirs):
        return ours, conflicts
    return ours, ["<number of documents>"]


def _key_signature(tree: DecryptedTree, *, wrapped: bool = True) -> str:
    """What the metadata says beyond MAC and date: recipients (with their wrapped data key when
    ``wrapped``, so a rotation counts as a change), Shamir threshold and encryption rules."""
    meta = tree.metadata
    groups = [[k.to_metadata() if wrapped else [k.kind, k.identifier] for k in g] for g in meta.key_groups]
    return json.dumps(
        {
            "groups": groups,
            "threshold": meta.shamir_threshold,
            "rules": {f: getattr(meta.rules, f) for f in vars(meta.rules) if not f.startswith("_")},
        },
        sort_keys=True,
        default=str,
    )


def _choose_metadata(
    base: DecryptedTree | None, ours: DecryptedTree, theirs: DecryptedTree
) -> DecryptedTree | None:
    """Whose metadata and data key the result keeps; None when both sides changed recipients.

    Three-way on the full metadata (a rotation on one side is kept); when both sides changed
    it but name the same recipients and rules (both rotated, or added the file twice), ours.
    """
    sig_o, sig_t = _key_signature(ours), _key_signature(theirs)
    if sig_o == sig_t:
        return ours
    sig_b = _key_signature(base) if base is not None else None
    if sig_b == sig_o:
        return theirs
    if sig_b == sig_t:
        return ours
    if _key_signature(ours, wrapped=False) == _key_signature(theirs, wrapped=False):
        return ours
    return None


@dataclass
class MergeResult:
    """What the merge did: ``written`` is False when ours was already the answer."""

    written: bool
    unwraps: int


def merge_files(
    base_path: Path,
    ours_path: Path,
    theirs_path: Path,
    name: str,
    *,
    ctx: KeyContext,
    fmt: str | None = None,
) -> MergeResult:
    """git merge driver: merge ``theirs`` into ``ours`` (written in place) or raise.

    Raises ``MergeConflict`` (ours untouched) when both sides changed a key differently.
    Nothing plain is ever written: the result is re-encrypted before it touches the disk.
    """
    fmt = fmt or format_for_path(name)
    base_b = _read(base_path, "ancestor") if base_path.exists() else b""
    ours_b = _read(ours_path, "ours")
    theirs_b = _read(theirs_path, "theirs")
    if theirs_b in (ours_b, base_b):
        return MergeResult(False, 0)
    if ours_b == base_b:
        _write_atomic(ours_path, theirs_b)
        return MergeResult(True, 0)
    ours_ef = load_encrypted(ours_b, fmt, where=f"{name} (ours)")
    theirs_ef = load_encrypted(theirs_b, fmt, where=f"{name} (theirs)")
    base_ef = load_encrypted(base_b, fmt, where=f"{name} (ancestor)") if base_b.strip() else None
    ring = _KeyRing(ctx)
    ours = ring.decrypt(ours_ef, f"{name} (ours)")
    theirs = ring.decrypt(theirs_ef, f"{name} (theirs)")
    base = ring.decrypt(base_ef, f"{name} (ancestor)") if base_ef is not None else None

    docs, conflicts = merge_documents(base.branches if base else None, ours.branches, theirs.branches)
    # recipients, crypt rules and the data key follow the same three-way rule as values
    chosen = _choose_metadata(base, ours, theirs)
    if chosen is None:
        conflicts.append("sops metadata (recipients, key groups or encryption rules)")
    if conflicts or chosen is None:
        raise MergeConflict(name, conflicts)
    other = theirs if chosen is ours else ours
    stash = dict(chosen.cipher.stash)
    if other.data_key == chosen.data_key:
        stash = {**other.cipher.stash, **stash}
    merged = DecryptedTree(docs, chosen.metadata, chosen.data_key, Cipher(chosen.data_key, stash), fmt)
    out = reencrypt(merged)
    weakened = _weakened_paths(
        _encrypted_paths(ours_ef) | _encrypted_paths(theirs_ef), load_encrypted(out, fmt, where=name)
    )
    if weakened:
        raise MergeConflict(name, [f"{p} (encrypted on one side, plaintext if merged)" for p in weakened])
    _write_atomic(ours_path, out)
    return MergeResult(True, len(ring.by_stanzas))


def _leaf_labels(ef: EncryptedFile) -> Iterator[tuple[str, bool]]:
    """(key path label, stored encrypted) of every value of an encrypted file (comments aside)."""
    many = len(ef.branches) > 1
    for di, doc in enumerate(ef.branches):
        for path, _value, encrypted, is_comment in _flatten(doc, doc, []):
            if not is_comment and path:
                label = path_label(path)
                yield (f"document {di}: {label}" if many else label), encrypted


def _encrypted_paths(ef: EncryptedFile) -> set[str]:
    return {label for label, encrypted in _leaf_labels(ef) if encrypted}


def _weakened_paths(encrypted_before: set[str], merged: EncryptedFile) -> list[str]:
    """Key paths some side kept encrypted that the merged file would store in plaintext."""
    return sorted({label for label, enc in _leaf_labels(merged) if not enc and label in encrypted_before})


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` (ciphertext only) so a crash never leaves half a file."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        raise CouldNotWriteOutputFile(f"cannot write the merged result to {path}") from None


# --- textconv (git diff) ----------------------------------------------------------------------


def _fingerprint_key(data_key: bytes) -> bytes:
    return hmac.new(data_key, b"secretsops diff fingerprint v1", hashlib.sha256).digest()


def _show(value: Any) -> str:
    if isinstance(value, TimeValue):
        return value.text
    if isinstance(value, bytes):
        return json.dumps(value.decode("utf-8", "surrogateescape"))
    return json.dumps(value, ensure_ascii=False)


def _flatten(
    plain: Any, enc: Any, path: list[str | int]
) -> Iterator[tuple[list[str | int], Any, bool, bool]]:
    """(path, plain value, was encrypted, is comment) for every leaf, walking both trees."""
    if isinstance(plain, Branch):
        enc_b = enc if isinstance(enc, Branch) else Branch()
        enc_items = list(enc_b)
        for i, (k, v) in enumerate(plain):
            ek, ev = enc_items[i] if i < len(enc_items) else (None, None)
            if isinstance(k, Comment):
                yield path, k.value, isinstance(ek, Comment) and is_encrypted_value(ek.value), True
            else:
                yield from _flatten(v, ev, [*path, k])
        if not plain:
            yield path, {}, False, False
    elif isinstance(plain, list):
        enc_l = enc if isinstance(enc, list) else []
        index = 0  # items only: comments in a list do not shift the indices users see
        for i, v in enumerate(plain):
            ev = enc_l[i] if i < len(enc_l) else None
            if isinstance(v, Comment):
                yield path, v.value, isinstance(ev, Comment) and is_encrypted_value(ev.value), True
            else:
                yield from _flatten(v, ev, [*path, index])
                index += 1
        if not plain:
            yield path, [], False, False
    else:
        yield path, plain, isinstance(enc, str) and is_encrypted_value(enc), False


def textconv(data: bytes, name: str, *, ctx: KeyContext, redact: bool = False, fmt: str | None = None) -> str:
    """The key-level view git diffs. Files without sops metadata are shown as they are.

    ``redact`` prints ``<fp 1a2b3c4d>`` (an HMAC keyed by the file's data key) instead of each
    encrypted value; without any key it falls back to a hash of the ciphertext (``<enc …>``),
    which changes whenever a value is re-encrypted.
    """
    fmt = fmt or format_for_path(name)
    try:
        ef = load_encrypted(data, fmt, where=name)
    except (MetadataNotFound, CouldNotReadInputFile, InputError):
        return data.decode("utf-8", "replace")
    meta = ef.metadata
    lines = [f"# sops-encrypted {fmt} file (version {meta.version})"]
    for gi, group in enumerate(meta.key_groups):
        for key in group:
            lines.append(
                f"# recipient{f' (group {gi})' if len(meta.key_groups) > 1 else ''}: "
                f"{key.kind} {key.identifier}"
            )
    if meta.shamir_threshold:
        lines.append(f"# shamir_threshold: {meta.shamir_threshold}")
    for rule in CRYPT_FIELDS:
        if getattr(meta.rules, rule, ""):
            lines.append(f"# {rule}: {getattr(meta.rules, rule)}")
    if getattr(meta.rules, "mac_only_encrypted", False):
        lines.append("# mac_only_encrypted: true")
    try:
        tree = decrypt_tree(ef, ctx=ctx, where=name)
    except NoKeyRetrieved:
        if not redact:
            raise
        tree = None
        lines.append("# no key available: fingerprints are of the ciphertext")
    fp_key = _fingerprint_key(tree.data_key) if tree is not None else b""
    plain_docs = tree.branches if tree is not None else ef.branches
    for di, (doc, enc_doc) in enumerate(zip(plain_docs, ef.branches, strict=True)):
        if len(plain_docs) > 1:
            lines.append(f"--- # document {di}")
        for path, value, encrypted, is_comment in _flatten(doc, enc_doc, []):
            label = path_label(path) if path else "<root>"
            if redact and encrypted:
                if tree is None:
                    digest = hashlib.sha256(str(value).encode()).hexdigest()[:8]
                    shown = f"<enc {digest}>"
                else:
                    msg = json.dumps([label, _show(value)]).encode()
                    shown = f"<fp {hmac.new(fp_key, msg, hashlib.sha256).hexdigest()[:8]}>"
            else:
                shown = _show(value)
            if is_comment:
                lines.append(f"{label} # {shown}" if redact and encrypted else f"{label} #{value}")
            else:
                lines.append(f"{label}: {shown}")
    return "\n".join(lines) + "\n"


# --- git-setup ---------------------------------------------------------------------------------


@dataclass
class GitSetup:
    """What ``git_setup`` changed, and what it leaves without a driver."""

    attributes_file: Path
    added_lines: list[str]
    config: dict[str, str]
    #: every pattern ``.gitattributes`` now sends to the drivers (this run's and earlier ones)
    patterns: list[str] = field(default_factory=list)
    #: tracked SOPS-encrypted files no pattern covers (git merges and diffs them as text)
    uncovered: list[str] = field(default_factory=list)


def git_setup(
    repo: Path, command: str, *, patterns: Sequence[str] = DEFAULT_PATTERNS, redact: bool = False
) -> GitSetup:
    """Add ``merge=secretsops diff=secretsops`` attributes and the matching ``git config`` entries.

    ``command`` is how git should run secretsops (quoted for a shell). ``diff.*.cachetextconv``
    is set to false: git would otherwise store the decrypted view in ``refs/notes/textconv``.
    """
    top = _git(repo, "rev-parse", "--show-toplevel").strip()
    root = Path(top)
    attrs = root / ".gitattributes"
    existing = attrs.read_text().splitlines() if attrs.exists() else []
    added = []
    for pattern in patterns:
        line = f"{pattern} merge={DRIVER_NAME} diff={DRIVER_NAME}"
        if line not in existing:
            added.append(line)
    if added:
        text = attrs.read_text() if attrs.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        attrs.write_text(text + "\n".join(added) + "\n")
    config = {
        f"merge.{DRIVER_NAME}.name": "secretsops: decrypt in memory, merge by key, re-encrypt",
        f"merge.{DRIVER_NAME}.driver": f"{command} merge-driver %O %A %B %P",
        f"diff.{DRIVER_NAME}.textconv": f"{command} diff-driver{' --redact' if redact else ''}",
        f"diff.{DRIVER_NAME}.cachetextconv": "false",
    }
    for k, v in config.items():
        _git(root, "config", "--local", k, v)
    suffix = f" merge={DRIVER_NAME} diff={DRIVER_NAME}"
    lines = attrs.read_text().splitlines()
    installed = [line.removesuffix(suffix) for line in lines if line.endswith(suffix)]
    return GitSetup(attrs, added, config, installed, uncovered_sops_files(root))


#: SOPS metadata as each store writes it (YAML/JSON ``sops`` key, dotenv ``sops_mac=``, INI ``[sops]``)
_SOPS_METADATA = (b"\nsops:", b'"sops":', b"\nsops_mac=", b"\n[sops]")
_MAX_SNIFF = 4 * 1024 * 1024


def uncovered_sops_files(root: Path) -> list[str]:
    """Files in the work tree (tracked, or new and not ignored) that are SOPS-encrypted but get no
    ``merge=secretsops`` driver.

    Encrypted files are told by their bytes (an ``ENC[AES256_GCM,`` value and sops metadata), not
    their names: a ``secrets.yaml`` written by sops is one, and it is what a user forgets to add.
    """
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    tracked = sorted({p for p in listed.split("\0") if p})
    found = [p for p in tracked if _is_sops_file(root / p)]
    uncovered: list[str] = []
    for start in range(0, len(found), 200):
        out = _git(root, "check-attr", "-z", "merge", "--", *found[start : start + 200])
        fields = out.split("\0")
        for path, _attr, value in zip(fields[0::3], fields[1::3], fields[2::3], strict=False):
            if value != DRIVER_NAME:
                uncovered.append(path)
    return uncovered


def _is_sops_file(path: Path) -> bool:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_SNIFF:
            return False
        data = b"\n" + path.read_bytes()
    except OSError:
        return False
    return b"ENC[AES256_GCM," in data and any(marker in data for marker in _SOPS_METADATA)


def _git(cwd: Path, *args: str) -> str:
    try:
        result = git.run(args, cwd=cwd, timeout=30)
    except git.GitNotRun as exc:
        raise InputError(f"cannot run git: {exc}") from None
    if not result.ok:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        msg = stderr.splitlines()[-1] if stderr else f"exit {result.returncode}"
        raise InputError(f"git {args[0]} failed in {cwd}: {msg}")
    return result.text
