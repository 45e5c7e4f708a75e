"""Read (and plainly write) YAML/JSON manifests and config: one loader, documented limits.

Everything secretsops reads as YAML or JSON — manifests, kustomization files, ``.sops.yaml``,
``sources.yaml``, ``check`` config, the KRM function's input, ESO template output — goes
through this package, so every reader has the same rules (``loader``) and the same limits
(``limits.ReadLimits``: bytes per input, alias expansion, depth; devices and FIFOs refused by
``inputs``). It is the only package besides the SOPS YAML store and the Go-compatible
emitters that imports ``yaml`` (an import-linter contract says so). See docs/security.md.

The names below load their module on first use (PEP 562): reading a JSON or dotenv file
through ``read_bytes`` must not pay for importing PyYAML.
"""

from __future__ import annotations

import importlib

from secretsops.yamlio.limits import DEFAULT_LIMITS, LimitExceeded, ReadLimits

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from secretsops.yamlio.dump import dump, dump_all
    from secretsops.yamlio.graph import check_node_graph
    from secretsops.yamlio.inputs import decode, read_bytes, read_stream, read_text
    from secretsops.yamlio.jsonread import load_json
    from secretsops.yamlio.loader import C_ACCELERATED, load_documents, load_one, load_strings

_LAZY = {
    "dump": "dump",
    "dump_all": "dump",
    "check_node_graph": "graph",
    "decode": "inputs",
    "read_bytes": "inputs",
    "read_stream": "inputs",
    "read_text": "inputs",
    "load_json": "jsonread",
    "C_ACCELERATED": "loader",
    "load_documents": "loader",
    "load_one": "loader",
    "load_strings": "loader",
}

__all__ = [
    "C_ACCELERATED",
    "DEFAULT_LIMITS",
    "LimitExceeded",
    "ReadLimits",
    "check_node_graph",
    "decode",
    "dump",
    "dump_all",
    "load_documents",
    "load_json",
    "load_one",
    "load_strings",
    "parse_documents",
    "read_bytes",
    "read_documents",
    "read_stream",
    "read_text",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    # importing the submodule set this package's attribute of the same name (``dump``) to the
    # module itself; put the function back so the next ``yamlio.dump`` is the function again
    globals()[name] = value
    return value


def parse_documents(text: str, source: str = "<memory>", limits: ReadLimits = DEFAULT_LIMITS) -> list[Any]:
    """YAML (multi-document) or, for a ``.json`` file that looks like JSON, JSON; empty documents dropped."""
    from secretsops.yamlio.jsonread import load_json
    from secretsops.yamlio.loader import load_documents

    if source.endswith(".json") and text.lstrip().startswith(("{", "[")):
        return [load_json(text, source, limits)]
    return load_documents(text, source, limits)


def read_documents(path: Path, shown: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> list[Any]:
    """The documents of one file (regular files only, within the limits)."""
    from secretsops.yamlio.inputs import read_text

    name = str(path) if shown is None else shown
    return parse_documents(read_text(path, name, limits), name, limits)
