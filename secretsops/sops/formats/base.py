"""The store seam: a file format turns bytes into branches (+ raw metadata) and back."""

from __future__ import annotations

from abc import ABC, abstractmethod

from secretsops.sops.tree import Branch

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any, ClassVar

METADATA_KEY = "sops"


class Store(ABC):
    """One file format. ``indent`` is the ``--indent`` flag (None: the format's default).

    A store is registered under the entry-point group ``secretsops.formats`` with its ``name``
    (the ``--input-type``/``--output-type`` value); ``extensions``/``file_names`` say which files
    it is picked for, ``config_section`` which ``stores:`` entry of ``.sops.yaml`` sets its indent.
    """

    name: ClassVar[str]
    #: lower-case file suffixes this format is picked for (``.yaml``)
    extensions: ClassVar[tuple[str, ...]] = ()
    #: whole file names this format is picked for (``.env``)
    file_names: ClassVar[tuple[str, ...]] = ()
    #: the ``stores:`` key in ``.sops.yaml`` carrying this format's ``indent`` ("" for none)
    config_section: ClassVar[str] = ""

    def __init__(self, indent: int | None = None) -> None:
        self.indent = indent

    @abstractmethod
    def load_plain(self, data: bytes) -> list[Branch]:
        """Parse a plaintext file (raises ``InvalidFormat`` naming the problem, never a value)."""

    @abstractmethod
    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Any]:
        """Branches without metadata, and the raw ``sops`` metadata (None when absent)."""

    @abstractmethod
    def emit_plain(self, branches: list[Branch]) -> bytes: ...

    @abstractmethod
    def emit_encrypted(self, branches: list[Branch], metadata: dict[str, Any]) -> bytes: ...

    @abstractmethod
    def emit_value(self, value: Any) -> bytes:
        """One extracted value (``--extract``) in this format."""

    def has_metadata(self, branches: list[Branch]) -> bool:
        return any(not isinstance(b, Branch) or b.get(METADATA_KEY) is not None for b in branches)
