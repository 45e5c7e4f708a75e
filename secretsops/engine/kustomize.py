"""Build kustomize trees as they are, then find where each SOPS ciphertext came from.

kustomize runs on the user's own tree (nothing is copied, nothing written): its output still
holds ciphertext in three shapes, each opened in memory afterwards with its MAC verified against
the bytes of the file it came from:

* a SOPS-encrypted object listed under ``resources:`` (Flux's layout), in the kustomization or
  in any base/component below it, possibly transformed (namespace, namePrefix, labels, patches):
  matched to its origin file by its MAC (``SopsOrigin``, opened by the ``sops`` decryptor);
* a ``secretGenerator`` ``files`` entry: kustomize copied the ciphertext file byte for byte
  into one data key, which decrypts as it is;
* the same for ``configMapGenerator`` entries, whose ConfigMap holds text instead of base64;
* a ``secretGenerator`` ``envs`` entry: kustomize split the SOPS dotenv file into keys
  (``sops_mac`` and friends among them) and lost the line order the MAC covers; the env file is
  found by its ``sops_mac`` among the generators' inputs and opened from its own bytes.

Origins are looked up by walking the kustomization's local closure (``resources``, ``bases``,
``components`` that are directories with a kustomization; generator inputs), from the directory
being built, wherever the working directory is and whether or not it is in a git work tree.
A remote base (a URL, ``github.com/…``, ``git::…``) is not read: a SOPS object from it opens only
if kustomize left every value as it was encrypted (its MAC then verifies over those values);
otherwise the error says it came from a remote base. See docs/kustomize.md.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.decryptors.sops import ORIGIN, UNLOCATED, SopsOrigin
from secretsops.engine.confine import ensure_inside
from secretsops.engine.proc import ProcessRunner
from secretsops.errors import InputError, RenderError
from secretsops.manifests import SourcedObject

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: ``SourcedObject.extra`` key: the SOPS material kustomize put into a generated Secret
GENERATED = "sops_generated"
_REFERENCE_FIELDS = ("resources", "bases", "components")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|git::|[a-z0-9-]+(?:\.[a-z0-9-]+)+/)", re.IGNORECASE)
_SOPS_DOTENV = re.compile(r"^sops_mac=", re.MULTILINE)
_DOTENV_MAC = re.compile(r"^sops_mac=(.*)$", re.MULTILINE)
_SOPS_INI = re.compile(r"^\[sops\]\s*$", re.MULTILINE)
#: a SOPS metadata block in YAML (``sops:`` at the start of a line) or JSON (``"sops": {``)
_SOPS_KEY = re.compile(r'^sops:[ \t]*$|"sops"\s*:\s*\{', re.MULTILINE)
#: the MAC line of a SOPS YAML/JSON document: ``mac: ENC[...]`` / ``"mac": "ENC[...]"``
_MAC = re.compile(r'^\s*"?mac"?\s*:\s*"?(ENC\[AES256_GCM,[^\]"\s]*\])', re.MULTILINE)


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def sops_format_for(path: str) -> str:
    """The SOPS store for a file name, as sops picks it (the formats registry: by extension)."""
    from secretsops.sops.formats import format_for_path

    return format_for_path(path)


def is_sops_text(text: str) -> bool:
    """True when ``text`` looks like a SOPS-encrypted file in any store (it carries a MAC).

    A cheap look at the text, not a parse (it runs on every value of every built Secret): a
    false positive fails decryption loudly, a false negative is caught by the emit guard.
    """
    if _SOPS_DOTENV.search(text) or _SOPS_INI.search(text):
        return True
    return bool(_MAC.search(text)) and bool(_SOPS_KEY.search(text))


def is_remote(entry: str) -> bool:
    """kustomize's remote forms: URLs, ``git@host:…``, ``git::…``, ``github.com/org/repo…``."""
    return bool(_REMOTE.match(entry))


def kustomize_command(runner: ProcessRunner) -> list[str]:
    """``kustomize build`` if installed, else ``kubectl kustomize``; a clear error otherwise."""
    path = runner.env.get("PATH")
    for tool, argv in (("kustomize", ["build"]), ("kubectl", ["kustomize"])):
        found = shutil.which(tool, path=path)
        if found:
            return [found, *argv]
    raise RenderError("kustomization found but neither `kustomize` nor `kubectl` is installed (PATH)")


def build(path: Path, runner: ProcessRunner, shown: str) -> str:
    """Run kustomize on ``path`` as it is; returns the rendered multi-document YAML (ciphertext)."""
    result = runner.run([*kustomize_command(runner), str(Path(path).absolute())])
    if result.returncode != 0:
        message = _first_error_line(result.stderr.decode("utf-8", "replace"))
        raise RenderError(f"{shown}: kustomize build failed: {message}")
    return result.stdout.decode("utf-8")


