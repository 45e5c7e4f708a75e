"""Paths stay inside the checkout: no symbolic link in git may lead the engine out of it.

A repo writer can commit a symlink: ``apps -> /var/run/secrets`` (the source ``path`` itself),
``clusters -> /`` (a directory above ``path``), ``base -> /etc/app`` (a kustomize base) or
``db.env -> /home/engine/.config/sops/age/keys.txt`` (a generator input). Anything read through
it would be applied to the cluster or decrypted with the engine's keys, so every path we read
from a checkout is resolved (every link followed) and must still be inside the resolved
checkout; otherwise the unit fails naming the path as it is in git. Flux joins paths the same
way (``securejoin``); kustomize refuses files outside a kustomization, but not directories.
"""

from __future__ import annotations

import os
from pathlib import Path

from secretsops.errors import RenderError


def resolved_inside(path: Path, root: Path) -> bool:
    """True when ``path``, with every symbolic link followed, is ``root`` or below it."""
    try:
        real = Path(path).resolve(strict=False)
    except (OSError, RuntimeError):  # a loop
        return False
    return real.is_relative_to(Path(root).resolve())


def ensure_inside(path: Path, root: Path, shown: str) -> None:
    """Raise when ``path`` leads out of ``root``; ``shown`` names it as the repository has it."""
    if resolved_inside(path, root):
        return
    written = Path(os.path.normpath(Path(path).absolute()))
    if written.is_relative_to(Path(os.path.normpath(Path(root).absolute()))):
        raise RenderError(f"{shown}: a symbolic link leads outside the repository (refused)")
    raise RenderError(f"{shown}: outside the repository (refused)")


def enclosing_work_tree(path: Path) -> Path | None:
    """The git work tree ``path`` is in, found from the path as given (links not followed).

    ``render`` confines reading to it: run in CI on a pull request, the pull request is the
    repository and nothing it links to outside may be rendered. None outside any work tree.
    """
    current = Path(path).absolute()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None
