"""SOPS stores (file formats), found through the ``secretsops.formats`` entry points."""

from __future__ import annotations

from importlib import import_module
from pathlib import PurePath

from secretsops.errors import UsageError
from secretsops.sops.formats.base import Store

GROUP = "secretsops.formats"
_BUILTIN = {
    "yaml": "secretsops.sops.formats.yaml:YamlStore",
    "json": "secretsops.sops.formats.json:JsonStore",
    "dotenv": "secretsops.sops.formats.dotenv:DotenvStore",
    "ini": "secretsops.sops.formats.ini:IniStore",
    "binary": "secretsops.sops.formats.binary:BinaryStore",
}


def format_for_path(path: str) -> str:
    """The store sops picks from a file name: by extension, anything else is binary."""
    name = PurePath(path).name
    suffix = PurePath(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".env" or name == ".env":
        return "dotenv"
    if suffix == ".ini":
        return "ini"
    return "binary"


def get_store(fmt: str, indent: int | None = None) -> Store:
    """Instantiate the store for ``fmt`` (built-ins directly; others via entry points)."""
    target = _BUILTIN.get(fmt)
    if target is None:
        from importlib.metadata import entry_points

        for ep in entry_points(group=GROUP):
            if ep.name == fmt:
                cls = ep.load()
                return cls(indent)  # type: ignore[no-any-return]
        raise UsageError(f"unknown format {fmt!r} (known: {', '.join(_BUILTIN)})")
    module, _, attr = target.partition(":")
    cls = getattr(import_module(module), attr)
    return cls(indent)  # type: ignore[no-any-return]