# --- where ciphertext came from ------------------------------------------------------------------


@dataclass
class Origins:
    """SOPS inputs reachable from one kustomization, by MAC, plus what could not be read."""

    #: resource documents, by their ``sops.mac``
    documents: dict[str, SopsOrigin] = field(default_factory=dict)
    #: generator dotenv files, by their ``sops_mac`` line
    envs: dict[str, SopsOrigin] = field(default_factory=dict)
    #: generator ``files`` keys -> the SOPS store of the file behind them
    file_formats: dict[str, str] = field(default_factory=dict)
    #: generator ``files`` keys -> the file, relative to the kustomization being built (for errors)
    file_paths: dict[str, str] = field(default_factory=dict)
    #: remote resources/bases (never read)
    remote: list[str] = field(default_factory=list)

    def unlocated(self, root: str) -> str:
        """Why a SOPS object has no origin file (added to a MAC mismatch)."""
        if self.remote:
            return (
                f"no local file under {root} holds this document, so it came from the remote base "
                f"{self.remote[0]}: secretsops does not fetch remote bases to check the MAC against "
                "the origin file, and kustomize reordered or changed the document; vendor the base into the "
                "repository (see docs/kustomize.md)"
            )
        return (
            f"no file listed under resources: of the kustomizations reachable from {root} holds "
            "this document (see docs/kustomize.md)"
        )


def find_origins(directory: Path, *, confine: Path | None = None) -> Origins:
    """Walk the local closure of the kustomization in ``directory`` (see the module docstring).

    ``confine``: a directory the closure must stay in (the engine's checkout); a base, resource
    or generator input outside it, directly or through a symbolic link, is a ``RenderError``.
    """
    origins = Origins()
    seen: set[Path] = set()
    limit = confine.resolve() if confine is not None else None
    root = Path(directory).resolve()
    pending = [root]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if limit is not None and not current.is_relative_to(limit):
            raise RenderError(f"{current}: kustomization outside the repository is not built")
        kfile = find_kustomization(current)
        doc = _load_kustomization(kfile) if kfile is not None else None
        if not isinstance(doc, dict):
            continue
        for name in _REFERENCE_FIELDS:
            for entry in _entries(doc.get(name)):
                target = current / entry
                if limit is not None and not is_remote(entry):
                    ensure_inside(target, limit, _relative(target, root))
                if target.is_dir():
                    pending.append(target.resolve())
                elif target.is_file():
                    _add_resource(origins, target, entry)
                elif is_remote(entry):
                    origins.remote.append(entry)
        for gen in _entries_of(doc.get("secretGenerator")) + _entries_of(doc.get("configMapGenerator")):
            if limit is not None:
                for rel in _generator_inputs(gen):
                    ensure_inside(current / rel, limit, _relative(current / rel, root))
            _add_generator(origins, current, gen, root)
    return origins


def _load_kustomization(kfile: Path) -> Any:
    try:
        return yamlio.load_one(yamlio.read_text(kfile), str(kfile))
    except yamlio.LimitExceeded as exc:
        raise RenderError(str(exc)) from None
    except InputError:
        return None  # kustomize reports it with its own message


