"""A plain directory as a source (``--repo PATH`` that is not a git work tree).

Its revision is a digest of the files' paths and bytes (ciphertext), so an unchanged tree
skips re-rendering exactly like an unchanged commit. A symbolic link counts by where it points,
never by what it points to: the digest reads nothing outside the tree (render refuses links
that lead out, ``engine.confine``).
"""

from __future__ import annotations

import hashlib
import os
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
        for path in sorted(p for p in self.root.rglob("*") if ".git" not in p.parts):
            try:
                if path.is_symlink():
                    content = b"link\0" + os.fsencode(os.readlink(path))
                elif path.is_file():
                    content = hashlib.sha256(path.read_bytes()).digest()
                else:
                    continue
            except OSError as exc:
                raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
            digest.update(str(path.relative_to(self.root)).encode() + b"\0")
            digest.update(content)
        return Revision("dir", digest.hexdigest()[:40], self.root)

    def close(self) -> None:
        return None
