"""YAML output for manifests and plain config: block style, keys in the order given, UTF-8.

Go-compatible output (go-yaml v2/v3 layouts) is not written here: the SOPS YAML store and
``secretsops.golang`` have emitters of their own that match Go byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

#: libyaml's emitter when PyYAML was built with it (same output, several times faster: ``render``
#: of a large tree spends most of its own time here otherwise)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(value: Any, *, sort_keys: bool = False, unfolded: bool = False) -> str:
    """One document, kubectl-like layout; ``unfolded`` keeps every scalar on one line (text that
    is rewritten and parsed again, as Flux's postBuild substitution does, must not be folded)."""
    return yaml.dump(
        value,
        Dumper=_DUMPER,
        sort_keys=sort_keys,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30 if unfolded else 80,
    )


def dump_all(values: Iterable[Any]) -> str:
    """Several documents joined by ``---``."""
    return "---\n".join(dump(v) for v in values)