def _entries(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _entries_of(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _read(path: Path) -> bytes | None:
    try:
        return yamlio.read_bytes(path, str(path))
    except yamlio.LimitExceeded as exc:
        raise RenderError(str(exc)) from None
    except InputError:
        return None


def _add_resource(origins: Origins, path: Path, shown: str) -> None:
    """Index a resource file's SOPS documents by MAC (found in the text: the decryptor parses it)."""
    data = _read(path)
    if data is None or b"sops" not in data or b"mac" not in data:
        return
    text = data.decode("utf-8", "replace")
    if not _SOPS_KEY.search(text):
        return
    origin = SopsOrigin(str(path), data, "json" if path.suffix.lower() == ".json" else "yaml")
    for found in _MAC.finditer(text):
        origins.documents[found.group(1)] = origin


def _add_generator(origins: Origins, base: Path, gen: dict[str, Any], root: Path) -> None:
    """A generator's SOPS inputs; their paths are kept as the user finds them: relative to the
    kustomization being built (``root``), never this machine's absolute path (errors show them)."""
    envs = _entries(gen.get("envs"))
    if gen.get("env"):
        envs.append(str(gen["env"]))
    for rel in envs:
        data = _read(base / rel)
        found = _DOTENV_MAC.search(data.decode("utf-8", "replace")) if data else None
        if data is not None and found:
            origins.envs[found.group(1).strip()] = SopsOrigin(_relative(base / rel, root), data, "dotenv")
    for entry in _entries(gen.get("files")):
        key, sep, rel = entry.partition("=")
        if not sep:
            key, rel = Path(entry).name, entry
        origins.file_formats[key] = sops_format_for(rel)
        origins.file_paths[key] = _relative(base / rel, root)


def _generator_inputs(gen: dict[str, Any]) -> list[str]:
    """The files a secretGenerator reads (``envs``, ``env``, ``files`` with or without ``key=``)."""
    inputs = _entries(gen.get("envs")) + ([str(gen["env"])] if gen.get("env") else [])
    for entry in _entries(gen.get("files")):
        key, sep, rel = entry.partition("=")
        inputs.append(rel if sep else entry)
    return inputs


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


# --- what kustomize put into its output ----------------------------------------------------------


@dataclass
class GeneratedSops:
    """SOPS material kustomize put into one generated Secret's ``data``."""

    #: data keys holding a whole SOPS file (``files`` entries) -> its store
    files: dict[str, str] = field(default_factory=dict)
    #: the same keys -> the file, relative to the kustomization built (what errors name)
    file_paths: dict[str, str] = field(default_factory=dict)
    #: the SOPS dotenv files (``envs`` entries) whose keys are in ``data``
    envs: list[SopsOrigin] = field(default_factory=list)
    #: why an ``envs`` entry cannot be opened (no origin file); fails the unit
    unresolved: str = ""
    #: a Secret's data is base64; a ConfigMap's (configMapGenerator) is the text itself
    encoded: bool = True


def attach_origins(
    items: list[SourcedObject],
    directory: Path,
    *,
    confine: Path | None = None,
    origins: Origins | None = None,
) -> None:
    """Note on each item of a kustomize build of ``directory`` where its ciphertext came from.

    The closure is walked only when an item needs it (unless ``origins`` were found already);
    decryption happens later, in memory (the ``sops`` decryptor and ``engine.generators``,
    through the one pipeline).
    """

    def found() -> Origins:
        nonlocal origins
        if origins is None:
            origins = find_origins(directory, confine=confine)
        return origins

    for item in items:
        obj = item.obj
        mac = SopsOrigin.mac_of(obj)
        if mac:
            origin = found().documents.get(mac)
            if origin is not None:
                item.extra[ORIGIN] = origin
            else:
                item.extra[UNLOCATED] = found().unlocated(str(Path(directory).absolute()))
            continue
        if obj.get("kind") not in ("Secret", "ConfigMap") or str(obj.get("apiVersion")) != "v1":
            continue
        data = obj.get("data")
        if not isinstance(data, dict) or not data:
            continue
        generated = _generated(data, found, encoded=obj.get("kind") == "Secret")
        if generated is not None:
            item.extra[GENERATED] = generated


def _generated(data: dict[str, Any], found: Any, *, encoded: bool = True) -> GeneratedSops | None:
    out = GeneratedSops(encoded=encoded)
    as_text = _b64text if encoded else _plain_text
    for key, value in data.items():
        if key == "sops_mac":
            mac = as_text(value)
            origin = found().envs.get(mac.strip()) if mac is not None else None
            if origin is not None:
                out.envs.append(origin)
            else:
                out.unresolved = (
                    "generated from a SOPS-encrypted env file that is not among the secretGenerator "
                    "inputs of the local kustomizations (a remote base?): kustomize split it into "
                    "keys and lost the line order its MAC covers, so it cannot be verified; list "
                    "the env file in a local kustomization (see docs/kustomize.md)"
                )
            continue
        text = as_text(value)
        if text is not None and is_sops_text(text):
            out.files[str(key)] = found().file_formats.get(str(key)) or sops_format_for(str(key))
            out.file_paths[str(key)] = found().file_paths.get(str(key), str(key))
    return out if (out.files or out.envs or out.unresolved) else None


def _plain_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _b64text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


_KLOG = re.compile(r"^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ")
_KLOG_ERR = re.compile(r'err="(.*)"\s*$')


def _first_error_line(stderr: str) -> str:
    """kustomize's cause, stable across runs (no klog timestamps); file names, no values."""
    lines = [_KLOG.sub("", ln.strip()) for ln in stderr.splitlines() if ln.strip()]
    for line in lines:
        found = _KLOG_ERR.search(line)
        if found:
            return found.group(1).replace('\\"', '"')[:400]
        if line.lower().startswith("error"):
            return line.removeprefix("Error: ")[:400]
    return (lines[0] if lines else "unknown error")[:400]
