"""Build kustomize overlays without ever writing plaintext.

Flux decrypts SOPS-encrypted ``secretGenerator`` files into a temporary directory before it
runs kustomize. We do not. Instead, when a kustomization's generator points at a SOPS file,
we build a private copy of the tree (ciphertext only) in which:

* ``files`` entries stay as they are: kustomize puts the *ciphertext* file into the Secret;
* ``envs`` entries become a ``files`` entry under a marker key, so the ciphertext of the whole
  dotenv file (whose MAC depends on line order) reaches us intact;
* the generator gets an annotation listing those keys and their SOPS formats.

kustomize then does everything else as usual (name suffix hash, name references, overlays,
namespaces). ``engine.generators`` later opens the listed keys in memory and removes the
annotation. The hash suffix is computed over the ciphertext, so it changes whenever the
encrypted file changes (also on a re-encryption without value change) — harmless, and it
never depends on plaintext.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretsops import yamlio
from secretsops.engine.proc import ProcessRunner
from secretsops.engine.workdir import private_dir
from secretsops.errors import InputError, RenderError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: annotation set on generated Secrets whose keys hold SOPS ciphertext: {key: {"format", "env"}}
GENERATED_ANNOTATION = "secretsops.io/sops-generated"
ENV_MARKER_PREFIX = "secretsops-sops-env-"

_SOPS_DOTENV = re.compile(r"^sops_mac=", re.MULTILINE)
_SOPS_INI = re.compile(r"^\[sops\]\s*$", re.MULTILINE)


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def sops_format_for(path: str) -> str:
    """The SOPS store for a file name, as sops picks it (by extension; binary otherwise)."""
    lower = path.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith(".env"):
        return "dotenv"
    if lower.endswith(".ini"):
        return "ini"
    return "binary"


def is_sops_text(text: str) -> bool:
    """True when ``text`` is a SOPS-encrypted document in any store (it carries a MAC)."""
    if _SOPS_DOTENV.search(text) or _SOPS_INI.search(text):
        return True
    if "sops" not in text:
        return False
    try:
        doc = yamlio.load_one(text)
    except InputError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("sops"), dict) and "mac" in doc["sops"]


def is_sops_file(path: Path) -> bool:
    """Whether a generator input is SOPS-encrypted; a device, FIFO or over-large file is refused."""
    try:
        return is_sops_text(yamlio.read_text(path))
    except yamlio.LimitExceeded as exc:
        raise RenderError(str(exc)) from None
    except InputError:
        return False  # missing or not text: kustomize reports it with its own message


def kustomize_command(runner: ProcessRunner) -> list[str]:
    """``kustomize build`` if installed, else ``kubectl kustomize``; a clear error otherwise."""
    path = runner.env.get("PATH")
    for tool, argv in (("kustomize", ["build"]), ("kubectl", ["kustomize"])):
        found = shutil.which(tool, path=path)
        if found:
            return [found, *argv]
    raise RenderError("kustomization found but neither `kustomize` nor `kubectl` is installed (PATH)")


@dataclass
class _Rewrite:
    kustomization: Path
    doc: dict[str, Any]


def _entry_path(entry: str) -> tuple[str | None, str]:
    """Split a generator ``files`` entry ``[key=]path``."""
    if "=" in entry:
        key, _, path = entry.partition("=")
        return key, path
    return None, entry


def _rewrite_generators(kfile: Path) -> _Rewrite | None:
    """Rewrite one kustomization's SOPS generator entries (see module doc); None if none."""
    try:
        doc = yamlio.load_one(yamlio.read_text(kfile))
    except yamlio.LimitExceeded as exc:
        raise RenderError(str(exc)) from None
    except InputError:
        return None  # kustomize reports it with its own message
    if not isinstance(doc, dict) or not isinstance(doc.get("secretGenerator"), list):
        return None
    base = kfile.parent
    changed = False
    for gen in doc["secretGenerator"]:
        if not isinstance(gen, dict):
            continue
        listed: dict[str, dict[str, Any]] = {}
        files = [str(f) for f in gen.get("files") or []]
        for entry in files:
            key, rel = _entry_path(entry)
            if is_sops_file(base / rel):
                listed[key or Path(rel).name] = {"format": sops_format_for(rel), "env": False}
        envs = [str(e) for e in gen.get("envs") or []]
        if gen.get("env"):
            envs.append(str(gen["env"]))
        kept_envs: list[str] = []
        for n, rel in enumerate(envs):
            if is_sops_file(base / rel):
                marker = f"{ENV_MARKER_PREFIX}{n}"
                files.append(f"{marker}={rel}")
                listed[marker] = {"format": sops_format_for(rel), "env": True}
            else:
                kept_envs.append(rel)
        if not listed:
            continue
        changed = True
        gen["files"] = files
        gen.pop("env", None)
        if kept_envs:
            gen["envs"] = kept_envs
        else:
            gen.pop("envs", None)
        options = gen.setdefault("options", {})
        annotations = options.setdefault("annotations", {})
        annotations[GENERATED_ANNOTATION] = json.dumps(listed, sort_keys=True, separators=(",", ":"))
    return _Rewrite(kfile, doc) if changed else None


def _copy_root(path: Path) -> Path:
    """The tree kustomize may read from: the enclosing git work tree, else ``path`` itself."""
    for parent in (path, *path.parents):
        if (parent / ".git").exists():
            return parent
    return path


def _needs_rewrite(root: Path) -> bool:
    for name in KUSTOMIZATION_FILES:
        for kfile in root.rglob(name):
            if ".git" not in kfile.parts and _rewrite_generators(kfile) is not None:
                return True
    return False


def build(path: Path, runner: ProcessRunner, shown: str) -> str:
    """Run kustomize on ``path``; returns the rendered multi-document YAML (ciphertext only)."""
    root = _copy_root(path)
    if not _needs_rewrite(root):
        return _run(path, runner, shown)
    with private_dir("secretsops-kustomize-") as tmp:
        copy = tmp / "tree"
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        for name in KUSTOMIZATION_FILES:
            for kfile in copy.rglob(name):
                rewrite = _rewrite_generators(kfile)
                if rewrite is not None:
                    kfile.write_text(yamlio.dump(rewrite.doc), encoding="utf-8")
        return _run(copy / path.relative_to(root), runner, shown)


def _run(path: Path, runner: ProcessRunner, shown: str) -> str:
    result = runner.run([*kustomize_command(runner), str(path)])
    if result.returncode != 0:
        message = _first_error_line(result.stderr.decode("utf-8", "replace"))
        raise RenderError(f"{shown}: kustomize build failed: {message}")
    return result.stdout.decode("utf-8")


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
