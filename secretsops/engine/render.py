"""Turn a directory of the declared state into objects, each knowing where it came from.

Two shapes, as Flux accepts them:

* a directory with a ``kustomization.yaml``: built with kustomize (``engine.kustomize``);
* a plain tree: every ``*.yaml``/``*.yml``/``*.json`` file, recursively, in path order;
  a sub-directory that has its own kustomization is built as one unit and not walked.

Skipped: dotfiles and dot-directories (``.git``, ``.sops.yaml``, ``.github``), files of other
types, and YAML documents that are not Kubernetes objects (values files, SOPS-encrypted
generator inputs). What comes out is still ciphertext; decryption happens in memory
afterwards (the decryptor registry + ``engine.generators``, through ``engine.pipeline``).
Objects from kustomize carry where their ciphertext came from (``engine.kustomize``), so the
SOPS MAC is verified against the origin file's bytes even after kustomize transformed them.
"""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from secretsops import yamlio
from secretsops.engine import kustomize
from secretsops.engine.confine import ensure_inside
from secretsops.engine.proc import ProcessRunner, default_runner
from secretsops.errors import InputError, RenderError
from secretsops.manifests import (
    MANIFEST_SUFFIXES,
    SourcedObject,
    is_kubernetes_object,
    iter_objects,
    parse_documents,
)
from secretsops.yamlio.inputs import kind_of

SKIPPED_FILES = frozenset({".sops.yaml", ".sops.yml"})
#: kustomize processes run at once when a tree holds several kustomizations
BUILD_WORKERS = min(4, os.cpu_count() or 1)


def render_path(
    path: Path,
    *,
    runner: ProcessRunner | None = None,
    root: Path | None = None,
    jobs: int | None = None,
    within: Path | None = None,
) -> list[SourcedObject]:
    """Objects declared under ``path`` (ciphertext; generated SOPS Secrets carry ``extra``).

    ``root`` makes recorded paths relative (defaults to ``path``); when given (the engine's
    checkout), kustomize bases must stay inside it. Without it (``render OVERLAY``) an overlay's
    bases may be anywhere: the working directory and git do not matter. Raises ``RenderError``
    naming the file when anything does not parse or build: a unit renders whole or not at all.
    ``jobs``: kustomize processes at once in a tree of several kustomizations (default
    ``BUILD_WORKERS``). ``within``: confine reading to this directory without changing how
    paths are shown (``render`` passes the enclosing git work tree); ``root`` implies it.
    """
    path = Path(path)
    confine = root if root is not None else within
    shown_root = root or (path if path.is_dir() else path.parent)
    if not path.exists():
        raise RenderError(f"{path}: no such file or directory")
    if confine is not None:  # the path itself, or a directory above it, may be a link out
        ensure_inside(path, confine, _shown(path, confine))
    runner = runner or default_runner()
    if not path.is_dir():  # a file; devices and FIFOs are refused by the reader
        items = _load(path, shown_root)
    elif kustomize.find_kustomization(path) is not None:
        items = _build(path, runner, shown_root, confine)
    else:
        units = _walk(path, runner, shown_root, confine)
        items = _build_all(units, runner, shown_root, confine, jobs or BUILD_WORKERS)
    _validate(items)
    return items


