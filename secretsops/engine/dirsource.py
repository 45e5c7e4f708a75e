"""A plain directory as a source (``--repo PATH`` that is not a git work tree).

Its revision is a digest of the files' paths and bytes (ciphertext), so an unchanged tree
skips re-rendering exactly like an unchanged commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from secretsops.engine.source import Revision
from secretsops.errors import SourceError


@dataclass
class DirectorySource:
    root: Path

    def sync(self) -> Revision:
        if not self.root.is_dir():
            raise SourceError(f"{self.root}: source directory not found")
        digest = hashlib.sha256()
        for path in sorted(p for p in self.root.rglob("*") if p.is_file() and ".git" not in p.parts):
            digest.update(str(path.relative_to(self.root)).encode() + b"\0")
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError as exc:
                raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
        return Revision("dir", digest.hexdigest()[:40], self.root)

    def close(self) -> None:
        return None