def _shown(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    return str(rel) if str(rel) != "." else path.name


def _load(path: Path, root: Path) -> list[SourcedObject]:
    """One file's objects, read once within the reader's limits (``secretsops.yamlio``)."""
    shown = _shown(path, root) if _is_under(path, root) else str(path)
    try:
        data = yamlio.read_bytes(path, shown)
        items = list(iter_objects(yamlio.parse_documents(yamlio.decode(data, shown), shown), shown))
    except InputError as exc:
        raise RenderError(str(exc)) from None
    for item in items:
        _refuse_half_object(item)
    items = [i for i in items if is_kubernetes_object(i.obj)]
    if any("sops" in i.obj for i in items):
        # sops parses with go-yaml (YAML 1.2): keep the file's bytes so the decryptor verifies
        # the MAC over the values exactly as sops read them (``on``, timestamps, octals).
        raw = (data, "json" if path.name.endswith(".json") else "yaml")
        for i in items:
            if "sops" in i.obj:
                i.extra["sops_raw"] = raw
    return items


def _refuse_half_object(item: SourcedObject) -> None:
    """A document with ``metadata`` and only one of ``apiVersion``/``kind`` was meant as an object.

    Values files and SOPS generator inputs have neither; silently skipping a manifest that lost
    its ``kind`` would drop it from the cluster (and prune it), so it fails as kubectl does.
    """
    obj = item.obj
    if not isinstance(obj.get("metadata"), dict) or is_kubernetes_object(obj):
        return
    if obj.get("apiVersion") and not obj.get("kind"):
        raise RenderError(f"{item.where}: Object 'Kind' is missing (apiVersion {obj['apiVersion']})")
    if obj.get("kind") and not obj.get("apiVersion"):
        raise RenderError(f"{item.where}: {obj['kind']} has no apiVersion")


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _walk(
    directory: Path, runner: ProcessRunner, root: Path, confine: Path | None
) -> list[SourcedObject | Path]:
    """Files' objects in path order, with each kustomization directory as a placeholder to build."""
    items: list[SourcedObject | Path] = []
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in SKIPPED_FILES:
            continue
        if entry.is_symlink():
            try:
                target = entry.resolve(strict=True)
            except (OSError, RuntimeError):
                if not entry.name.lower().endswith(MANIFEST_SUFFIXES):
                    continue  # a broken link to something that is not a manifest: nothing to read
                raise RenderError(f"{_shown(entry, root)}: broken or looping symbolic link") from None
            if not _is_under(target, root.resolve()):
                raise RenderError(f"{_shown(entry, root)}: symbolic link points outside the repository")
        if entry.is_dir():
            if kustomize.find_kustomization(entry) is not None:
                items.append(entry)
            else:
                items.extend(_walk(entry, runner, root, confine))
        elif entry.name.lower().endswith(MANIFEST_SUFFIXES):
            items.extend(_load(entry, root))  # a FIFO or device named like a manifest is refused
    return items


def _build_all(
    units: list[SourcedObject | Path], runner: ProcessRunner, root: Path, confine: Path | None, jobs: int
) -> list[SourcedObject]:
    """Build the kustomizations among ``units`` (a few kustomize processes at a time: a tree of
    many apps is mostly waiting for them) and splice their objects in, in path order. The first
    failure in path order is the one raised."""
    dirs = [u for u in units if isinstance(u, Path)]
    built: dict[Path, list[SourcedObject]] = {}
    if len(dirs) > 1 and jobs > 1:
        with ThreadPoolExecutor(max_workers=min(jobs, len(dirs))) as pool:
            futures = [pool.submit(_build, d, runner, root, confine) for d in dirs]
            try:
                for directory, future in zip(dirs, futures, strict=True):
                    built[directory] = future.result()
            finally:
                for future in futures:
                    future.cancel()
    else:
        for directory in dirs:
            built[directory] = _build(directory, runner, root, confine)
    out: list[SourcedObject] = []
    for unit in units:
        out.extend(built[unit] if isinstance(unit, Path) else [unit])
    return out


def _build(directory: Path, runner: ProcessRunner, root: Path, confine: Path | None) -> list[SourcedObject]:
    shown = _shown(directory, root)
    _refuse_special_files(directory, root)
    # the engine's checkout bounds what kustomize may read: checked before kustomize runs
    origins = kustomize.find_origins(directory, confine=confine) if confine is not None else None
    text = kustomize.build(directory, runner, shown)
    try:
        docs = parse_documents(text, f"{shown} (kustomize output)")
    except InputError as exc:
        raise RenderError(str(exc)) from None
    items = [i for i in iter_objects(docs, shown) if is_kubernetes_object(i.obj)]
    kustomize.attach_origins(items, directory, confine=confine, origins=origins)
    return items


def _refuse_special_files(directory: Path, root: Path) -> None:
    """kustomize would block on a FIFO or read a device forever: none may sit in the tree it builds."""
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = Path(dirpath) / name
            mode = full.lstat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                why = f"is {kind_of(mode)}, not a regular file (refused as input)"
                raise RenderError(f"{_shown(full, root)}: {why}")


def _validate(items: list[SourcedObject]) -> None:
    seen: dict[object, str] = {}
    for item in items:
        for field in ("apiVersion", "kind"):
            if not isinstance(item.obj.get(field), str):
                raise RenderError(f"{item.where}: {field} must be a string")
        meta = item.obj.get("metadata")
        if isinstance(meta, dict):
            for field in ("name", "namespace"):
                if meta.get(field) is not None and not isinstance(meta[field], str):
                    raise RenderError(f"{item.where}: metadata.{field} must be a string")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise RenderError(f"{item.where}: {item.obj.get('kind')} has no metadata.name")
        if item.id in seen:
            raise RenderError(f"{item.where}: {item.id} is also declared in {seen[item.id]}")
        seen[item.id] = item.where
